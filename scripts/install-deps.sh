#!/usr/bin/env bash
# Installs what Tollgate needs at run and test time from Debian, when missing:
# nginx, openssl, curl. (Swift itself is expected on the machine.)
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts a system nginx on port 80 after installing it; Tollgate runs its own.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop nginx >/dev/null 2>&1 || true; fi
if [ -x /etc/init.d/nginx ]; then $sudo /etc/init.d/nginx stop >/dev/null 2>&1 || true; fi
command -v nginx >/dev/null 2>&1 || { echo "nginx is still missing after apt-get" >&2; exit 1; }
