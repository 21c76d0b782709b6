#!/usr/bin/env bash
# Quickstart: installs what is missing, builds Tollgate, generates the example certificates,
# starts `tollgate standalone` on examples/ (controller + one agent and NGINX per Gateway, next to
# real backends), replays both guides with curl — each request next to what the guide says —
# shows `tollgate status` and `tollgate snapshots list`, and keeps serving until Ctrl-C.
#   scripts/quickstart.sh [--no-serve]     (--no-serve: stop after the replay)
set -euo pipefail
cd "$(dirname "$0")/.."
serve=1; [ "${1:-}" = "--no-serve" ] && serve=0
run="$PWD/.quickstart"
state="$run/state"
scripts/install-deps.sh
echo "== building tollgate (the first build takes a few minutes)"
swift build --product tollgate 2>&1 | tail -n 1
swift build --product tollgate-agent 2>&1 | tail -n 1  # what standalone runs for each Gateway
bin="$(swift build --show-bin-path)/tollgate"
examples/make-certs.sh
mkdir -p "$run"
standalone_pid=""
cleanup() {
  if [ -n "$standalone_pid" ] && kill -0 "$standalone_pid" 2>/dev/null; then
    echo; echo "== stopping tollgate standalone (agents stop their NGINX)"
    kill -TERM "$standalone_pid" 2>/dev/null || true
    wait "$standalone_pid" 2>/dev/null || true
  fi
  scripts/backends.sh stop "$run/backends" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM
scripts/backends.sh stop "$run/backends" >/dev/null 2>&1 || true
scripts/backends.sh start examples "$run/backends"
echo
echo "== tollgate standalone --manifests examples --state-dir $state   (log: $run/standalone.log)"
"$bin" standalone --manifests examples --state-dir "$state" >"$run/standalone.log" 2>&1 &
standalone_pid=$!
for _ in $(seq 1 300); do
  if ! kill -0 "$standalone_pid" 2>/dev/null; then echo "tollgate standalone exited:"; tail -n 20 "$run/standalone.log"; exit 1; fi
  n=$("$bin" status --state-dir "$state" 2>/dev/null | grep -cE '^Gateway .*Programmed=True' || true)
  [ "$n" -ge 2 ] && break
  sleep 0.2
done
echo "both Gateways are Programmed (an agent applied and probed their configuration)"
set +e
scripts/replay-guides.sh examples "$run/backends"
replay=$?
set -e
echo
echo "== tollgate status --state-dir $state"
"$bin" status --state-dir "$state"
echo
echo "== tollgate snapshots list --state-dir $state"
"$bin" snapshots list --state-dir "$state"
if [ $serve = 1 ]; then
  echo
  echo "Serving the examples: https://cafe.example.com:8443 and :9443 (client certificates in"
  echo "examples/frontend-mtls/generated/pem), http://secure-app.example.com:8080. Edit a file under"
  echo "examples/ and watch 'tollgate snapshots list --state-dir $state'. Ctrl-C stops everything."
  wait "$standalone_pid"
fi
exit $replay
