#!/usr/bin/env bash
# Fault suite: runs faults against real processes on loopback (the tollgate binary as controller,
# agent and standalone, real NGINX, Python clients with a new connection per request, wrk) and
# prints a table — fault, attempts, requests sent, requests failed, what was lost — with the
# checks behind each row. docs/reliability.md keeps the table of the latest full run.
#
#   scripts/faults.sh                  quick variant (~5 min; what CI can run)
#   scripts/faults.sh --long           the full counts (100 agent kills, 100 reloads, …)
#   scripts/faults.sh --only agent-kill9,reload-churn [--seed N] [--knobs] [--update-doc docs/reliability.md]
#
# TOLLGATE_BIN=PATH reuses a built binary (otherwise `swift build --product tollgate`).
# TOLLGATE_FAULTS_DIR=DIR: where state, logs and results go (default /tmp/tollgate-faults).
# Ports: 178xx (Gateways), 179xx (backends). Exit status 0 when every check passed.
# The config-root fault mounts a small tmpfs and needs root; without it that row says skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

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
else
  echo "== building tollgate (the first build takes a few minutes)"
  swift build --product tollgate 2>&1 | tail -n 1
  swift build --product tollgate-agent 2>&1 | tail -n 1  # what standalone runs for each Gateway
  bin="$(swift build --show-bin-path)/tollgate"
fi

# One run directory, emptied at the start of each run (faults.py stops what an interrupted run
# left there). Short on purpose: Unix socket paths live under it.
run="${TOLLGATE_FAULTS_DIR:-${TMPDIR:-/tmp}/tollgate-faults}"
mkdir -p "$run"
examples/make-certs.sh --out-root "$run/certs" >/dev/null
echo "== fault suite: run directory $run (state, logs, results.md)"
exec python3 -B scripts/faults/faults.py --bin "$bin" --certs "$run/certs" --run-dir "$run" "$@"
