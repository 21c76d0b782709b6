#!/usr/bin/env bash
# Quickstart: installs what is missing, builds Tollgate, generates the example certificates,
# renders both examples (examples/frontend-mtls, examples/backend-mtls) to NGINX configuration,
# runs them with the real NGINX next to real backends, replays both guides with curl, shows
# every object's status, and keeps serving until Ctrl-C.
#   scripts/quickstart.sh [--no-serve]     (--no-serve: stop after the replay)
set -euo pipefail
cd "$(dirname "$0")/.."
serve=1; [ "${1:-}" = "--no-serve" ] && serve=0
run="$PWD/.quickstart"
scripts/install-deps.sh
echo "== building tollgate (first build takes a few minutes)"
swift build --product tollgate 2>&1 | tail -n 1
bin="$(swift build --show-bin-path)/tollgate"
examples/make-certs.sh
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -QUIT "$p" 2>/dev/null || true; done
  scripts/backends.sh stop "$run/backends" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM
rm -rf "$run/rendered"; mkdir -p "$run"
echo
echo "== tollgate render --manifests examples --output $run/rendered"
"$bin" render --manifests examples --output "$run/rendered"
echo
scripts/backends.sh start examples "$run/backends"
for conf in "$run"/rendered/*/*/nginx.conf; do
  gw="$(basename "$(dirname "$(dirname "$conf")")")-$(basename "$(dirname "$conf")")"
  mkdir -p "$run/nginx-$gw"
  nginx -p "$run/nginx-$gw/" -c "$conf"
  pids+=("$(cat "$run/nginx-$gw/nginx.pid")")
  echo "nginx for Gateway $gw running (pid ${pids[-1]}, config $(dirname "$conf"))"
done
set +e
scripts/replay-guides.sh examples "$run/backends"
replay=$?
set -e
echo
echo "== tollgate status --manifests examples"
"$bin" status --manifests examples
if [ $serve = 1 ]; then
  echo
  echo "Serving the examples: https://cafe.example.com:8443 and :9443 (client certificates in"
  echo "examples/frontend-mtls/generated/pem), http://secure-app.example.com:8080. Ctrl-C stops."
  while true; do sleep 3600; done
fi
exit $replay
