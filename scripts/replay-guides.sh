#!/usr/bin/env bash
# Replays both seed walkthroughs with curl against a running Tollgate: prints each request,
# what happened, and what the guide says should happen. Exit status: number of mismatches.
#   scripts/replay-guides.sh EXAMPLES_DIR [BACKENDS_RUNDIR]
set -uo pipefail
ex="${1:?usage: $0 EXAMPLES_DIR [BACKENDS_RUNDIR]}"
backends_run="${2:-}"
fe="$ex/frontend-mtls/generated/pem"
mismatches=0
bold=$(printf '\033[1m'); green=$(printf '\033[32m'); red=$(printf '\033[31m'); reset=$(printf '\033[0m')
[ -t 1 ] || { bold=""; green=""; red=""; reset=""; }

# step TITLE EXPECTATION CHECK -- CURL ARGS...
# CHECK is "status:CODE", "body:TEXT" or "transport" (curl fails, no HTTP status reaches the client).
step() {
  local title="$1" expect="$2" check="$3"; shift 4
  echo
  echo "${bold}== $title${reset}"
  echo "\$ curl $*"
  local out code rc
  out=$(curl -s --max-time 10 -w '\n%{http_code}' "$@" 2>&1); rc=$?
  code=$(printf '%s' "$out" | tail -n1); out=$(printf '%s' "$out" | sed '$d')
  if [ -n "$out" ]; then printf '%s\n' "$out" | sed 's/^/  /'; fi
  echo "  (curl exit $rc, HTTP status ${code:-none})"
  local ok=0
  case "$check" in
    status:*) [ "$code" = "${check#status:}" ] && ok=1 ;;
    body:*) [ "$rc" = 0 ] && printf '%s' "$out" | grep -qF "${check#body:}" && ok=1 ;;
    transport) [ "$rc" != 0 ] && [ "$code" = "000" ] && ok=1 ;;
  esac
  if [ $ok = 1 ]; then echo "  ${green}as the guide says:${reset} $expect"
  else echo "  ${red}NOT as the guide says:${reset} $expect"; mismatches=$((mismatches + 1)); fi
}

echo "${bold}### Frontend mTLS guide (examples/frontend-mtls): listener https = port 9443 (guide: 443, per-port CA), https-2 = port 8443 (default CA)${reset}"
step "coffee on the default-validation port with the default CA's client certificate" \
  "the request succeeds (valid client certificate signed by the trusted CA)" "body:Server name: coffee" -- \
  --resolve cafe.example.com:8443:127.0.0.1 https://cafe.example.com:8443/coffee \
  --cert "$fe/nginx-secret-default.crt" --key "$fe/nginx-secret-default.key" -k
step "tea on the per-port port with the same (default CA) certificate" \
  "curl: (92) HTTP/2 stream 1 was not closed cleanly: PROTOCOL_ERROR — fails at the transport level" "transport" -- \
  --resolve cafe.example.com:9443:127.0.0.1 https://cafe.example.com:9443/tea \
  --cert "$fe/nginx-secret-default.crt" --key "$fe/nginx-secret-default.key" -k
step "tea on the per-port port with the per-port CA's client certificate" \
  "the request succeeds and tea answers" "body:Server name: tea" -- \
  --resolve cafe.example.com:9443:127.0.0.1 https://cafe.example.com:9443/tea \
  --cert "$fe/nginx-secret-per-port.crt" --key "$fe/nginx-secret-per-port.key" -k
step "tea without any client certificate (AllowValidOnly)" \
  "connections without a valid certificate are rejected" "transport" -- \
  --resolve cafe.example.com:9443:127.0.0.1 https://cafe.example.com:9443/tea -k
step "coffee from a client without SNI (listener without hostname), routed by the Host header" \
  "the hostname-less listener terminates TLS, then the Host header routes the request" "body:Server name: coffee" -- \
  https://127.0.0.1:8443/coffee -H "Host: cafe.example.com" \
  --cert "$fe/nginx-secret-default.crt" --key "$fe/nginx-secret-default.key" -k

echo
echo "${bold}### Backend mTLS guide (examples/backend-mtls): listener http = port 8080 (guide: 80)${reset}"
step "secure-app through the Gateway: BackendTLSPolicy + the Gateway's client certificate" \
  "hello from pod secure-app" "body:hello from pod secure-app" -- \
  --resolve secure-app.example.com:8080:127.0.0.1 http://secure-app.example.com:8080/
if [ -n "$backends_run" ] && [ -f "$backends_run/secure-app-access.log" ]; then
  echo
  echo "${bold}== secure-app's access log (the guide's kubectl logs)${reset}"
  tail -n 1 "$backends_run/secure-app-access.log" | sed 's/^/  /'
  if tail -n 1 "$backends_run/secure-app-access.log" | grep -q "ssl_client_verify=SUCCESS ssl_client_subject=CN=gateway"; then
    echo "  ${green}as the guide says:${reset} ssl_client_verify=SUCCESS ssl_client_subject=CN=gateway"
  else
    echo "  ${red}NOT as the guide says:${reset} ssl_client_verify=SUCCESS ssl_client_subject=CN=gateway"; mismatches=$((mismatches + 1))
  fi
fi
echo
if [ $mismatches = 0 ]; then echo "${green}${bold}All guide steps behaved as the guides describe.${reset}"
else echo "${red}${bold}$mismatches step(s) differ from the guides.${reset}"; fi
exit $mismatches
