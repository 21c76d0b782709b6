#!/usr/bin/env bash
# Regenerates the static certificates the golden fixtures use, as Secret/ConfigMap manifests in
# Tests/TollgateTests/Fixtures/golden/shared/secrets.yaml. Run once; the output is committed, and
# every golden case's expected files embed these bytes, so regenerate only on purpose (then run
# scripts/update-golden.sh). Long-lived certificates (100 years) keep fixtures stable; the
# "expiring" certificate is valid 20 days from generation and cases that use it pin `now`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/Tests/TollgateTests/Fixtures/golden/shared"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
ca() { # name cn
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.crt" \
    -subj "/CN=$2" -days 36500 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # name ca cn san days
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$3" 2>/dev/null
  printf "subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -out "$1.crt" -days "$5" -extfile "$1.ext" 2>/dev/null
}
ca ca-a "Fixture CA A"; ca ca-b "Fixture CA B"
leaf cafe ca-a cafe.example.com "DNS:cafe.example.com,DNS:*.example.com" 36500
leaf client-a ca-a client-a "DNS:client-a" 36500
leaf gateway-client ca-a gateway "DNS:gateway" 36500
leaf expiring ca-a expiring.example.com "DNS:expiring.example.com" 20
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out /dev/null -subj /CN=other 2>/dev/null
b64() { base64 -w0 < "$1"; }
{
  echo "# Static test certificates for the golden fixtures (scripts/make-fixture-certs.sh)."
  echo "# Generated $(date -u +%Y-%m-%dT%H:%M:%SZ); 'expiring-tls' expires $(openssl x509 -in expiring.crt -noout -enddate | cut -d= -f2)."
  for ns in default other; do
    cat <<Y
---
apiVersion: v1
kind: Secret
metadata: {name: cafe-tls, namespace: $ns}
type: kubernetes.io/tls
data: {tls.crt: $(b64 cafe.crt), tls.key: $(b64 cafe.key), ca.crt: $(b64 ca-a.crt)}
Y
  done
  cat <<Y
---
apiVersion: v1
kind: Secret
metadata: {name: ca-a, namespace: default}
type: Opaque
data: {ca.crt: $(b64 ca-a.crt)}
---
apiVersion: v1
kind: Secret
metadata: {name: ca-b, namespace: default}
type: Opaque
data: {ca.crt: $(b64 ca-b.crt)}
---
apiVersion: v1
kind: Secret
metadata: {name: ca-a, namespace: other}
type: Opaque
data: {ca.crt: $(b64 ca-a.crt)}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ca-b-configmap, namespace: default}
data:
  ca.crt: |
$(sed 's/^/    /' ca-b.crt)
---
apiVersion: v1
kind: Secret
metadata: {name: gateway-client, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: $(b64 gateway-client.crt), tls.key: $(b64 gateway-client.key)}
---
apiVersion: v1
kind: Secret
metadata: {name: expiring-tls, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: $(b64 expiring.crt), tls.key: $(b64 expiring.key)}
---
apiVersion: v1
kind: Secret
metadata: {name: mismatched-key-tls, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: $(b64 cafe.crt), tls.key: $(b64 other.key)}
---
apiVersion: v1
kind: Secret
metadata: {name: malformed-tls, namespace: default}
type: kubernetes.io/tls
stringData:
  tls.crt: "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
  tls.key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
---
apiVersion: v1
kind: Secret
metadata: {name: no-ca-key, namespace: default}
type: Opaque
stringData: {other: value}
---
apiVersion: v1
kind: Secret
metadata: {name: empty-ca, namespace: default}
type: Opaque
stringData: {ca.crt: ""}
Y
} > "$out/secrets.yaml"
# Client certificates for hand testing the fixtures (not loaded by tests).
echo "wrote $out/secrets.yaml"
