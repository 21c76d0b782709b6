#!/usr/bin/env bash
# Benchmark suite of issue 9 (bench/README.md): builds tollgate in release mode, generates the
# workloads, runs the three parts with a time budget each, and merges their results into
# bench/results/latest.{json,md}.
#
#   scripts/bench.sh            full run (under 30 minutes after the build)
#   scripts/bench.sh --quick    quick run (under 3 minutes after the build)
#
# TOLLGATE_BIN=PATH uses that binary instead of building (results then say which binary in the
# pipeline part; debug figures are not the suite's figures).
# BENCH_BUDGET_{PIPELINE,PROCESS,DATAPLANE}=SECONDS override a part's budget. Each part gets
# SIGTERM at the end of its budget (SIGKILL 15 s later) and sees its budget in
# BENCH_BUDGET_SECONDS. A part whose script is missing, fails, times out or writes no result is
# recorded as failed in the results; the suite keeps going and exits non-zero at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# The pipeline part, run by the suite under its budget (see below).
if [ "${1:-}" = "__pipeline" ]; then
  bin="$2" work="$3" out="$4" quick="$5"
  sizes="100 1000 10000"; [ "$quick" = 1 ] || sizes="$sizes 50000"
  dirs=()
  for n in $sizes; do
    for f in yaml json; do
      d="$work/pipeline/$f-$n"
      python3 bench/workload.py --routes "$n" --format "$f" --out "$d" --certs "$work/certs" >/dev/null
      dirs+=(--manifests "$d")
    done
  done
  exec "$bin" benchmark "${dirs[@]}" --one-route "$work/pipeline/yaml-10000" --format json --out "$out" $([ "$quick" = 1 ] && echo --quick)
fi

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -n "${TOLLGATE_BIN:-}" ]; then
  bin="$TOLLGATE_BIN"
  [ -x "$bin" ] || { echo "TOLLGATE_BIN=$bin is not an executable" >&2; exit 2; }
  echo "== using $bin (TOLLGATE_BIN)"
else
  echo "== building tollgate in release mode (the first build takes several minutes)"
  swift build -c release --product tollgate 2>&1 | tail -n 1
  # The agents run as tollgate-agent (next to tollgate) when it is there: never a stale one.
  swift build -c release --product tollgate-agent 2>&1 | tail -n 1
  bin="$(swift build -c release --show-bin-path)/tollgate"
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$root/bench/work"
parts="$root/bench/results/parts"
mkdir -p "$work" "$parts"
rm -f "$parts"/*.json "$parts"/*.status "$parts"/*.log

if [ "$quick" = 1 ]; then
  b_pipeline=${BENCH_BUDGET_PIPELINE:-35}; b_process=${BENCH_BUDGET_PROCESS:-95}; b_dataplane=${BENCH_BUDGET_DATAPLANE:-40}
else
  b_pipeline=${BENCH_BUDGET_PIPELINE:-300}; b_process=${BENCH_BUDGET_PROCESS:-1080}; b_dataplane=${BENCH_BUDGET_DATAPLANE:-360}
fi
quick_flag=(); [ "$quick" = 1 ] && quick_flag=(--quick)

# Certificates are made once (RSA keys take a while) into a shared cache, outside the parts'
# budgets; workload.py copies from it (BENCH_CERT_CACHE) into whatever --certs a part uses.
export BENCH_CERT_CACHE="$work/certs"
echo "== certificates (cached in bench/work/certs)"
python3 bench/workload.py --routes 0 --out "$work/cert-warmup" --certs "$BENCH_CERT_CACHE" >/dev/null
python3 bench/workload.py --ngf --namespaces 1 --out "$work/cert-warmup" --certs "$BENCH_CERT_CACHE" >/dev/null
failed=0

# run_part NAME BUDGET COMMAND…: runs the part under its budget, output in PARTS/NAME.log, and
# writes PARTS/NAME.status: "ok" or why it failed.
run_part() {
  local name="$1" budget="$2"; shift 2
  local log="$parts/$name.log" status rc start=$SECONDS
  echo "== $name (budget ${budget} s)"
  set +e
  BENCH_BUDGET_SECONDS="$budget" timeout --kill-after=15 "$budget" "$@" >"$log" 2>&1
  rc=$?
  set -e
  if [ $rc -eq 0 ] && [ -s "$parts/$name.json" ]; then status="ok"
  elif [ $rc -eq 0 ]; then status="exited 0 without writing $name.json"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status="timed out after its ${budget} s budget"
  else status="exited with status $rc (see bench/results/parts/$name.log)"
  fi
  echo "$status" >"$parts/$name.status"
  echo "   $status in $((SECONDS - start)) s"
  if [ "$status" != ok ]; then failed=1; tail -n 5 "$log" | sed 's/^/   | /'; fi
}

# A part whose script is not there yet is recorded as failed.
run_script_part() {
  local name="$1" budget="$2" script="$3"
  if [ ! -f "$script" ]; then
    echo "== $name: $script does not exist"
    echo "not run: $script does not exist" >"$parts/$name.status"
    failed=1
    return
  fi
  run_part "$name" "$budget" python3 -B "$script" --bin "$bin" --work "$work/$name" --out "$parts/$name.json" "${quick_flag[@]}"
}

total_start=$SECONDS
run_part pipeline "$b_pipeline" "$0" __pipeline "$bin" "$work" "$parts/pipeline.json" "$quick"
run_script_part process "$b_process" bench/process/run.py
run_script_part dataplane "$b_dataplane" bench/dataplane/run.py

echo "== aggregate"
python3 -B bench/aggregate.py --parts "$parts" --out "$root/bench/results" "${quick_flag[@]}" || failed=1
echo "== done in $((SECONDS - total_start)) s: bench/results/latest.md"
exit $failed
