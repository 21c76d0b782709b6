#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (unit, golden, real NGINX integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test "$@"
