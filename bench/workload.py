#!/usr/bin/env python3
"""Benchmark workload generator: Gateway API manifests of a documented shape (bench/README.md).

    python3 bench/workload.py --routes N [--gateways G] [--namespaces K] [--https-listeners L]
        [--format yaml|json] [--seed 1] --out DIR [--certs DIR] [--gateway-port-base P]
        [--backend-port P] [--backend-tls-port P] [--endpoints E] [--ngf]

Writes DIR/infra.{yaml,json} (GatewayClass, Namespaces, Gateways, listener certificates as
Secrets, client CAs for frontend mTLS) and one file per route namespace (Services, EndpointSlices,
BackendTLSPolicy, CA ConfigMap, HTTPRoutes). The output is a pure function of the arguments (and of
the certificates, which are made once with `openssl` and cached in --certs). DIR is emptied of
*.yaml / *.json first. Prints one summary line (JSON) on stdout.

Stdlib only, so process benchmarks can import it: `shape(args)` returns {file name: [objects]}.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys

CONTROLLER = "tollgate.dev/gateway-controller"
GW_API = "gateway.networking.k8s.io/v1"
GW_NS = "bench-gw"
DOMAIN = "bench.example"
SECURE_HOST = "secure." + DOMAIN
ROUTES_PER_SERVICE = 10
SECURE_EVERY = 50          # routes 1, 51, 101, … of each namespace go to the BackendTLSPolicy'd Service
PORTS_PER_GATEWAY = 4      # http, https, https-mtls, https-optional


# ---------------------------------------------------------------- certificates

def _openssl(*args: str) -> None:
    r = subprocess.run(["openssl", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit(f"openssl {' '.join(args[:3])}…: {r.stderr.strip()}")


class Certs:
    """PEM files in one directory, made on first use: a CA per role and leaf certificates signed
    by them. RSA 2048, 3650 days; existing files are reused (the cache). When the environment
    names a shared cache (BENCH_CERT_CACHE, set by scripts/bench.sh, which fills it before the
    parts' time budgets start), missing files are copied from there instead of made."""

    def __init__(self, directory: str):
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        shared = os.environ.get("BENCH_CERT_CACHE")
        self.shared = os.path.abspath(shared) if shared and os.path.abspath(shared) != self.dir else None

    def path(self, name: str, ext: str) -> str:
        return os.path.join(self.dir, f"{name}.{ext}")

    def _from_shared(self, name: str) -> bool:
        """Copies NAME.crt and NAME.key from the shared cache when it has both."""
        if not self.shared:
            return False
        src = [os.path.join(self.shared, f"{name}.{e}") for e in ("crt", "key")]
        if not all(os.path.exists(p) for p in src):
            return False
        for p, e in zip(src, ("crt", "key")):
            shutil.copyfile(p, self.path(name, e) + ".tmp")
            os.replace(self.path(name, e) + ".tmp", self.path(name, e))
        return True

    def ca(self, name: str, cn: str) -> str:
        crt, key = self.path(name, "crt"), self.path(name, "key")
        if not (os.path.exists(crt) and os.path.exists(key)) and not self._from_shared(name):
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", f"/CN={cn}",
                     "-keyout", key + ".tmp", "-out", crt + ".tmp",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
            os.replace(key + ".tmp", key)
            os.replace(crt + ".tmp", crt)
        return crt

    def leaf(self, name: str, ca: str, cn: str, dns: list[str], client: bool = False) -> str:
        crt, key = self.path(name, "crt"), self.path(name, "key")
        if (os.path.exists(crt) and os.path.exists(key)) or self._from_shared(name):
            return crt
        self.ca(ca, ca)
        csr, ext = self.path(name, "csr.tmp"), self.path(name, "ext.tmp")
        with open(ext, "w") as f:
            if client:
                f.write("extendedKeyUsage=clientAuth\n")
            else:
                f.write("extendedKeyUsage=serverAuth\nsubjectAltName=" + ",".join("DNS:" + d for d in dns) + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", key + ".tmp", "-out", csr)
        _openssl("x509", "-req", "-in", csr, "-CA", self.path(ca, "crt"), "-CAkey", self.path(ca, "key"),
                 "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "3650", "-extfile", ext,
                 "-out", crt + ".tmp")
        os.remove(csr)
        os.remove(ext)
        os.replace(key + ".tmp", key)
        os.replace(crt + ".tmp", crt)
        return crt

    def read(self, name: str, ext: str) -> str:
        with open(self.path(name, ext)) as f:
            return f.read()

    def b64(self, name: str, ext: str) -> str:
        return base64.b64encode(self.read(name, ext).encode()).decode()


# ---------------------------------------------------------------- objects

def meta(name: str, namespace: str | None = None, labels: dict | None = None) -> dict:
    m: dict = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    if labels:
        m["labels"] = labels
    return m


def tls_secret(certs: Certs, name: str, namespace: str, pem: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta(name, namespace), "type": "kubernetes.io/tls",
            "data": {"tls.crt": certs.b64(pem, "crt"), "tls.key": certs.b64(pem, "key")}}


def ca_secret(certs: Certs, name: str, namespace: str, pem: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta(name, namespace), "type": "Opaque",
            "data": {"ca.crt": certs.b64(pem, "crt")}}


def ca_configmap(certs: Certs, name: str, namespace: str, pem: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, namespace),
            "data": {"ca.crt": certs.read(pem, "crt")}}


def namespace_obj(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name, labels={"bench.tollgate.dev/role": "routes"})}


def service(name: str, namespace: str, port: int, target: int, port_name: str = "http") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, namespace),
            "spec": {"ports": [{"name": port_name, "port": port, "targetPort": target, "protocol": "TCP"}]}}


def endpoint_slice(service_name: str, namespace: str, port: int, addresses: list[str], port_name: str = "http") -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": meta(service_name + "-1", namespace, {"kubernetes.io/service-name": service_name}),
            "addressType": "IPv4", "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addresses]}


class Layout:
    """Where listeners and routes go; shared by the generator and by process benchmarks."""

    def __init__(self, gateways: int, https_listeners: int, port_base: int):
        self.gateways = gateways
        self.https_listeners = https_listeners
        self.port_base = port_base

    def ports(self, g: int) -> dict:
        b = self.port_base + PORTS_PER_GATEWAY * g
        return {"http": b, "https": b + 1, "https-mtls": b + 2, "https-optional": b + 3}

    def listeners_of(self, g: int) -> list[int]:
        """Indices of the HTTPS listeners of Gateway g (listener i belongs to Gateway i % G)."""
        return list(range(g, self.https_listeners, self.gateways))

    def listener_kind(self, i: int) -> str:
        return ("https", "https-mtls", "https-optional")[(i // self.gateways) % 3]

    @staticmethod
    def listener_host(i: int) -> str:
        return f"s{i}.{DOMAIN}"

    def route_host(self, r: int) -> str:
        g = r % self.gateways
        mine = self.listeners_of(g)
        if not mine:
            return f"h{(r // self.gateways) % 50}.{DOMAIN}"
        return self.listener_host(mine[(r // self.gateways) % len(mine)])


def gateway_obj(layout: Layout, g: int) -> dict:
    ports = layout.ports(g)
    all_ns = {"namespaces": {"from": "All"}}
    listeners = [{"name": "http", "port": ports["http"], "protocol": "HTTP", "allowedRoutes": all_ns}]
    for i in layout.listeners_of(g):
        kind = layout.listener_kind(i)
        listeners.append({"name": f"https-{i}", "port": ports[kind], "protocol": "HTTPS",
                          "hostname": layout.listener_host(i), "allowedRoutes": all_ns,
                          "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": f"listener-{i}"}]}})
    spec: dict = {"gatewayClassName": "bench", "listeners": listeners}
    if len(listeners) > 1:
        spec["tls"] = {"frontend": {
            "default": {},
            "perPort": [
                {"port": ports["https-mtls"], "tls": {"validation": {
                    "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "client-ca"}],
                    "mode": "AllowValidOnly"}}},
                {"port": ports["https-optional"], "tls": {"validation": {
                    "caCertificateRefs": [{"group": "", "kind": "Secret", "name": "client-ca-b"}],
                    "mode": "AllowInsecureFallback"}}},
            ]}}
    return {"apiVersion": GW_API, "kind": "Gateway", "metadata": meta(f"gw-{g}", GW_NS), "spec": spec}


def make_certs(certs: Certs, listeners: int) -> None:
    certs.ca("ca", "Bench CA")
    certs.ca("client-ca", "Bench client CA")
    certs.ca("client-ca-b", "Bench client CA B")
    certs.leaf("client", "client-ca", "bench-client", [], client=True)
    certs.leaf("client-b", "client-ca-b", "bench-client-b", [], client=True)
    certs.leaf("backend", "ca", SECURE_HOST, [SECURE_HOST])
    for i in range(listeners):
        certs.leaf(f"listener-{i}", "ca", Layout.listener_host(i), [Layout.listener_host(i)])


def standard_shape(a, certs: Certs) -> dict[str, list[dict]]:
    rng = random.Random(a.seed)
    layout = Layout(a.gateways, a.https_listeners, a.gateway_port_base)
    make_certs(certs, a.https_listeners)
    namespaces = [f"bench-{k}" for k in range(a.namespaces)]
    infra: list[dict] = [
        {"apiVersion": GW_API, "kind": "GatewayClass", "metadata": meta("bench"), "spec": {"controllerName": CONTROLLER}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(GW_NS)},
    ] + [namespace_obj(ns) for ns in namespaces]
    infra += [gateway_obj(layout, g) for g in range(a.gateways)]
    infra.append(ca_configmap(certs, "client-ca", GW_NS, "client-ca"))
    infra.append(ca_secret(certs, "client-ca-b", GW_NS, "client-ca-b"))
    infra += [tls_secret(certs, f"listener-{i}", GW_NS, f"listener-{i}") for i in range(a.https_listeners)]
    files = {"infra": infra}

    per_ns: dict[str, list[int]] = {ns: [] for ns in namespaces}
    for r in range(a.routes):
        per_ns[namespaces[r % a.namespaces]].append(r)
    backend_port = a.backend_port or 8080
    tls_port = a.backend_tls_port or a.backend_port or 8443
    for k, ns in enumerate(namespaces):
        routes = per_ns[ns]
        objs: list[dict] = []
        n_services = max(1, (len(routes) + ROUTES_PER_SERVICE - 1) // ROUTES_PER_SERVICE)
        for s in range(n_services):
            if a.backend_port:
                addresses = [f"127.0.0.{e + 1}" for e in range(a.endpoints)]
            else:
                base = k * 4096 + s * a.endpoints
                addresses = [f"10.{(base + e) // 64516 % 256}.{(base + e) // 254 % 256}.{(base + e) % 254 + 1}" for e in range(a.endpoints)]
            rng.shuffle(addresses)
            objs.append(service(f"svc-{s}", ns, 80, backend_port))
            objs.append(endpoint_slice(f"svc-{s}", ns, backend_port, addresses))
        objs.append(service("secure", ns, 443, tls_port, "https"))
        objs.append(endpoint_slice("secure", ns, tls_port, ["127.0.0.1"] if a.backend_port else [f"10.255.{k % 256}.1"], "https"))
        objs.append(ca_configmap(certs, "backend-ca", ns, "ca"))
        objs.append({"apiVersion": GW_API, "kind": "BackendTLSPolicy", "metadata": meta("secure-tls", ns),
                     "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "secure"}],
                              "validation": {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "backend-ca"}],
                                             "hostname": SECURE_HOST}}})
        for j, r in enumerate(routes):
            objs.append(route_obj(layout, r, ns, j, rng))
        files[ns] = objs
    return files


def route_obj(layout: Layout, r: int, ns: str, j: int, rng: random.Random) -> dict:
    g = r % layout.gateways
    secure = j % SECURE_EVERY == 1
    backend = {"name": "secure", "port": 443} if secure else {"name": f"svc-{j // ROUTES_PER_SERVICE}", "port": 80}
    rule: dict = {
        "matches": [
            {"path": {"type": "PathPrefix", "value": f"/r{r}"}},
            {"path": {"type": "Exact", "value": f"/x/r{r}"},
             "headers": [{"name": "X-Version", "value": f"v{rng.randrange(3)}"}]},
        ],
        "backendRefs": [backend],
    }
    return {"apiVersion": GW_API, "kind": "HTTPRoute", "metadata": meta(f"route-{r}", ns),
            "spec": {"parentRefs": [{"name": f"gw-{g}", "namespace": GW_NS}],
                     "hostnames": [layout.route_host(r)], "rules": [rule]}}


def ngf_shape(a, certs: Certs) -> dict[str, list[dict]]:
    """NGINX Gateway Fabric's reconfiguration test: N namespaces × (coffee, tea) × 3 routes on one
    TLS Gateway whose certificate lives in another namespace behind a ReferenceGrant."""
    n = a.namespaces
    http_port, https_port = a.gateway_port_base, a.gateway_port_base + 1
    backend_port = a.backend_port or 8080
    certs.ca("ca", "Bench CA")
    certs.leaf("ngf-wildcard", "ca", "*.example.com", ["*.example.com"])
    namespaces = [f"ngf-{k}" for k in range(n)]
    infra: list[dict] = [
        {"apiVersion": GW_API, "kind": "GatewayClass", "metadata": meta("bench"), "spec": {"controllerName": CONTROLLER}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("ngf-gw")},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("certificate")},
    ] + [namespace_obj(ns) for ns in namespaces]
    all_ns = {"namespaces": {"from": "All"}}
    infra.append({"apiVersion": GW_API, "kind": "Gateway", "metadata": meta("gateway", "ngf-gw"), "spec": {
        "gatewayClassName": "bench",
        "listeners": [
            {"name": "http", "port": http_port, "protocol": "HTTP", "hostname": "*.example.com", "allowedRoutes": all_ns},
            {"name": "https", "port": https_port, "protocol": "HTTPS", "hostname": "*.example.com", "allowedRoutes": all_ns,
             "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "cafe-secret", "namespace": "certificate"}]}},
        ]}})
    infra.append(tls_secret(certs, "cafe-secret", "certificate", "ngf-wildcard"))
    infra.append({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
                  "metadata": meta("access-to-cafe-secret", "certificate"),
                  "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "ngf-gw"}],
                           "to": [{"group": "", "kind": "Secret", "name": "cafe-secret"}]}})
    files = {"infra": infra}
    for k, ns in enumerate(namespaces):
        host = f"cafe-{k}.example.com"
        objs: list[dict] = []
        for app in ("coffee", "tea"):
            addr = ["127.0.0.1"] if a.backend_port else [f"10.{k // 256}.{k % 256}.{1 if app == 'coffee' else 2}"]
            objs.append(service(app, ns, 80, backend_port))
            objs.append(endpoint_slice(app, ns, backend_port, addr))
        # NGF's third route redirects HTTP to HTTPS; Tollgate does not support filters yet, so the
        # third route serves /coffee over plain HTTP instead (same object count, same listener).
        objs.append({"apiVersion": GW_API, "kind": "HTTPRoute", "metadata": meta("cafe-http", ns), "spec": {
            "parentRefs": [{"name": "gateway", "namespace": "ngf-gw", "sectionName": "http"}], "hostnames": [host],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/coffee"}}],
                       "backendRefs": [{"name": "coffee", "port": 80}]}]}})
        for app in ("coffee", "tea"):
            objs.append({"apiVersion": GW_API, "kind": "HTTPRoute", "metadata": meta(app, ns), "spec": {
                "parentRefs": [{"name": "gateway", "namespace": "ngf-gw", "sectionName": "https"}], "hostnames": [host],
                "rules": [{"matches": [{"path": {"type": "PathPrefix" if app == "coffee" else "Exact", "value": f"/{app}"}}],
                           "backendRefs": [{"name": app, "port": 80}]}]}})
        files[ns] = objs
    return files


# ---------------------------------------------------------------- output

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def yaml_scalar(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _RESERVED:
        return s
    return json.dumps(s)


def yaml_lines(v, indent: int, out: list[str]) -> None:
    """Block-style YAML; multi-line strings as literal blocks."""
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append(f"{pad}{k}:")
                yaml_lines(x, indent + 2 if isinstance(x, dict) else indent, out)
            elif isinstance(x, dict):
                out.append(f"{pad}{k}: {{}}")
            elif isinstance(x, list):
                out.append(f"{pad}{k}: []")
            elif isinstance(x, str) and "\n" in x:
                out.append(f"{pad}{k}: |")
                out.extend(pad + "  " + line for line in x.rstrip("\n").split("\n"))
            else:
                out.append(f"{pad}{k}: {yaml_scalar(x)}")
    else:
        for x in v:
            if isinstance(x, dict) and x:
                sub: list[str] = []
                yaml_lines(x, indent + 2, sub)
                sub[0] = pad + "- " + sub[0][indent + 2:]
                out.extend(sub)
            else:
                out.append(f"{pad}- {yaml_scalar(x)}")


def to_yaml(objs: list[dict]) -> str:
    docs = []
    for o in objs:
        lines: list[str] = []
        yaml_lines(o, 0, lines)
        docs.append("\n".join(lines) + "\n")
    return "---\n".join(docs)


def to_json(objs: list[dict]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}, indent=1) + "\n"


def write(files: dict[str, list[dict]], out: str, fmt: str) -> dict:
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith((".yaml", ".json")):
            os.remove(os.path.join(out, name))
    total = 0
    for name, objs in files.items():
        text = to_yaml(objs) if fmt == "yaml" else to_json(objs)
        path = os.path.join(out, f"{name}.{fmt}")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        total += len(text.encode())
    kinds: dict[str, int] = {}
    for objs in files.values():
        for o in objs:
            kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    return {"files": len(files), "bytes": total, "objects": kinds}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--routes", type=int, default=1000)
    p.add_argument("--gateways", type=int, default=4)
    p.add_argument("--namespaces", type=int, default=None, help="default 10 (150 with --ngf)")
    p.add_argument("--https-listeners", type=int, default=64)
    p.add_argument("--format", choices=["yaml", "json"], default="yaml")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--certs", default=None, help="certificate cache (default OUT/../certs)")
    p.add_argument("--gateway-port-base", type=int, default=20000)
    p.add_argument("--backend-port", type=int, default=None,
                   help="endpoints are 127.0.0.1..E on this port (default 10.x addresses, port 8080)")
    p.add_argument("--backend-tls-port", type=int, default=None,
                   help="the BackendTLSPolicy'd Services' endpoint port (default --backend-port)")
    p.add_argument("--endpoints", type=int, default=3, help="endpoints per EndpointSlice")
    p.add_argument("--ngf", action="store_true", help="NGINX Gateway Fabric's reconfiguration shape")
    a = p.parse_args(argv)
    if a.namespaces is None:
        a.namespaces = 150 if a.ngf else 10
    if a.gateways < 1 or a.namespaces < 1 or a.routes < 0 or a.https_listeners < 0 or a.endpoints < 1:
        p.error("counts must be positive")
    if a.certs is None:
        a.certs = os.path.join(os.path.dirname(os.path.abspath(a.out)), "certs")
    return a


def shape(a) -> dict[str, list[dict]]:
    certs = Certs(a.certs)
    return ngf_shape(a, certs) if a.ngf else standard_shape(a, certs)


def main(argv=None) -> int:
    a = parse_args(argv)
    summary = write(shape(a), a.out, a.format)
    summary.update({"out": os.path.abspath(a.out), "certs": os.path.abspath(a.certs), "format": a.format})
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
