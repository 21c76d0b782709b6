#!/usr/bin/env bash
# Rewrites every golden fixture's expected/ folder from the current code. Review `git diff` after.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_GOLDEN=1 swift test --filter GoldenTests "$@"
