#!/usr/bin/env bash
# Creates the certificates the two mTLS guides get from cert-manager, without
# a cluster, using only openssl and base64.
#
#   examples/make-certs.sh [--force] [--out-root DIR]
#
# Output (DIR defaults to the examples dir that holds this script):
#   DIR/frontend-mtls/generated/secrets.yaml   Secrets of type kubernetes.io/tls
#   DIR/frontend-mtls/generated/pem/NAME.{crt,key,ca.crt}
#   DIR/frontend-mtls/generated/pem/other-ca-client.{crt,key,ca.crt}
#   DIR/backend-mtls/generated/secrets.yaml
#   DIR/backend-mtls/generated/pem/NAME.{crt,key,ca.crt}
#
# Like cert-manager: CA certs are self-signed (CN LocalCA, isCA) and their
# Secret holds the CA itself in tls.crt and ca.crt; leaf certs are signed by
# the CA issuer, tls.crt is the leaf, ca.crt the issuing CA. RSA 2048 keys
# (PKCS#1, cert-manager's default), 90-day validity.
#
# When DIR is not the examples dir, the example manifests (*.yaml) are copied
# into DIR/<example>/ unless already present, so DIR is a complete example tree.
#
# Idempotent: if every certificate under generated/ is valid for more than
# 7 days, prints "certificates up to date" and exits 0. --force regenerates.
# Key material is never printed.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_root="$script_dir"
force=0

usage() { echo "usage: $0 [--force] [--out-root DIR]" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --out-root)
      [ $# -ge 2 ] || { usage; exit 2; }
      out_root="$2"; shift 2 ;;
    --out-root=*) out_root="${1#--out-root=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "make-certs.sh: unknown argument: $1" >&2; usage; exit 2 ;;
  esac
done

for tool in openssl base64; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-certs.sh: '$tool' is required but not installed" >&2; exit 1; }
done

mkdir -p "$out_root"
out_root="$(cd "$out_root" && pwd)"

DAYS=90
MIN_VALID_SECONDS=$((7 * 24 * 3600))

FRONT_NS=frontend-mtls
BACK_NS=backend-mtls
FRONT_SECRETS=(default-validation-ca-secret per-port-validation-ca-secret cafe-secret nginx-secret-default nginx-secret-per-port)
BACK_SECRETS=(app-tls-secret gateway-presents-this-cert-for-validation backend-cert)

# ---------------------------------------------------------------- up to date?
all_valid() {
  local ex name f
  for ex in "$FRONT_NS" "$BACK_NS"; do
    [ -s "$out_root/$ex/generated/secrets.yaml" ] || return 1
  done
  for name in "${FRONT_SECRETS[@]}" other-ca-client; do
    for f in "$name.crt" "$name.key" "$name.ca.crt"; do
      [ -s "$out_root/$FRONT_NS/generated/pem/$f" ] || return 1
    done
  done
  for name in "${BACK_SECRETS[@]}"; do
    for f in "$name.crt" "$name.key" "$name.ca.crt"; do
      [ -s "$out_root/$BACK_NS/generated/pem/$f" ] || return 1
    done
  done
  for f in "$out_root/$FRONT_NS/generated/pem/"*.crt "$out_root/$BACK_NS/generated/pem/"*.crt; do
    openssl x509 -in "$f" -noout -checkend "$MIN_VALID_SECONDS" >/dev/null 2>&1 || return 1
  done
  return 0
}

copy_manifests() {
  local ex src dst
  [ "$out_root" = "$script_dir" ] && return 0
  for ex in "$FRONT_NS" "$BACK_NS"; do
    mkdir -p "$out_root/$ex"
    for src in "$script_dir/$ex/"*.yaml; do
      [ -e "$src" ] || continue
      dst="$out_root/$ex/$(basename "$src")"
      [ -e "$dst" ] || cp "$src" "$dst"
    done
  done
}

copy_manifests

if [ "$force" -eq 0 ] && all_valid; then
  echo "certificates up to date"
  exit 0
fi

# ---------------------------------------------------------------- generation
umask 077
work="$(mktemp -d "$out_root/.make-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

keys="$work/keys"          # CA keys that have no Secret of their own
mkdir -p "$keys" "$work/$FRONT_NS/pem" "$work/$BACK_NS/pem"

# quiet CMD...: run openssl quietly; show its stderr (never key material) on failure
quiet() {
  "$@" 2>"$work/openssl.err" || {
    echo "make-certs.sh: failed: $*" >&2
    cat "$work/openssl.err" >&2
    return 1
  }
}

new_key() { # new_key FILE
  quiet openssl genrsa -traditional -out "$1" 2048
}

serial() { echo "0x$(openssl rand -hex 16)"; }

# new_ca KEY CRT CN : self-signed CA certificate (cert-manager isCA: true)
new_ca() {
  local key="$1" crt="$2" cn="$3"
  new_key "$key"
  quiet openssl req -x509 -new -key "$key" -out "$crt" -days "$DAYS" -sha256 \
    -set_serial "$(serial)" -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -addext "subjectKeyIdentifier=hash" \
    -addext "authorityKeyIdentifier=keyid:always"
}

# new_leaf KEY CRT CN DNS CA_CRT CA_KEY : leaf signed by CA (DNS may be empty)
new_leaf() {
  local key="$1" crt="$2" cn="$3" dns="$4" ca_crt="$5" ca_key="$6"
  local csr="$work/leaf.csr" ext="$work/leaf.ext"
  new_key "$key"
  quiet openssl req -new -key "$key" -out "$csr" -subj "/CN=$cn"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    if [ -n "$dns" ]; then echo "subjectAltName=DNS:$dns"; fi
  } >"$ext"
  quiet openssl x509 -req -in "$csr" -out "$crt" -days "$DAYS" -sha256 \
    -CA "$ca_crt" -CAkey "$ca_key" -set_serial "$(serial)" -extfile "$ext"
  rm -f "$csr" "$ext"
}

# pem_ca_secret NS NAME CN : CA whose own Secret holds it (selfSigned issuer)
pem_ca_secret() {
  local d="$work/$1/pem" name="$2" cn="$3"
  new_ca "$d/$name.key" "$d/$name.crt" "$cn"
  cp "$d/$name.crt" "$d/$name.ca.crt"
}

# pem_leaf_secret NS NAME CN DNS CA_CRT CA_KEY
pem_leaf_secret() {
  local d="$work/$1/pem" name="$2"
  new_leaf "$d/$name.key" "$d/$name.crt" "$3" "$4" "$5" "$6"
  cp "$5" "$d/$name.ca.crt"
}

b64() { base64 -w0 <"$1"; }

# secret_yaml NS NAME CERTIFICATE ISSUER ISSUER_KIND
secret_yaml() {
  local ns="$1" name="$2" d="$work/$1/pem"
  cat <<EOF
---
apiVersion: v1
kind: Secret
metadata:
  name: $name
  namespace: $ns
  annotations:
    cert-manager.io/certificate-name: $3
    cert-manager.io/issuer-name: $4
    cert-manager.io/issuer-kind: $5
    cert-manager.io/issuer-group: cert-manager.io
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$d/$name.crt")
  tls.key: $(b64 "$d/$name.key")
  ca.crt: $(b64 "$d/$name.ca.crt")
EOF
}

# ---- frontend guide ("Securing frontend client traffic using mutual TLS")
F="$work/$FRONT_NS/pem"
pem_ca_secret "$FRONT_NS" default-validation-ca-secret LocalCA     # ca-certificate-default
pem_ca_secret "$FRONT_NS" per-port-validation-ca-secret LocalCA    # ca-certificate-per-port
# gateway-certificate: the guide signs it with the selfsigned-issuer; here a
# separate self-signed CA signs it so clients can verify it with ca.crt.
new_ca "$keys/cafe-selfsigned-ca.key" "$keys/cafe-selfsigned-ca.crt" "LocalCA"
pem_leaf_secret "$FRONT_NS" cafe-secret cafe.example.com cafe.example.com \
  "$keys/cafe-selfsigned-ca.crt" "$keys/cafe-selfsigned-ca.key"
pem_leaf_secret "$FRONT_NS" nginx-secret-default cafe.example.com cafe.example.com \
  "$F/default-validation-ca-secret.crt" "$F/default-validation-ca-secret.key"
pem_leaf_secret "$FRONT_NS" nginx-secret-per-port cafe.example.com cafe.example.com \
  "$F/per-port-validation-ca-secret.crt" "$F/per-port-validation-ca-secret.key"
# Not in the guide: a client cert from an unrelated CA, for "other CA fails" tests.
new_ca "$keys/other-ca.key" "$keys/other-ca.crt" "OtherCA"
new_leaf "$F/other-ca-client.key" "$F/other-ca-client.crt" cafe.example.com cafe.example.com \
  "$keys/other-ca.crt" "$keys/other-ca.key"
cp "$keys/other-ca.crt" "$F/other-ca-client.ca.crt"

{
  echo "# Generated by examples/make-certs.sh; replaces the guide's cert-manager Certificates."
  secret_yaml "$FRONT_NS" default-validation-ca-secret ca-certificate-default selfsigned-issuer Issuer
  secret_yaml "$FRONT_NS" per-port-validation-ca-secret ca-certificate-per-port selfsigned-issuer Issuer
  secret_yaml "$FRONT_NS" cafe-secret gateway-certificate selfsigned-issuer Issuer
  secret_yaml "$FRONT_NS" nginx-secret-default nginx-cert-default default-validation-issuer Issuer
  secret_yaml "$FRONT_NS" nginx-secret-per-port nginx-cert-per-port per-port-validation-issuer Issuer
} >"$work/$FRONT_NS/secrets.yaml"

# ---- backend guide ("Securing backend traffic using mutual TLS")
new_ca "$keys/local-ca.key" "$keys/local-ca.crt" LocalCA          # local-ca (local-ca-issuer)
pem_leaf_secret "$BACK_NS" app-tls-secret secure-app.example.com secure-app.example.com \
  "$keys/local-ca.crt" "$keys/local-ca.key"                         # secure-app-cert
pem_leaf_secret "$BACK_NS" gateway-presents-this-cert-for-validation gateway gateway \
  "$keys/local-ca.crt" "$keys/local-ca.key"                         # gateway-client-cert
pem_leaf_secret "$BACK_NS" backend-cert secure-app.example.com secure-app.example.com \
  "$keys/local-ca.crt" "$keys/local-ca.key"                         # backend-ca-ref

{
  echo "# Generated by examples/make-certs.sh; replaces the guide's cert-manager Certificates."
  secret_yaml "$BACK_NS" app-tls-secret secure-app-cert local-ca-issuer ClusterIssuer
  secret_yaml "$BACK_NS" gateway-presents-this-cert-for-validation gateway-client-cert local-ca-issuer ClusterIssuer
  secret_yaml "$BACK_NS" backend-cert backend-ca-ref local-ca-issuer ClusterIssuer
} >"$work/$BACK_NS/secrets.yaml"

# ---- sanity: every leaf verifies against its ca.crt
for f in "$work/$FRONT_NS/pem/"*.ca.crt "$work/$BACK_NS/pem/"*.ca.crt; do
  leaf="${f%.ca.crt}.crt"
  openssl verify -CAfile "$f" "$leaf" >/dev/null 2>&1 || {
    echo "make-certs.sh: internal error: $(basename "$leaf") does not verify against its ca.crt" >&2
    exit 1
  }
done

# ---- permissions and install
chmod 0600 "$work"/*/pem/*.key "$work"/*/secrets.yaml
chmod 0644 "$work"/*/pem/*.crt
for ex in "$FRONT_NS" "$BACK_NS"; do
  chmod 0755 "$work/$ex" "$work/$ex/pem"
  mkdir -p "$out_root/$ex"
  rm -rf "$out_root/$ex/generated"
  mv "$work/$ex" "$out_root/$ex/generated"
  echo "wrote $out_root/$ex/generated/secrets.yaml and pem/"
done
