#!/usr/bin/env python3
"""Target 7 of issue 9: the data plane through Tollgate's generated configuration against a
minimal hand-written one, HTTP, HTTPS and HTTPS with client certificates (frontend mTLS).

    python3 bench/dataplane/run.py --bin BIN --work DIR --out FILE [--quick]
                                   [--variant NAME ...] [--protocols http,https,mtls]
                                   [--runs N] [--duration S] [--check] [--list-variants]

What it does, all on 127.0.0.1, ports 187xx only:
- certificates with openssl (a CA, a server certificate for bench.example.com, a client
  certificate), manifests for two Gateways (`gw`: HTTP and HTTPS listeners; `gw-mtls`: an HTTPS
  listener with frontend client-certificate validation), one HTTPRoute to one backend Service;
- `BIN render --manifests … --output …`, then every Gateway's tree is run the way the agent runs
  it: the tree plus the agent's `agent/version.conf` (the version probe on a Unix socket), started
  with `nginx -p RUNTIME/ -c TREE/nginx.conf -e RUNTIME/error.log -g "daemon off;"`;
- a minimal hand-written configuration with the same worker_processes, worker_connections,
  upstream keepalive, access log format and destination, TLS certificate, protocols and session
  settings, and ssl_verify_client on for the mTLS port (values read from the rendered tree);
- a backend NGINX (one worker, no access log) answering "ok" (and /echo with the request headers
  it received, for --check);
- wrk -t2 -c32 --latency against each; in each round every configuration's wrk runs at the same
  time (side by side: the shared machine's load, which drifts from second to second, meets every
  configuration alike), or with --sequential one after the other in alternating order; quick:
  5 rounds × 1 s, full: 28 rounds × 3 s; ratio = median of the per-round ratios, with min–max.
  wrk cannot present a client certificate or choose the SNI: a tiny LD_PRELOAD shim (shim.c,
  built with cc) loads the client certificate into wrk's SSL_CTX and sets the SNI, so TLS goes
  straight from wrk to the measured NGINX — no proxy hop for either configuration.

`--variant NAME` adds the generated configuration transformed by NAME (see --list-variants)
as one more interleaved configuration; `--check` compares the responses of every variant with
the generated configuration's on a request matrix (SNI × Host × client certificate), and the
headers the backend received. Every process started here is stopped on exit.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "bench.example.com"
OTHER = "other.example.com"
NS = "bench"
BACKEND_PORT = 18795
MIN_BASE = 18700          # minimal: 18700 http, 18701 https, 18702 mtls
GEN_BASE = 18710          # generated (ports come from the manifests)
VARIANT_BASE = 18720      # variant i: 18720 + 10*i …
PROTOCOLS = ("http", "https", "mtls")
# Rounds × seconds per configuration and protocol. Many short rounds: each round measures both
# configurations back to back (order alternating), so the shared machine's load, which drifts over
# seconds, falls on both sides of a round's ratio; the median over many rounds resists the bursts.
FULL_RUNS, FULL_DURATION = 28, 3
QUICK_RUNS, QUICK_DURATION = 5, 1
OFFSET = {"http": 0, "https": 1, "mtls": 2}


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

class Proc:
    """A child in its own session (its process group is its own pid), output to a log file."""

    def __init__(self, name: str, argv: list[str], logfile: str, env: Optional[dict] = None):
        self.name = name
        self.out = open(logfile, "ab")
        self.p = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True, env=env)

    def alive(self) -> bool:
        return self.p.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.kill(self.p.pid, signal.SIGTERM)
                self.p.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # The master's workers share its process group; anything left of it goes.
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.p.poll() is None:
            self.p.wait()
        self.out.close()


PROCS: list[Proc] = []
TEMP_DIRS: list[str] = []


def cleanup() -> None:
    while PROCS:
        PROCS.pop().stop()
    while TEMP_DIRS:
        shutil.rmtree(TEMP_DIRS.pop(), ignore_errors=True)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(pred: Callable[[], object], timeout: float) -> object:
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.05)


def children_of(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                if int(st.rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return kids


def cpu_ns(pids: list[int]) -> int:
    """CPU time the processes ran, in ns (/proc/PID/schedstat; NGINX workers are single-threaded)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError):
            pass
    return total


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------- certificates and manifests

def make_certs(d: str) -> None:
    """CA, server certificate (bench.example.com, other.example.com) and a client certificate;
    kept while valid for more than a day."""
    os.makedirs(d, exist_ok=True)
    files = ["ca.crt", "server.crt", "server.key", "client.crt", "client.key"]
    if all(os.path.exists(os.path.join(d, f)) for f in files):
        ok = subprocess.run(["openssl", "x509", "-in", os.path.join(d, "server.crt"), "-noout",
                             "-checkend", "86400"], capture_output=True).returncode == 0
        if ok:
            return
    o = lambda *a: run(["openssl", *a], cwd=d)
    o("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
      "-days", "30", "-subj", "/CN=Tollgate bench CA")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write(f"subjectAltName=DNS:{HOST},DNS:{OTHER}\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, cn in (("server", HOST), ("client", "bench-client")):
        o("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
          "-subj", f"/CN={cn}")
        o("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", f"{name}.crt", "-days", "30", "-extfile", f"{name}.ext")


def manifests(certs: str, shape: str = "single") -> str:
    import base64
    b64 = lambda f: base64.b64encode(open(os.path.join(certs, f), "rb").read()).decode()
    ca = "".join("    " + line for line in open(os.path.join(certs, "ca.crt")).read().splitlines(True))

    others = (("", HOST), ("-other", OTHER)) if shape == "sni" else (("", HOST),)

    def https_listeners(prefix: str, port: int) -> str:
        return "".join(f"""  - name: {prefix}{suffix}
    port: {port}
    protocol: HTTPS
    hostname: {host}
    tls:
      mode: Terminate
      certificateRefs: [{{kind: Secret, name: bench-tls}}]
""" for suffix, host in others)

    http_other = f"""  - name: http-other
    port: {GEN_BASE}
    protocol: HTTP
    hostname: {OTHER}
""" if shape == "sni" else ""
    return f"""# Generated by bench/dataplane/run.py (shape {shape}): one route to one backend through HTTP,
# HTTPS and HTTPS with frontend mTLS. Shape "sni" adds "-other" listeners on the same ports so
# that the SNI/Host agreement check (421) has something to refuse.
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: nginx}}
spec: {{controllerName: tollgate.dev/gateway-controller}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: bench-tls, namespace: {NS}}}
type: kubernetes.io/tls
data:
  tls.crt: {b64("server.crt")}
  tls.key: {b64("server.key")}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: client-ca, namespace: {NS}}}
data:
  ca.crt: |
{ca}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw, namespace: {NS}}}
spec:
  gatewayClassName: nginx
  listeners:
  - name: http
    port: {GEN_BASE}
    protocol: HTTP
    hostname: {HOST}
{http_other}{https_listeners("https", GEN_BASE + 1)}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw-mtls, namespace: {NS}}}
spec:
  gatewayClassName: nginx
  listeners:
{https_listeners("mtls", GEN_BASE + 2)}  tls:
    frontend:
      default:
        validation:
          caCertificateRefs: [{{group: "", kind: ConfigMap, name: client-ca}}]
          mode: AllowValidOnly
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: bench, namespace: {NS}}}
spec:
  parentRefs: [{{name: gw}}, {{name: gw-mtls}}]
  hostnames: [{HOST}, {OTHER}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /}}}}]
    backendRefs: [{{name: echo, port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: echo, namespace: {NS}}}
spec:
  ports: [{{name: http, port: 80, targetPort: 80}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: echo-1, namespace: {NS}, labels: {{kubernetes.io/service-name: echo}}}}
addressType: IPv4
ports: [{{name: http, port: {BACKEND_PORT}}}]
endpoints: [{{addresses: [127.0.0.1], conditions: {{ready: true}}}}]
"""


# ---------------------------------------------------------------- configurations

def read_tree(d: str) -> dict[str, str]:
    out = {}
    for base, _dirs, files in os.walk(d):
        for f in files:
            p = os.path.join(base, f)
            rel = os.path.relpath(p, d)
            try:
                out[rel] = open(p).read()
            except UnicodeDecodeError:
                pass
    return out


def directive(text: str, name: str, default: str) -> str:
    m = re.search(rf"^\s*{name}\s+([^;]+);", text, re.M)
    return m.group(1).strip() if m else default


def log_format_block(text: str) -> str:
    m = re.search(r"^log_format\s+tollgate\s.*?;\s*$", text, re.M | re.S)
    if not m:
        raise SystemExit("rendered http.conf has no `log_format tollgate`: update run.py")
    return m.group(0)


def minimal_config(tree: dict[str, str], certs: str, backend: int) -> str:
    """The hand-written equivalent: what a person would write for this one route."""
    main, http = tree["nginx.conf"], tree["http.conf"]
    crt, key, ca = (os.path.join(certs, f) for f in ("server.crt", "server.key", "ca.crt"))
    access = directive(http, "access_log", "access.log tollgate")
    tls = f"""        ssl_certificate {crt};
        ssl_certificate_key {key};"""
    return f"""# Minimal hand-written configuration (bench/dataplane/run.py): same workers, keepalive,
# log format and destination, TLS certificate/protocols/session settings as the rendered one.
worker_processes {directive(main, "worker_processes", "auto")};
pid nginx.pid;
error_log error.log notice;
events {{
    worker_connections {directive(main, "worker_connections", "1024")};
}}
http {{
    keepalive_timeout {directive(http, "keepalive_timeout", "65s")};
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;
    {log_format_block(http)}
    access_log {access};
    ssl_protocols {directive(http, "ssl_protocols", "TLSv1.2 TLSv1.3")};
    ssl_session_cache {directive(http, "ssl_session_cache", "shared:tollgate_ssl:10m")};
    ssl_session_timeout {directive(http, "ssl_session_timeout", "1h")};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    upstream echo {{
        server 127.0.0.1:{backend};
        keepalive {directive(tree.get("upstreams.conf", ""), "keepalive", "16")};
    }}
    server {{
        listen 127.0.0.1:{MIN_BASE};
        server_name {HOST};
        location / {{ proxy_pass http://echo; }}
    }}
    server {{
        listen 127.0.0.1:{MIN_BASE + 1} ssl http2;
        server_name {HOST};
{tls}
        location / {{ proxy_pass http://echo; }}
    }}
    server {{
        listen 127.0.0.1:{MIN_BASE + 2} ssl http2;
        server_name {HOST};
{tls}
        ssl_client_certificate {ca};
        ssl_verify_client on;
        location / {{ proxy_pass http://echo; }}
    }}
}}
"""


def backend_config() -> str:
    return f"""# Backend of bench/dataplane/run.py.
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/plain;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path tmp;
    proxy_temp_path tmp;
    fastcgi_temp_path tmp;
    uwsgi_temp_path tmp;
    scgi_temp_path tmp;
    server {{
        listen 127.0.0.1:{BACKEND_PORT};
        location / {{ return 200 "ok\\n"; }}
        location /echo {{
            return 200 "host=$http_host|xri=$http_x_real_ip|xff=$http_x_forwarded_for|xfp=$http_x_forwarded_proto|xfh=$http_x_forwarded_host|connection=$http_connection|uri=$request_uri|version=$server_protocol\\n";
        }}
    }}
}}
"""


def probe_include(sock: str) -> str:
    """The agent's agent/version.conf (Sources/TollgateAgent/VersionProbe.swift)."""
    return f"""# Written by the Tollgate agent: answers which version these workers serve.
server {{
    listen unix:{sock};
    access_log off;
    location = /tollgate/version {{
        default_type text/plain;
        return 200 "1 bench\\n";
    }}
    location / {{
        return 404;
    }}
}}
"""


def probe_answers(sock: str) -> bool:
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(0.5)
        s.connect(sock)
        s.sendall(b"GET /tollgate/version HTTP/1.0\r\nHost: probe\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        s.close()
        return data.endswith(b"1 bench\n")
    except OSError:
        return False


# ---------------------------------------------------------------- variants

@dataclass
class Variant:
    name: str
    preserving: bool          # claimed to keep Gateway API behaviour (checked by --check)
    what: str
    apply: Callable[[dict[str, str]], int]   # edits the tree in place, returns edits made


def sub_all(tree: dict[str, str], pattern: str, repl, files: Optional[Callable[[str], bool]] = None,
            flags: int = re.M) -> int:
    n = 0
    for k in list(tree):
        if files and not files(k):
            continue
        new, c = re.subn(pattern, repl, tree[k], flags=flags)
        tree[k], n = new, n + c
    return n


SNI_IF = r'^(\s*)if \(\$tg_sni_listener_(\d+) !~ "\^\(([^)"]*)\)\?\$"\) \{ return 421; \}\n'


def v_no_sni_if(t):
    return sub_all(t, SNI_IF, "")


def v_sni_exact(t):
    """The 421 check as a string comparison per server through a per-(port, listener) map,
    instead of a regular expression: `map $tg_sni_listener_P $tg_sni_refuse_P_L {"" 0; L 0;
    default 1;}` and `if ($tg_sni_refuse_P_L) { return 421; }`."""
    pairs: set[tuple[str, str]] = set()

    def repl(m):
        pairs.add((m.group(2), m.group(3)))
        return f'{m.group(1)}if ($tg_sni_refuse_{m.group(2)}_{ident(m.group(3))}) {{ return 421; }}\n'

    n = sub_all(t, SNI_IF, repl)
    maps = "".join(f"""
# Port {p}, listener {l}: 1 when the SNI selected another listener of this port.
map $tg_sni_listener_{p} $tg_sni_refuse_{p}_{ident(l)} {{
    "" 0;
    "{l}" 0;
    default 1;
}}
""" for p, l in sorted(pairs))
    if n:
        t["maps.conf"] = t["maps.conf"] + maps
    return n


def v_sni_map_direct(t):
    """One map per (port, listener) keyed on $ssl_server_name itself (hostnames): the SNI map's
    own entries, with the listener's entries (and "") mapping to 0 and every other listener's
    entries and the default to 1 — one hash lookup per request instead of a map then a
    comparison."""
    m_all = {}
    for m in re.finditer(r"map \$ssl_server_name \$tg_sni_listener_(\d+) \{\n(.*?)\n\}", t["maps.conf"], re.S):
        m_all[m.group(1)] = m.group(2)
    pairs: set[tuple[str, str]] = set()

    def repl(m):
        pairs.add((m.group(2), m.group(3)))
        return f'{m.group(1)}if ($tg_sni_refuse_{m.group(2)}_{ident(m.group(3))}) {{ return 421; }}\n'

    n = sub_all(t, SNI_IF, repl)
    out = []
    for p, l in sorted(pairs):
        body = []
        for line in m_all[p].splitlines():
            s = line.strip()
            mm = re.match(r'^(\S+|"[^"]*")\s+"([^"]*)";$', s)
            if s == "hostnames;" or not mm:
                body.append(line)
                continue
            key, val = mm.group(1), mm.group(2)
            refuse = "0" if val in ("", l) else "1"
            body.append(f'    {key} {refuse};')
        out.append(f"\n# Port {p}, listener {l}: 1 when the SNI selects another listener of this port.\n"
                   f"map $ssl_server_name $tg_sni_refuse_{p}_{ident(l)} {{\n" + "\n".join(body) + "\n}\n")
    if n:
        t["maps.conf"] = t["maps.conf"] + "".join(out)
    return n


def v_sni_elide_single(t):
    """Drops the SNI map and the 421 `if` of ports whose SNI map selects one listener only (every
    value is that listener, "" or "-"): there the check can never refuse."""
    n = 0
    for m in list(re.finditer(r"\n# Port (\d+): the listener the TLS SNI selected[^\n]*\nmap \$ssl_server_name \$tg_sni_listener_(\d+) \{\n(.*?)\n\}\n",
                              t["maps.conf"], re.S)):
        values = set(re.findall(r'\s"([^"]*)";', m.group(3))) - {"", "-"}
        if len(values) != 1:
            continue
        port = m.group(2)
        t["maps.conf"] = t["maps.conf"].replace(m.group(0), "\n")
        n += sub_all(t, rf'^\s*# The Host header must select the listener the SNI selected.\n(\s*)if \(\$tg_sni_listener_{port} !~ [^\n]*\n', "",
                     files=lambda k: k.startswith("servers/"))
    return n


def ident(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", s)


def v_host_map(t):
    """The Host header through the map session 5 rendered (`$http_host`, else `$host`)."""
    n = sub_all(t, r"proxy_set_header Host \$http_host;", "proxy_set_header Host $tollgate_host;")
    t["maps.conf"] = t["maps.conf"] + 'map $http_host $tollgate_host {\n    "" $host;\n    default $http_host;\n}\n'
    return n


def v_host_host(t):
    return sub_all(t, r"proxy_set_header Host \$http_host;", "proxy_set_header Host $host;")


def v_no_forwarded(t):
    return sub_all(t, r"^\s*proxy_set_header (X-Real-IP|X-Forwarded-[A-Za-z]+) .*\n", "")


def v_no_xff(t):
    return sub_all(t, r"^\s*proxy_set_header X-Forwarded-For .*\n", "")


def v_no_http2(t):
    return sub_all(t, r"(listen [^;]*?) http2", r"\1", files=lambda k: k.startswith("servers/"))


def v_no_hash_sizes(t):
    return sub_all(t, r"^(server_names_hash|map_hash|variables_hash)\w* \d+;\n", "")


def v_no_catchall(t):
    """Drops the default_server blocks (changes what unknown hosts get)."""
    n = 0
    for k in [k for k in t if k.startswith("servers/")]:
        new, c = re.subn(r"server \{\n    listen [^\n]*default_server;\n.*?\n\}\n", "", t[k], flags=re.S)
        t[k], n = new, n + c
    return n


def v_log_off(t):
    return sub_all(t, r"^access_log [^;]*;", "access_log off;")


def v_log_buffer(t):
    return sub_all(t, r"^access_log (\S+) (\w+);", r"access_log \1 \2 buffer=64k flush=1s;")


def v_strip_tls_extras(t):
    return sub_all(t, r"^\s*(ssl_verify_depth \d+|error_page 495 496 = @tollgate_reject_client);\n", "")


def v_pcre_jit(t):
    return sub_all(t, r"^(worker_processes [^;]*;\n)", r"\1pcre_jit on;\n", files=lambda k: k == "nginx.conf")


VARIANTS = {v.name: v for v in [
    Variant("identity", True, "no change (a second copy of the generated configuration: measures noise)", lambda t: 1),
    Variant("identity2", True, "no change (a third copy)", lambda t: 1),
    Variant("pcre-jit", True, "`pcre_jit on;` in the main context (regular expressions compiled by PCRE's JIT)", v_pcre_jit),
    Variant("no-sni-if", False, "remove the per-request `if ($tg_sni_listener_P !~ regex) { return 421; }`", v_no_sni_if),
    Variant("sni-elide-single", True, "no SNI map and no 421 `if` on ports whose listeners are one listener (the check cannot refuse there)", v_sni_elide_single),
    Variant("sni-exact", True, "421 check via a map of the SNI listener name to 0/1 and `if ($var)` (no regex)", v_sni_exact),
    Variant("sni-map-direct", True, "421 check via one hostnames map of $ssl_server_name to 0/1 per (port, listener), `if ($var)`", v_sni_map_direct),
    Variant("host-map", False, "the Host header through session 5's map (`$http_host`, else `$host`: differs for absolute-form HTTP/1.0 without Host)", v_host_map),
    Variant("host-host", False, "`proxy_set_header Host $host` (what the minimal config sends; drops the port)", v_host_host),
    Variant("no-forwarded", False, "remove X-Real-IP and X-Forwarded-{For,Proto,Host}", v_no_forwarded),
    Variant("no-xff", False, "remove X-Forwarded-For only", v_no_xff),
    Variant("no-http2", False, "remove `http2` from the listen directives", v_no_http2),
    Variant("no-hash-sizes", True, "remove the server_names/map/variables hash size directives", v_no_hash_sizes),
    Variant("no-catchall", False, "remove the default_server catch-all blocks", v_no_catchall),
    Variant("log-off", False, "access_log off (the minimal config keeps the log: for scale only)", v_log_off),
    Variant("log-buffer", False, "access_log … buffer=64k flush=1s (lines reach the file up to 1 s later)", v_log_buffer),
    Variant("no-tls-extras", False, "remove ssl_verify_depth and the 495/496 error_page", v_strip_tls_extras),
]}


def combined(names: str) -> Variant:
    parts = [VARIANTS[n] for n in names.split("+")]
    def apply(t):
        return sum(p.apply(t) for p in parts)
    return Variant(names, all(p.preserving for p in parts), " + ".join(p.what for p in parts), apply)


def report_port(t: dict[str, str], base: int) -> None:
    """Moves the generated listen ports GEN_BASE+k to base+k (k = 0, 1, 2)."""
    for k in [k for k in t if k.startswith("servers/")]:
        t[k] = re.sub(rf"(listen 127\.0\.0\.1:){GEN_BASE // 10}(\d)\b",
                      lambda m: f"{m.group(1)}{base + int(m.group(2))}", t[k])


# ---------------------------------------------------------------- slots (one configuration each)

@dataclass
class Slot:
    name: str
    base: int
    instances: list[tuple[str, str, str]] = field(default_factory=list)   # (name, prefix, conf)
    masters: list[int] = field(default_factory=list)

    def workers(self) -> list[int]:
        return [w for m in self.masters for w in children_of(m)]

    def port(self, proto: str) -> int:
        return self.base + OFFSET[proto]


def write_tree(d: str, tree: dict[str, str], rendered_dir: str) -> None:
    shutil.copytree(rendered_dir, d)   # keys, certificates, CA files (binary-safe)
    for rel, text in tree.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)


# CPU pinning (--pin): NGINX (gateways and backend) on these CPUs, wrk on WRK_CPUS; empty = no pinning.
NGINX_CPUS: list[int] = []
WRK_CPUS: list[int] = []


def pinned(argv: list[str], cpus: list[int]) -> list[str]:
    return ["taskset", "-c", ",".join(map(str, cpus)), *argv] if cpus else argv


def start_nginx(name: str, prefix: str, conf: str, probe: Optional[str], ports: list[int]) -> int:
    os.makedirs(prefix, exist_ok=True)
    run(["nginx", "-t", "-q", "-p", prefix + "/", "-c", conf, "-e", os.path.join(prefix, "error.log")])
    proc = Proc(name, pinned(["nginx", "-p", prefix + "/", "-c", conf, "-e", os.path.join(prefix, "error.log"),
                              "-g", "daemon off;"], NGINX_CPUS), os.path.join(prefix, "nginx.stderr.log"))
    PROCS.append(proc)
    ready = lambda: proc.alive() and all(port_open(p) for p in ports) and (probe is None or probe_answers(probe))
    if not wait_until(ready, 15):
        raise SystemExit(f"{name}: NGINX did not start; see {prefix}/error.log")
    return proc.p.pid


# ---------------------------------------------------------------- load generator

def build_shim(d: str) -> str:
    so = os.path.join(d, "shim.so")
    src = os.path.join(HERE, "shim.c")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(src):
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc:
            ensure_apt("gcc", "gcc")
            cc = "gcc"
        run([cc, "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl"])
    return so


def ensure_apt(binary: str, package: str) -> None:
    if shutil.which(binary):
        return
    log(f"installing {package} (apt-get)")
    run(["apt-get", "update", "-qq"])
    run(["apt-get", "install", "-y", "-qq", package], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, duration: float, threads: int, conns: int, env: dict,
        slot: Optional[Slot] = None, backend: Optional[int] = None) -> dict:
    return wrk_many([(url, slot)], duration, threads, conns, env, backend)[0]


def wrk_many(targets: list[tuple[str, Optional[Slot]]], duration: float, threads: int, conns: int, env: dict,
             backend: Optional[int] = None) -> list[dict]:
    """One wrk per (url, slot), all started together and running side by side (one target: a plain
    run). Side by side, every configuration meets the same moment of the shared machine's load."""
    be_pids = children_of(backend) if backend else []
    gw_pids = [s.workers() if s else [] for _, s in targets]
    gw0, be0 = [cpu_ns(p) for p in gw_pids], cpu_ns(be_pids)
    procs = [subprocess.Popen(pinned(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration:g}s", "--latency", "-H",
                                      f"Host: {HOST}", u], WRK_CPUS),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for u, _ in targets]
    outs = [p.communicate(timeout=duration + 60) for p in procs]
    gw1, be1 = [cpu_ns(p) for p in gw_pids], cpu_ns(be_pids)
    res = []
    for (u, _), p, (out, err), pids, a0, a1 in zip(targets, procs, outs, gw_pids, gw0, gw1):
        if p.returncode != 0:
            raise SystemExit(f"wrk failed ({p.returncode}): {err}{out}")
        res.append(parse_wrk(u, out, pids, a1 - a0, be_pids, (be1 - be0) / len(targets)))
    return res


def parse_wrk(url: str, out: str, gw_pids: list[int], gw_ns: int, be_pids: list[int], be_ns: float) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {}
    for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        pct[int(p)] = float(v) * UNIT[u]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    res = {"rps": rps, "p50_ms": pct.get(50), "p99_ms": pct.get(99), "requests": total,
           "non2xx": int(bad.group(1)) if bad else 0,
           "socket_errors": sum(map(int, errs.groups())) if errs else 0,
           "load1": os.getloadavg()[0]}
    res["cpu_us_per_req"] = gw_ns / 1000 / max(total, 1) if gw_pids else None
    res["backend_cpu_us_per_req"] = be_ns / 1000 / max(total, 1) if be_pids else None
    if res["non2xx"] or res["socket_errors"] > 0 or total == 0:
        raise SystemExit(f"wrk {url}: {res['non2xx']} non-2xx responses, {res['socket_errors']} socket errors\n{out}")
    return res


def wrk_env(proto: str, certs: str, shim: str) -> dict:
    env = dict(os.environ)
    if proto != "http":
        env["LD_PRELOAD"] = shim
        env["TG_BENCH_SNI"] = HOST
    if proto == "mtls":
        env["TG_BENCH_CERT"] = os.path.join(certs, "client.crt")
        env["TG_BENCH_KEY"] = os.path.join(certs, "client.key")
    return env


def url(slot: Slot, proto: str) -> str:
    scheme = "http" if proto == "http" else "https"
    return f"{scheme}://127.0.0.1:{slot.port(proto)}/"


# ---------------------------------------------------------------- behaviour check

def request(port: int, tls: bool, sni: Optional[str], host: Optional[str], cert: Optional[tuple[str, str]],
            path: str = "/echo", extra: str = "") -> str:
    """One request, Connection: close; returns 'STATUS body' with the port numbers masked, or the
    failure ('tls-refused', 'closed')."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if cert:
                ctx.load_cert_chain(*cert)
            try:
                s = ctx.wrap_socket(s, server_hostname=sni)
            except (ssl.SSLError, OSError) as e:
                return "tls-refused"
        if host is not None:
            req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
        else:
            req = f"GET {path} HTTP/1.0\r\n{extra}\r\n"
        s.sendall(req.encode())
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (ssl.SSLError, OSError):
            pass
        s.close()
    except OSError as e:
        return f"error {e.__class__.__name__}"
    if not data:
        return "closed"
    head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
    status = head.split("\r\n")[0].split(" ")[1] if " " in head else head
    text = f"{status} {body.strip() if status == '200' else ''}"
    return re.sub(r"\b187\d\d\b", "PORT", text)


def check_matrix(slot: Slot, certs: str) -> dict[str, str]:
    cert = (os.path.join(certs, "client.crt"), os.path.join(certs, "client.key"))
    out = {}
    hosts = ["host", "other", "host:port", "unknown", "none"]
    for proto in PROTOCOLS:
        port = slot.port(proto)
        tls = proto != "http"
        snis = [HOST, OTHER, None, "unknown.example.com"] if tls else [None]
        certs_ = [cert, None] if proto == "mtls" else [None]
        for sni in snis:
            for c in certs_:
                for hname in hosts:
                    host = {"host": HOST, "other": OTHER, "host:port": f"{HOST}:{port}",
                            "unknown": "unknown.example.com", "none": None}[hname]
                    key = f"{proto} sni={sni} cert={'yes' if c else 'no'} host={hname}"
                    out[key] = request(port, tls, sni, host, c)
                key = f"{proto} sni={sni} cert={'yes' if c else 'no'} absolute-uri http/1.0 no-host"
                out[key] = request(port, tls, sni, None, c, path=f"{'https' if tls else 'http'}://{HOST}/echo")
                key = f"{proto} sni={sni} cert={'yes' if c else 'no'} host=host xff-in"
                out[key] = request(port, tls, sni, HOST, c, extra="X-Forwarded-For: 10.1.2.3\r\n")
    return out


# ---------------------------------------------------------------- instructions per request (callgrind)

class KeepAliveClient:
    """Sequential HTTP/1.1 requests over a fixed set of keep-alive connections (TLS with SNI and
    an optional client certificate): a deterministic load for counting instructions."""

    def __init__(self, port: int, tls: bool, cert: Optional[tuple[str, str]], conns: int):
        self.socks = []
        for _ in range(conns):
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            if tls:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                if cert:
                    ctx.load_cert_chain(*cert)
                s = ctx.wrap_socket(s, server_hostname=HOST)
            self.socks.append([s, b""])

    def get(self, i: int) -> None:
        sb = self.socks[i % len(self.socks)]
        sb[0].sendall(f"GET / HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        while b"\r\n\r\n" not in sb[1]:
            sb[1] += self._recv(sb[0])
        head, _, rest = sb[1].partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"profile: unexpected response {head[:80]!r}")
        n = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
        while len(rest) < n:
            rest += self._recv(sb[0])
        sb[1] = rest[n:]

    @staticmethod
    def _recv(s) -> bytes:
        d = s.recv(65536)
        if not d:
            raise SystemExit("profile: connection closed")
        return d

    def close(self) -> None:
        for s, _ in self.socks:
            s.close()


def strace_counts(slot: Slot, proto: str, certs: str, requests: int, conns: int, outdir: str) -> dict[str, int]:
    """System calls by name NGINX makes (one process) while serving `requests` requests."""
    iname, prefix, conf = next(i for i in slot.instances
                               if slot.name == "minimal" or (proto == "mtls") == i[0].endswith("gw-mtls"))
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, f"{ident(slot.name)}-{proto}-{requests}.strace")
    argv = ["strace", "-f", "-c", "-o", out, "nginx", "-p", prefix + "/", "-c", conf,
            "-e", os.path.join(prefix, "error.log"), "-g", "daemon off; master_process off;"]
    proc = Proc(f"strace {iname}", argv, os.path.join(outdir, "strace.log"))
    PROCS.append(proc)
    try:
        if not wait_until(lambda: port_open(slot.port(proto)), 60):
            raise SystemExit(f"{iname} did not start under strace")
        cert = (os.path.join(certs, "client.crt"), os.path.join(certs, "client.key")) if proto == "mtls" else None
        c = KeepAliveClient(slot.port(proto), proto != "http", cert, conns)
        for i in range(requests):
            c.get(i)
        c.close()
    finally:
        for kid in children_of(proc.p.pid):   # the traced NGINX; strace exits after it
            os.kill(kid, signal.SIGQUIT)
        proc.p.wait(60)
        PROCS.remove(proc)
        proc.stop()
    counts = {}
    for line in open(out):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            counts[f[-1]] = int(f[3])
    return counts


def syscalls(slots: list["Slot"], protocols: list[str], certs: str, outdir: str, n1: int, n2: int) -> dict:
    res = {}
    for p in protocols:
        for s in slots:
            a_ = strace_counts(s, p, certs, n1, 4, outdir)
            b_ = strace_counts(s, p, certs, n2, 4, outdir)
            per = {k: round((b_.get(k, 0) - a_.get(k, 0)) / (n2 - n1), 3) for k in set(a_) | set(b_)}
            res.setdefault(s.name, {})[p] = {k: v for k, v in sorted(per.items()) if abs(v) >= 0.01}
            log(f"syscalls {p:5} {s.name:28} " + " ".join(f"{k}={v:g}" for k, v in res[s.name][p].items()))
    return res


def callgrind_total(slot: Slot, proto: str, certs: str, requests: int, conns: int, outdir: str) -> int:
    """Instructions (Ir) NGINX executes from start to exit while serving `requests` requests over
    `conns` keep-alive connections, as one process (master_process off) under callgrind."""
    iname, prefix, conf = next(i for i in slot.instances
                               if slot.name == "minimal" or (proto == "mtls") == i[0].endswith("gw-mtls"))
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, f"{ident(slot.name)}-{proto}-{requests}.cg")
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "nginx", "-p", prefix + "/", "-c", conf,
            "-e", os.path.join(prefix, "error.log"), "-g", "daemon off; master_process off;"]
    proc = Proc(f"callgrind {iname}", argv, os.path.join(outdir, "valgrind.log"))
    PROCS.append(proc)
    try:
        if not wait_until(lambda: port_open(slot.port(proto)), 120):
            raise SystemExit(f"{iname} did not start under valgrind; see {outdir}/valgrind.log")
        cert = (os.path.join(certs, "client.crt"), os.path.join(certs, "client.key")) if proto == "mtls" else None
        c = KeepAliveClient(slot.port(proto), proto != "http", cert, conns)
        for i in range(requests):
            c.get(i)
        c.close()
    finally:
        os.kill(proc.p.pid, signal.SIGQUIT)   # graceful: callgrind writes its totals at exit
        proc.p.wait(120)
        PROCS.remove(proc)
        proc.stop()
    text = open(out).read()
    m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    return int(m.group(1))


def profile(slots: list["Slot"], protocols: list[str], certs: str, outdir: str, n1: int, n2: int, conns: int,
            reps: int = 3) -> dict:
    """Ir per request = (Ir(n2) - Ir(n1)) / (n2 - n1): start-up, TLS handshakes (same connection
    count) and exit cancel out. Deterministic within ~0.1 %, unlike wall-clock figures on a
    shared machine; it counts user-space instructions only (not the kernel's share)."""
    res = {}
    for p in protocols:
        for s in slots:
            # Spurious wake-ups and EAGAIN reads depend on timing (the machine is shared): the
            # smallest of `reps` totals is the one with fewest, for both request counts.
            a_ = min(callgrind_total(s, p, certs, n1, conns, outdir) for _ in range(reps))
            b_ = min(callgrind_total(s, p, certs, n2, conns, outdir) for _ in range(reps))
            res.setdefault(s.name, {})[p] = (b_ - a_) / (n2 - n1)
            log(f"profile {p:5} {s.name:28} {res[s.name][p]:10,.0f} instructions/request")
    return res


# ---------------------------------------------------------------- statistics and output

def stats(xs: list[float]) -> dict:
    s = sorted(xs)
    q = lambda p: s[min(len(s) - 1, int(round(p * (len(s) - 1))))]
    return {"median": statistics.median(s), "p90": q(0.9), "p99": q(0.99), "min": s[0], "max": s[-1], "runs": len(s)}


def fmt(x: float, unit: str) -> str:
    return f"{x:,.0f}" if unit == "rps" else f"{x:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=False, help="tollgate binary")
    ap.add_argument("--work", required=False, help="work directory (created)")
    ap.add_argument("--out", required=False, help="dataplane.json to write")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} rounds × {QUICK_DURATION} s instead of "
                                                          f"{FULL_RUNS} × {FULL_DURATION} s")
    ap.add_argument("--sequential", action="store_true",
                    help="run the configurations one after the other in each round (order alternating) instead of "
                         "side by side")
    ap.add_argument("--pin", action="store_true",
                    help="pin wrk to the last CPU and every NGINX to the others (taskset; worker_processes auto "
                         "then starts one worker per NGINX CPU, in both configurations)")
    ap.add_argument("--variant", action="append", default=[],
                    help="also measure the generated config transformed by NAME (A+B combines)")
    ap.add_argument("--protocols", default=",".join(PROTOCOLS))
    ap.add_argument("--shape", choices=("single", "sni"), default="single",
                    help="single: one listener per port (the guides' shape, default); sni: a second listener "
                         "(other.example.com) on every port, so the SNI/Host check (421) can refuse")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--check", action="store_true", help="compare variants' responses with the generated config's")
    ap.add_argument("--no-minimal-generated", action="store_true",
                    help="with variants: measure only minimal and the variants (saves time while bisecting)")
    ap.add_argument("--list-variants", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="instead of wrk: user-space instructions per request of each configuration (callgrind)")
    ap.add_argument("--syscalls", action="store_true",
                    help="instead of wrk: system calls per request of each configuration (strace -c)")
    ap.add_argument("--profile-reps", type=int, default=3, help="runs per request count; the smallest total counts")
    ap.add_argument("--profile-requests", default="300,1500", help="N1,N2 requests for --profile")
    a = ap.parse_args()
    if a.list_variants:
        for v in VARIANTS.values():
            print(f"{v.name:16} {'preserving' if v.preserving else 'bisect only':12} {v.what}")
        return 0
    if not (a.bin and a.work and a.out):
        ap.error("--bin, --work and --out are required")
    runs = a.runs or (QUICK_RUNS if a.quick else FULL_RUNS)
    duration = a.duration or (QUICK_DURATION if a.quick else FULL_DURATION)
    if a.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2 or not shutil.which("taskset"):
            ap.error("--pin needs taskset and at least 2 CPUs")
        NGINX_CPUS[:], WRK_CPUS[:] = cpus[:-1], cpus[-1:]
    protocols = [p for p in a.protocols.split(",") if p]
    variants = [VARIANTS[n] if n in VARIANTS else combined(n) for n in a.variant]
    if len(variants) > 7:
        ap.error("at most 7 variants (ports 18720–18792)")

    t0 = time.monotonic()
    # One run at a time on this machine: every run uses the same 187xx ports.
    import fcntl
    lock = open(os.path.join(tempfile.gettempdir(), "tollgate-bench-dataplane.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log("another bench/dataplane run holds the 187xx ports; waiting for it")
        fcntl.flock(lock, fcntl.LOCK_EX)
    busy = [p for p in [BACKEND_PORT] + [b + o for b in [MIN_BASE, GEN_BASE] + [VARIANT_BASE + 10 * i for i in range(7)]
                                         for o in range(3)] if port_open(p)]
    if busy:
        raise SystemExit(f"ports already in use by something else: {busy}")
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for tool in ("nginx", "wrk", "openssl"):
        if not shutil.which(tool):
            ensure_apt(tool, tool)

    work = os.path.abspath(os.path.join(a.work, "dataplane"))
    shutil.rmtree(os.path.join(work, "run"), ignore_errors=True)
    os.makedirs(os.path.join(work, "run"), exist_ok=True)
    certs = os.path.join(work, "certs")
    make_certs(certs)
    shim = build_shim(work)
    mdir = os.path.join(work, "manifests")
    os.makedirs(mdir, exist_ok=True)
    with open(os.path.join(mdir, "bench.yaml"), "w") as f:
        f.write(manifests(certs, a.shape))
    rendered = os.path.join(work, "rendered")
    shutil.rmtree(rendered, ignore_errors=True)
    r = subprocess.run([a.bin, "render", "--manifests", mdir, "--output", rendered], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"tollgate render failed:\n{r.stdout}{r.stderr}")
    gateways = {"gw": os.path.join(rendered, NS, "gw"), "gw-mtls": os.path.join(rendered, NS, "gw-mtls")}
    for g, d in gateways.items():
        if not os.path.exists(os.path.join(d, "nginx.conf")):
            raise SystemExit(f"render wrote no tree for Gateway {NS}/{g}:\n{r.stdout}")

    sockdir = tempfile.mkdtemp(prefix="tgdp-")      # short path for the probe sockets
    TEMP_DIRS.append(sockdir)
    rundir = os.path.join(work, "run")

    # backend
    bdir = os.path.join(rundir, "backend")
    os.makedirs(os.path.join(bdir, "tmp"), exist_ok=True)
    with open(os.path.join(bdir, "nginx.conf"), "w") as f:
        f.write(backend_config())
    backend_master = start_nginx("backend", bdir, os.path.join(bdir, "nginx.conf"), None, [BACKEND_PORT])

    slots: list[Slot] = []
    # minimal
    gw_tree = read_tree(gateways["gw"])
    mslot = Slot("minimal", MIN_BASE)
    mprefix = os.path.join(rundir, "minimal")
    os.makedirs(mprefix, exist_ok=True)
    mconf = os.path.join(mprefix, "nginx.conf")
    with open(mconf, "w") as f:
        f.write(minimal_config(gw_tree, certs, BACKEND_PORT))
    mslot.instances.append(("minimal", mprefix, mconf))
    slots.append(mslot)

    configs: list[tuple[str, int, Optional[Variant]]] = []
    if not (a.no_minimal_generated and variants):
        configs.append(("generated", GEN_BASE, None))
    for i, v in enumerate(variants):
        configs.append((f"generated+{v.name}", VARIANT_BASE + 10 * i, v))
    if a.check and variants and not any(c[2] is None for c in configs):
        configs.insert(0, ("generated", GEN_BASE, None))
    for name, base, v in configs:
        slot = Slot(name, base)
        changed = 0
        for g, d in gateways.items():
            tree = read_tree(d)
            if v is not None:
                changed += v.apply(tree)
            report_port(tree, base)
            sock = os.path.join(sockdir, f"{len(slots)}-{g}.sock")
            tree["agent/version.conf"] = probe_include(sock)
            inst = os.path.join(rundir, ident(name), g)
            write_tree(os.path.join(inst, "tree"), tree, d)
            os.makedirs(os.path.join(inst, "runtime"), exist_ok=True)
            slot.instances.append((f"{name}/{g}", os.path.join(inst, "runtime"), os.path.join(inst, "tree", "nginx.conf")))
        if v is not None and changed == 0:
            raise SystemExit(f"variant {v.name} changed nothing in the rendered configuration")
        slots.append(slot)

    if a.syscalls:
        n1, n2 = (int(x) for x in a.profile_requests.split(","))
        sc = syscalls(slots, protocols, certs, os.path.join(rundir, "strace"), n1, n2)
        md = ["### Data plane: system calls per request (strace -c, one NGINX process)\n",
              "| configuration | protocol | calls per request |", "|---|---|---|"]
        for s_ in slots:
            for p in protocols:
                md.append(f"| {s_.name} | {p} | " + ", ".join(f"{k} {v:g}" for k, v in sc[s_.name][p].items()) + " |")
        with open(a.out, "w") as f:
            json.dump({"part": "dataplane-syscalls", "syscalls": sc, "markdown": "\n".join(md) + "\n"}, f, indent=1)
        print("\n".join(md))
        return 0

    if a.profile:
        n1, n2 = (int(x) for x in a.profile_requests.split(","))
        prof = profile(slots, protocols, certs, os.path.join(rundir, "callgrind"), n1, n2, 4, a.profile_reps)
        md = ["### Data plane: user-space instructions per request (callgrind, one NGINX process)\n",
              f"(Ir({n2}) − Ir({n1})) / {n2 - n1} requests over 4 keep-alive connections, smallest of {a.profile_reps} runs "
              f"per count; Δ against minimal.\n",
              "| configuration | " + " | ".join(protocols) + " |", "|---|" + "---:|" * len(protocols)]
        for s_ in slots:
            cells = []
            for p in protocols:
                v, m0 = prof[s_.name][p], prof["minimal"][p]
                cells.append(f"{v:,.0f}" + ("" if s_.name == "minimal" else f" ({v - m0:+,.0f}, {100 * (v / m0 - 1):+.1f} %)"))
            md.append(f"| {s_.name} | " + " | ".join(cells) + " |")
        doc = {"part": "dataplane-profile", "seconds": round(time.monotonic() - t0, 1), "benchmarks": [],
               "markdown": "\n".join(md) + "\n", "profile": prof,
               "variants": {v.name: {"preserving": v.preserving, "what": v.what} for v in variants}}
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=1)
        print(doc["markdown"])
        return 0

    for slot in slots:
        for iname, prefix, conf in slot.instances:
            sock = None
            if slot.name != "minimal":
                sock = re.search(r"listen unix:(\S+);", open(os.path.join(os.path.dirname(conf), "agent/version.conf")).read()).group(1)
            ports = [slot.port(p) for p in PROTOCOLS if (p == "mtls") == iname.endswith("gw-mtls") or slot.name == "minimal"]
            slot.masters.append(start_nginx(iname, prefix, conf, sock, ports))
    log(f"started {sum(len(s.instances) for s in slots) + 1} NGINX masters: " + ", ".join(s.name for s in slots))

    # sanity: every slot answers the route with the backend's "ok" on every protocol
    cert = (os.path.join(certs, "client.crt"), os.path.join(certs, "client.key"))
    for slot in slots:
        for p in protocols:
            got = request(slot.port(p), p != "http", HOST, HOST, cert if p == "mtls" else None, path="/")
            if got != "200 ok":
                raise SystemExit(f"{slot.name} {p}: expected '200 ok', got {got!r}")

    check = None
    if a.check:
        gen = next(s for s in slots if s.name == "generated")
        base = check_matrix(gen, certs)
        check = {"requests": len(base), "generated": base, "variants": {}}
        for slot in slots:
            if slot.name in ("minimal", "generated"):
                continue
            got = check_matrix(slot, certs)
            diff = {k: {"generated": base[k], "variant": got[k]} for k in base if got[k] != base[k]}
            check["variants"][slot.name] = diff
            log(f"check {slot.name}: {len(diff)} of {len(base)} responses differ from generated")
            for k, d in list(diff.items())[:8]:
                log(f"   {k}: generated {d['generated']!r} / variant {d['variant']!r}")

    def write_part(protocols: list[str], final: bool) -> None:
        """Writes the part file for the protocols measured so far (a time budget that stops the
        run keeps them)."""
        # entries: ratios are medians of per-round ratios (each round runs every configuration back
        # to back, so a burst of load from other processes hits both sides of a ratio alike)
        entries, md = [], []
        md.append(f"### Data plane (target 7): generated vs minimal hand-written configuration\n\n"
                  f"wrk -t{a.threads} -c{a.connections} -d{duration:g}s{shortened} --latency against one route to a loopback NGINX "
                  f"backend (upstream keepalive), HTTP, HTTPS and HTTPS with a client certificate; {runs} rounds, each "
                  + ("running every configuration back to back in rotating order" if a.sequential else
                     "running every configuration's wrk at the same time (side by side: each round's configurations "
                     "share the machine's load of that moment, so rps is each one's share of the 2 cores)")
                  + f". **ratio** = median of the per-round "
                  f"ratios generated/minimal (range in brackets); rps and p99 are medians over the rounds, with "
                  f"min–max. **CPU/req** = CPU time of the gateway's NGINX workers per request (/proc schedstat), "
                  f"less sensitive to the shared machine's load than rps; its ratio is minimal/generated "
                  f"(capacity, like rps).\n")
        summary = {}

        def paired(gv, mv):
            rs = [x / y for x, y in zip(gv, mv)]
            return statistics.median(rs), min(rs), max(rs)

        for p in protocols:
            m = results["minimal"][p]
            for s in slots:
                if s.name == "minimal" or not results[s.name][p]:
                    continue
                g = results[s.name][p]
                sm = summary.setdefault(s.name, {}).setdefault(p, {})
                for metric, unit, target, better in (("rps", "rps", 0.97, "ge"), ("p99_ms", "ms", 1.05, "le"),
                                                     ("cpu_us_per_req", "µs", 0.97, "ge")):
                    gv = [r[metric] for r in g]
                    mv = [r[metric] for r in m]
                    gs, ms = stats(gv), stats(mv)
                    ratio, lo, hi = paired(mv, gv) if metric == "cpu_us_per_req" else paired(gv, mv)
                    met = ratio >= target if better == "ge" else ratio <= target
                    sm[metric] = {"value": gs["median"], "baseline": ms["median"], "ratio": round(ratio, 4),
                                  "ratio_of_medians": round((ms["median"] / gs["median"]) if metric == "cpu_us_per_req"
                                                            else (gs["median"] / ms["median"]), 4),
                                  "met": met, "stats": gs, "baseline_stats": ms,
                                  "round_ratio_min": round(lo, 4), "round_ratio_max": round(hi, 4)}
                if s.name != "generated":
                    continue
                for metric, short, unit, target in (("rps", "rps", "rps", "ratio >= 0.97"), ("p99_ms", "p99", "ms", "ratio <= 1.05")):
                    e = sm[metric]
                    entries.append({
                        "id": f"dataplane-{p}-{short}", "target_no": 7,
                        "what": {"http": "HTTP", "https": "HTTPS", "mtls": "HTTPS with a client certificate"}[p]
                                + " through the generated config, " + ("requests/s" if short == "rps" else "p99 latency"),
                        "value": round(e["value"], 3), "unit": unit, "baseline": round(e["baseline"], 3),
                        "baseline_what": "minimal hand-written config (same workers, keepalive, log format, TLS settings), "
                                         "interleaved in the same run; ratio = median of per-round ratios",
                        "ratio": e["ratio"], "target": target, "met": e["met"],
                        "stats": {k: round(v, 3) if isinstance(v, float) else v for k, v in e["stats"].items()},
                        "extra": {"round_ratio_min": e["round_ratio_min"], "round_ratio_max": e["round_ratio_max"],
                                  "ratio_of_medians": e["ratio_of_medians"],
                                  "cpu_per_request_ratio": sm["cpu_us_per_req"]["ratio"]},
                    })
        for p in protocols:
            md.append(f"\n#### {p}\n\n| configuration | rps median (min–max) | rps ratio | p99 ms median (min–max) | p99 ratio | "
                      f"CPU/req µs median (min–max) | CPU ratio | runs |\n|---|---:|---:|---:|---:|---:|---:|---:|")
            mr, mp, mc = (stats([r[k] for r in results["minimal"][p]]) for k in ("rps", "p99_ms", "cpu_us_per_req"))
            md.append(f"| minimal | {mr['median']:,.0f} ({mr['min']:,.0f}–{mr['max']:,.0f}) | 1 | {mp['median']:.2f} "
                      f"({mp['min']:.2f}–{mp['max']:.2f}) | 1 | {mc['median']:.1f} ({mc['min']:.1f}–{mc['max']:.1f}) | 1 | {mr['runs']} |")
            for s in slots:
                if s.name == "minimal" or p not in summary.get(s.name, {}):
                    continue
                r_, q_, c_ = (summary[s.name][p][k] for k in ("rps", "p99_ms", "cpu_us_per_req"))
                md.append(f"| {s.name} | {r_['value']:,.0f} ({r_['stats']['min']:,.0f}–{r_['stats']['max']:,.0f}) | "
                          f"**{r_['ratio']:.3f}** ({r_['round_ratio_min']:.3f}–{r_['round_ratio_max']:.3f}) | "
                          f"{q_['value']:.2f} ({q_['stats']['min']:.2f}–{q_['stats']['max']:.2f}) | "
                          f"**{q_['ratio']:.3f}** ({q_['round_ratio_min']:.3f}–{q_['round_ratio_max']:.3f}) | "
                          f"{c_['value']:.1f} ({c_['stats']['min']:.1f}–{c_['stats']['max']:.1f}) | "
                          f"**{c_['ratio']:.3f}** ({c_['round_ratio_min']:.3f}–{c_['round_ratio_max']:.3f}) | {r_['stats']['runs']} |")
        loads = [r["load1"] for d in results.values() for l in d.values() for r in l]
        md.append(f"\nTargets: rps ratio ≥ 0.97, p99 ratio ≤ 1.05. 1-minute load average during the runs: "
                  f"{min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} CPUs (shared machine).\n")
        doc = {"part": "dataplane", "seconds": round(time.monotonic() - t0, 1), "benchmarks": entries,
               "markdown": "\n".join(md) + "\n",
               "runs": {s: {p: l for p, l in d.items()} for s, d in results.items()},
               "variants": {v.name: {"preserving": v.preserving, "what": v.what} for v in variants},
               "summary": summary, "check": check,
               "settings": {"runs": runs, "duration_s": duration, "threads": a.threads, "connections": a.connections,
                            "protocols": protocols, "side_by_side": not a.sequential,
                            "pinned": {"nginx": NGINX_CPUS, "wrk": WRK_CPUS} if a.pin else None}}
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=1)
        if final:
            print(doc["markdown"])

    # measurements, interleaved
    results: dict[str, dict[str, list[dict]]] = {s.name: {p: [] for p in protocols} for s in slots}
    measured = [s for s in slots if not (a.no_minimal_generated and variants and s.name == "generated")]
    warm = 2
    shortened = ""
    budget = float(os.environ.get("BENCH_BUDGET_SECONDS") or 0)
    if budget:
        # scripts/bench.sh gives each part a budget: shorten the runs to fit rather than be killed
        left = budget - (time.monotonic() - t0) - 5
        per_wrk = 0.4                                   # wrk start-up and parsing
        sessions = len(protocols) * (len(measured) if a.sequential else 1)
        fit = (left / sessions - 1 - per_wrk) / runs - per_wrk
        if fit < duration:
            shortened = f" (shortened from {duration:g} s to fit the part's {budget:g} s budget: too short to mean much)"
            warm, duration = 1, max(1, int(fit))
            log(f"budget {budget:g} s: runs shortened to {duration:g} s")
    for p in protocols:
        env = wrk_env(p, certs, shim)
        # warm-up: upstream keepalive pools, session caches
        if a.sequential:
            for s in measured:
                wrk(url(s, p), warm, a.threads, a.connections, env, s, backend_master)
        else:
            wrk_many([(url(s, p), s) for s in measured], warm, a.threads, a.connections, env, backend_master)
        for i in range(runs):
            if not a.sequential:
                order = measured
                got = wrk_many([(url(s, p), s) for s in measured], duration, a.threads, a.connections, env,
                               backend_master)
            else:
                order = measured[i % len(measured):] + measured[:i % len(measured)]
                got = [wrk(url(s, p), duration, a.threads, a.connections, env, s, backend_master) for s in order]
            for s, res in zip(order, got):
                results[s.name][p].append(res)
                log(f"{p:5} round {i + 1}/{runs} {s.name:28} {res['rps']:9,.0f} rps  p99 {res['p99_ms']:6.2f} ms  "
                    f"{res['cpu_us_per_req']:6.1f} µs CPU/req (backend {res['backend_cpu_us_per_req']:5.1f})  load {res['load1']:.1f}")
        write_part(protocols[:protocols.index(p) + 1], final=p == protocols[-1])

    return 0



if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
