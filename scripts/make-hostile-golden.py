#!/usr/bin/env python3
"""Writes the inputs of the hostile golden cases (Tests/TollgateTests/Fixtures/golden/hostile-*).

Some inputs are long or full of characters that are awkward to type (a 2,100-dot header value,
a 253-character policy name), so they are generated; the generated YAML is committed and is what
the tests read. Re-run after editing this file, then `scripts/update-golden.sh` and review.
"""
import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TollgateTests", "Fixtures", "golden")

CLASS = """apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: nginx}
spec: {controllerName: tollgate.dev/gateway-controller}
"""

GATEWAY = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway, namespace: default}
spec:
  gatewayClassName: nginx
  listeners:
  - {name: http, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
"""

BACKEND = """apiVersion: v1
kind: Service
metadata: {name: app, namespace: default}
spec:
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: app-1, namespace: default, labels: {kubernetes.io/service-name: app}}
addressType: IPv4
ports: [{name: http, port: 18081}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
"""

# The route of the other team: it must keep rendering whatever the hostile object does.
GOOD_ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: default}
spec:
  parentRefs: [{name: gateway}]
  hostnames: [good.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /good}}]
    backendRefs: [{name: app, port: 80}]
"""


def q(s):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s)


def route(name, hostnames=None, matches=None, backend_refs=None, namespace="default"):
    spec = {"parentRefs": [{"name": "gateway", "namespace": "default"}]}
    if hostnames:
        spec["hostnames"] = hostnames
    rule = {}
    if matches is not None:
        rule["matches"] = matches
    rule["backendRefs"] = backend_refs if backend_refs is not None else [{"name": "app", "namespace": "default", "port": 80}]
    spec["rules"] = [rule]
    doc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
           "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return json.dumps(doc, indent=2) + "\n"


def write(case, comment, docs):
    d = os.path.join(ROOT, case, "input")
    os.makedirs(d, exist_ok=True)
    text = "".join("# " + line + "\n" for line in comment.strip().splitlines())
    text += "---\n".join(docs)
    with open(os.path.join(d, "manifests.yaml"), "w") as f:
        f.write(text)


INJECTION = "x\nserver { listen 127.0.0.1:18099; root /; autoindex on; }\n#"

write("hostile-header-value-injection", """
An HTTPRoute header match whose value carries a newline and a whole NGINX server block (the
ingress-nginx CVE-2025-1097 class). The CRD's experimental pattern ^[!-~]+([\\t ]?[!-~]+)*$ refuses
it, so admission refuses the route like kubectl apply would: expected/diagnostics.txt names the
file, the document and spec.rules[0].matches[0].headers[0].value; the route does not exist for the
graph. A value with quotes, braces, ;, # and $ that the pattern allows is accepted and rendered as
one quoted regular expression (route quoted). Route good is unaffected; the config passes nginx -t.
""", [CLASS, GATEWAY, BACKEND, GOOD_ROUTE,
      route("inject", ["inject.example.com"], [{"headers": [{"name": "x-inject", "value": INJECTION}]}]),
      route("quoted", ["quoted.example.com"], [{"headers": [{"name": "x-q", "value": "a\";}{#$x\\'`~"}]}])])

write("hostile-names", """
Names with newlines, ; and braces in a listener name, a route name, a Gateway name, a namespace and
an EndpointSlice address (directory mode has no API server in front of it). Admission refuses each
object with an error naming file, document and field (metadata.name, spec.listeners[0].name,
metadata.namespace, endpoints[0].addresses[0]); none of them exists for the graph, nothing of them
reaches the configuration, and Gateway gateway still serves route good.
""", [CLASS, GATEWAY, BACKEND, GOOD_ROUTE,
      route("evil\nserver {", ["a.example.com"]),
      """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: listener-name, namespace: default}
spec:
  gatewayClassName: nginx
  listeners:
  - {name: "http;\\n}", port: 8081, protocol: HTTP}
""",
      """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: "gw;evil", namespace: default}
spec:
  gatewayClassName: nginx
  listeners:
  - {name: http, port: 8082, protocol: HTTP}
""",
      route("dotdot", ["dotdot.example.com"], namespace=".."),
      """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: app-evil, namespace: default, labels: {kubernetes.io/service-name: app}}
addressType: IPv4
ports: [{name: http, port: 18081}]
endpoints: [{addresses: ["127.0.0.1:1; } server { listen 18099"]}]
"""])

write("hostile-unexpressible", """
Objects valid for the API but not expressible in NGINX degrade only themselves:
- route long-header: a header value of 2,100 dots (one NGINX token over 4 KiB once escaped),
- route reserved-path: an Exact path under /_tollgate/, which Tollgate reserves for internal locations,
- route underscore-header: a header name with _ (NGINX drops such headers, so it could never match).
Each gets Accepted=False UnsupportedValue naming the field and is not rendered. Route long-host has
a 250-character hostname and is served (server_names_hash_bucket_size fits any DNS name). Route
good renders; the Gateway's configuration passes nginx -t.
""", [CLASS, GATEWAY, BACKEND, GOOD_ROUTE,
      route("long-header", ["long-header.example.com"], [{"headers": [{"name": "x-dots", "value": "." * 2100}]}]),
      route("reserved-path", ["reserved.example.com"], [{"path": {"type": "Exact", "value": "/_tollgate/status/404"}}]),
      route("underscore-header", ["underscore.example.com"], [{"headers": [{"name": "x_api_key", "value": "k"}]}]),
      route("long-host", [".".join(["h" * 62] * 4)[:250].rstrip(".")])])

LONG = ("p" * 60 + ".") * 4
LONG = LONG[:253].rstrip(".")
write("hostile-long-names", """
The longest names the API allows: a BackendTLSPolicy, Service and route of 253 characters and a
namespace of 63. File names and NGINX identifiers are derived (shortened, with a hash), so nothing
is too long for the file system or NGINX, and two long names that share a prefix never collide.
Expected: everything accepted, backend TLS rendered, nginx -t passes.
""", [CLASS, GATEWAY, BACKEND,
      """apiVersion: v1
kind: Namespace
metadata: {name: %s}
""" % ("n" * 63),
      """apiVersion: v1
kind: Service
metadata: {name: %s, namespace: default}
spec:
  ports: [{name: https, port: 443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: long-1, namespace: default, labels: {kubernetes.io/service-name: %s}}
addressType: IPv6
ports: [{name: https, port: 18443}]
endpoints: [{addresses: ["::1"]}]
""" % ("s" + "x" * 62, "s" + "x" * 62),
      """apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: %s, namespace: default}
spec:
  targetRefs: [{group: "", kind: Service, name: %s}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: ca-b-configmap}]
    hostname: secure.example.com
""" % (LONG, "s" + "x" * 62),
      route(LONG, ["long.example.com"], backend_refs=[{"name": "s" + "x" * 62, "namespace": "default", "port": 443}]),
      route("r" * 63, ["ns.example.com"], namespace="n" * 63,
            backend_refs=[{"name": "app", "namespace": "default", "port": 80}])])

write("hostile-crash-inputs", """
Inputs that used to crash the controller for every Gateway: a Gateway address 1.1.1.½ (a non-ASCII
digit), a backendRef weight of 10^15, and metadata.generation Int64.max. Admission refuses each
(spec.addresses[0].value, spec.rules[0].backendRefs[0].weight, metadata.generation); the rest of
the input is served.
""", [CLASS, GATEWAY, BACKEND, GOOD_ROUTE,
      """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: half, namespace: default}
spec:
  gatewayClassName: nginx
  addresses: [{type: IPAddress, value: "1.1.1.½"}]
  listeners:
  - {name: http, port: 8083, protocol: HTTP}
""",
      route("heavy", ["heavy.example.com"], backend_refs=[{"name": "app", "namespace": "default", "port": 80, "weight": 1000000000000000}]),
      """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: old, namespace: default, generation: 9223372036854775807}
spec:
  parentRefs: [{name: gateway}]
  hostnames: [old.example.com]
  rules:
  - backendRefs: [{name: app, port: 80}]
"""])

write("hostile-path-characters", """
Paths the CRD allows that contain NGINX's special characters: ; $ ' ( ) * + , = : @ ! & ~ and
percent-encodings. They must work (e.g. /a;b is a legitimate path): every path is written as one
quoted token, so no character can end the location or start a directive. Expected: all accepted and
rendered; nginx -t passes.
""", [CLASS, GATEWAY, BACKEND,
      route("specials", ["specials.example.com"], [
          {"path": {"type": "Exact", "value": "/a;b"}},
          {"path": {"type": "PathPrefix", "value": "/c$d/e"}},
          {"path": {"type": "PathPrefix", "value": "/f'g(h)*+,=:@!&~"}},
          {"path": {"type": "Exact", "value": "/%41%20b"}},
      ])])
print("wrote hostile cases under", os.path.normpath(ROOT))
