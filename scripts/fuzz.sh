#!/usr/bin/env bash
# Builds the libFuzzer targets of the Fuzz/ package and runs one of them.
#
#   scripts/fuzz.sh build                              build both targets only
#   scripts/fuzz.sh decode|pipeline [libFuzzer flags]  fuzz (default -runs=1000000)
#   scripts/fuzz.sh replay decode|pipeline [FILE...]   run inputs once each (default: every file
#                                                      under Fuzz/Regressions/TARGET); exit 0 = none crashed
#
# Environment:
#   FUZZ_SANITIZE=fuzzer,address   sanitizers (default); FUZZ_SANITIZE=fuzzer for coverage only,
#                                  which is several times faster (its own scratch path)
#   FUZZ_NICE=10                   niceness of the fuzzing process
#   FUZZ_SKIP_BUILD=1              reuse the last build as it is
#
# New corpus entries go to Fuzz/artifacts/corpus/TARGET (the committed seeds in Fuzz/Corpus/TARGET
# are only read); crashes, timeouts and OOMs to Fuzz/artifacts/TARGET/; each run's log to
# Fuzz/artifacts/logs/. Fuzz/artifacts/ is git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz=$root/Fuzz

usage() { sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage

sanitize=${FUZZ_SANITIZE:-fuzzer,address}
case "$sanitize" in
    fuzzer,address|address,fuzzer) sanitize=fuzzer,address; scratch=$fuzz/.build ;;
    fuzzer) scratch=$fuzz/.build-fuzzer ;;
    *) echo "FUZZ_SANITIZE must be fuzzer,address or fuzzer" >&2; exit 2 ;;
esac

# --- what the build and the runs need -------------------------------------------------------------
ensure_tools() {
    command -v swift >/dev/null 2>&1 || { echo "swift is not on PATH" >&2; exit 1; }
    local need=()
    # ASan/libFuzzer symbolize stack traces with llvm-symbolizer (the Swift toolchain ships one).
    command -v llvm-symbolizer >/dev/null 2>&1 || need+=(llvm)
    # SwiftPM links with gold on Linux.
    command -v ld.gold >/dev/null 2>&1 || need+=(binutils)
    if [ ${#need[@]} -gt 0 ]; then
        local sudo=""
        if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        echo "installing: ${need[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
    # libFuzzer and ASan runtimes come with the Swift toolchain's clang (lib/clang/N/lib/linux):
    # check that this toolchain can link a fuzzer at all before a long build.
    local probe
    probe=$(mktemp -d)
    cat >"$probe/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }
EOF
    if ! swiftc -parse-as-library -sanitize="$sanitize" "$probe/probe.swift" -o "$probe/probe" >"$probe/log" 2>&1; then
        cat "$probe/log" >&2
        echo "this Swift toolchain cannot link with -sanitize=$sanitize (its clang runtime directory" >&2
        echo "lacks libclang_rt.fuzzer/asan); use a swift.org toolchain for Linux, which ships them" >&2
        rm -rf "$probe"
        exit 1
    fi
    rm -rf "$probe"
}

build() {
    ensure_tools
    echo "building Fuzz/ (release, -sanitize=$sanitize) in ${scratch#$root/}" >&2
    # -Xcc instruments the C dependencies too (libyaml inside Yams gives the decoder's coverage).
    swift build -c release --package-path "$fuzz" --scratch-path "$scratch" \
        -Xswiftc -sanitize="$sanitize" -Xswiftc -parse-as-library \
        -Xcc -fsanitize="${sanitize/fuzzer/fuzzer-no-link}"
}

binary() {
    case "$1" in
        decode) echo "$scratch/release/FuzzDecode" ;;
        pipeline) echo "$scratch/release/FuzzPipeline" ;;
        *) usage ;;
    esac
}

run_env() {
    # The Swift runtime's own backtracer would catch the crash signal before libFuzzer does (and
    # takes long to symbolize): let libFuzzer and ASan report crashes.
    export SWIFT_BACKTRACE=enable=no
    ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer || true)
    export ASAN_SYMBOLIZER_PATH
    export ASAN_OPTIONS=${ASAN_OPTIONS:-}
}

# --- replay -------------------------------------------------------------------------------------------
if [ "$1" = replay ]; then
    [ $# -ge 2 ] || usage
    target=$2; shift 2
    exe=$(binary "$target")
    [ "${FUZZ_SKIP_BUILD:-0}" = 1 ] || build
    inputs=("$@")
    if [ ${#inputs[@]} -eq 0 ]; then
        shopt -s nullglob
        inputs=("$fuzz/Regressions/$target"/*)
        shopt -u nullglob
    fi
    [ ${#inputs[@]} -gt 0 ] || { echo "nothing to replay"; exit 0; }
    run_env
    failed=0
    for f in "${inputs[@]}"; do
        if "$exe" -timeout=10 -rss_limit_mb=4096 -runs=1 "$f" >"$fuzz/.replay.log" 2>&1; then
            echo "ok      ${f#$root/}"
        else
            echo "CRASHES ${f#$root/}"; grep -E 'Fatal error|ERROR:|SUMMARY' "$fuzz/.replay.log" | head -5 | sed 's/^/        /'
            failed=$((failed + 1))
        fi
    done
    rm -f "$fuzz/.replay.log"
    echo "$((${#inputs[@]} - failed)) passed, $failed failed"
    [ $failed -eq 0 ]
    exit
fi

if [ "$1" = build ]; then build; exit; fi

# --- fuzz ---------------------------------------------------------------------------------------------
target=$1; shift
exe=$(binary "$target")
[ "${FUZZ_SKIP_BUILD:-0}" = 1 ] || build
[ -x "$exe" ] || { echo "missing $exe: build first" >&2; exit 1; }

runs=(-runs=1000000)
for a in "$@"; do case "$a" in -runs=*) runs=() ;; esac; done

artifacts=$fuzz/artifacts/$target
corpus=$fuzz/artifacts/corpus/$target
logs=$fuzz/artifacts/logs
mkdir -p "$artifacts" "$corpus" "$logs"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
log=$logs/$target-$stamp.log
marker=$logs/.start-$stamp
touch "$marker"

run_env
start=$(date +%s)
echo "fuzzing $target ($sanitize) from $(date -u '+%Y-%m-%d %H:%M:%S UTC'); log ${log#$root/}" >&2
set +e
nice -n "${FUZZ_NICE:-10}" "$exe" \
    -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -dict="$fuzz/yaml.dict" \
    -artifact_prefix="$artifacts/" \
    -print_final_stats=1 \
    "${runs[@]}" "$@" \
    "$corpus" "$fuzz/Corpus/$target" 2>&1 | tee "$log" | grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|RELOAD)' >&2
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)

wall=$((end - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
corp=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
found=$(find "$artifacts" -maxdepth 1 -type f -newer "$marker" | wc -l)
echo
echo "== $target ($sanitize): start $(date -u -d "@$start" '+%Y-%m-%d %H:%M:%S') end $(date -u -d "@$end" '+%H:%M:%S') UTC"
echo "== wall ${wall}s, execs ${execs:-?}, exec/s ${rate:-?}, corpus ${corp:-?} (units/bytes), cov ${cov:-?}, new artifacts $found, libFuzzer exit $status"
if [ "$found" -gt 0 ]; then find "$artifacts" -maxdepth 1 -type f -newer "$marker" | sort | sed 's/^/   /'; fi
rm -f "$marker"
exit "$status"
