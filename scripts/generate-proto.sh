#!/usr/bin/env bash
# Regenerates Sources/TollgateProto/ (tollgate.pb.swift, tollgate.grpc.swift) from
# proto/tollgate/v1/tollgate.proto. Run it after changing the proto, review `git diff`, and commit the
# generated files: CI never runs protoc.
#
# The protoc plugins are built from this package's own dependencies (swift-protobuf and
# grpc-swift-protobuf), so the generated code always matches the runtime libraries we link. They are
# built in release mode under .build-protoc/ so they do not invalidate the normal debug build.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTO=proto/tollgate/v1/tollgate.proto
OUT=Sources/TollgateProto
SCRATCH=.build-protoc

if ! command -v protoc >/dev/null 2>&1; then
    echo "protoc not found; installing protobuf-compiler" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y protobuf-compiler
fi

echo "Building protoc plugins (release, $SCRATCH)…" >&2
swift build -c release --scratch-path "$SCRATCH" --product protoc-gen-swift
swift build -c release --scratch-path "$SCRATCH" --product protoc-gen-grpc-swift-2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"

mkdir -p "$OUT"
rm -f "$OUT/Placeholder.swift"

protoc -I proto \
    --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    --swift_out="$OUT" \
    --grpc-swift-2_opt=Visibility=Public \
    --grpc-swift-2_opt=FileNaming=DropPath \
    --grpc-swift-2_out="$OUT" \
    "$PROTO"

echo "Generated:" >&2
ls -l "$OUT"/tollgate.pb.swift "$OUT"/tollgate.grpc.swift >&2
