"""Processes, manifests, probes and checks shared by the fault scenarios.

Everything runs on 127.0.0.1 with real processes: the `tollgate` binary (controller, agent,
standalone), NGINX (backends, and the agents' own), curl-free Python clients (see clients.py).
Ports: 178xx for Gateways and helpers, 179xx for backends.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

NAMESPACE = "faults"
MARKERS = 16                 # backends marker=0..15, ports MARKER_BASE + J
STABLE_PORT = 17901
MARKER_BASE = 17910
HOST = "cafe.example.com"    # SNI and Host of every HTTPS request (the certificate's name)


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def wait_until(pred: Callable[[], object], timeout: float, interval: float = 0.05):
    """Returns pred()'s first truthy value, or None after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            return None
        time.sleep(interval)


def atomic_write(path: str, text: str) -> None:
    """Writes through a temporary name the manifest watcher ignores, then renames."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


# ---------------------------------------------------------------- processes

class Proc:
    """A child process in its own session (so kill -9 of it leaves its own children alone),
    output appended to a log file."""

    def __init__(self, name: str, argv: list[str], logfile: str, cwd: Optional[str] = None):
        self.name, self.argv, self.logfile = name, argv, logfile
        os.makedirs(os.path.dirname(logfile), exist_ok=True)
        self._out = open(logfile, "ab")
        self._out.write(f"\n==== {time.strftime('%H:%M:%S')} start: {' '.join(argv)}\n".encode())
        self._out.flush()
        self.p = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True, cwd=cwd)

    @property
    def pid(self) -> int:
        return self.p.pid

    def alive(self) -> bool:
        return self.p.poll() is None

    def kill9(self) -> None:
        if self.alive():
            os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait()
        self._note("killed with SIGKILL")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.alive():
            os.kill(self.p.pid, sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self._note(f"stopped (exit {self.p.returncode})")

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.p.pid, sig)

    def _note(self, what: str) -> None:
        try:
            self._out.write(f"==== {time.strftime('%H:%M:%S')} {what}\n".encode())
            self._out.flush()
        except ValueError:
            pass

    def tail(self, n: int = 20) -> str:
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def proc_status(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and proc_status(int(d)).get("PPid") == str(pid):
            kids.append(int(d))
    return sorted(kids)


def pid_alive(pid: Optional[int]) -> bool:
    if not pid:
        return False
    st = proc_status(pid).get("State", "")
    return bool(st) and not st.startswith("Z")


def read_pid(path: str) -> Optional[int]:
    try:
        with open(path) as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- backends

def backends_config(rundir: str) -> str:
    servers = [f"""    server {{
        listen 127.0.0.1:{STABLE_PORT};
        location / {{ return 200 "stable\\n"; }}
    }}"""]
    for j in range(MARKERS):
        servers.append(f"""    server {{
        listen 127.0.0.1:{MARKER_BASE + j};
        location / {{ return 200 "marker={j}\\n"; }}
    }}""")
    return f"""# Generated by scripts/faults: the backends of the fault suite.
worker_processes 2;
pid {rundir}/nginx.pid;
error_log {rundir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/plain;
    keepalive_requests 100000;
    client_body_temp_path {rundir}/tmp;
    proxy_temp_path {rundir}/tmp;
    fastcgi_temp_path {rundir}/tmp;
    uwsgi_temp_path {rundir}/tmp;
    scgi_temp_path {rundir}/tmp;
{chr(10).join(servers)}
}}
"""


class Backends:
    """One NGINX answering `stable` on STABLE_PORT and `marker=J` on MARKER_BASE+J."""

    def __init__(self, rundir: str):
        self.dir = rundir
        os.makedirs(os.path.join(rundir, "tmp"), exist_ok=True)
        conf = os.path.join(rundir, "backends.conf")
        with open(conf, "w") as f:
            f.write(backends_config(rundir))
        self.proc = Proc("backends", ["nginx", "-p", rundir, "-e", os.path.join(rundir, "error.log"), "-c", conf,
                                      "-g", "daemon off;"], os.path.join(rundir, "nginx.log"))
        ok = wait_until(lambda: _port_open(STABLE_PORT) and _port_open(MARKER_BASE + MARKERS - 1), 10)
        if not ok:
            raise RuntimeError("backends did not start:\n" + self.proc.tail())

    def stop(self) -> None:
        self.proc.stop(signal.SIGQUIT)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- manifests

@dataclass
class GatewayPorts:
    name: str      # Gateway name in namespace `faults`
    http: int
    https: int     # server TLS only
    mtls: int      # client certificate required (frontend validation)

    @property
    def key(self) -> str:
        return f"{NAMESPACE}/{self.name}"


def _secrets_yaml(certs: str) -> str:
    src = os.path.join(certs, "frontend-mtls", "generated", "secrets.yaml")
    with open(src) as f:
        text = f.read()
    return text.replace("namespace: frontend-mtls", f"namespace: {NAMESPACE}")


def base_manifests(certs: str) -> dict[str, str]:
    """Files shared by every Gateway: namespace, class, secrets, the stable backend."""
    return {
        "base.yaml": f"""apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: tollgate
spec:
  controllerName: tollgate.dev/gateway-controller
---
apiVersion: v1
kind: Service
metadata:
  name: stable
  namespace: {NAMESPACE}
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: stable
  namespace: {NAMESPACE}
  labels:
    kubernetes.io/service-name: stable
addressType: IPv4
ports:
- name: http
  port: {STABLE_PORT}
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
""",
        "secrets.yaml": _secrets_yaml(certs),
    }


def gateway_manifest(gw: GatewayPorts) -> str:
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {gw.name}
  namespace: {NAMESPACE}
spec:
  gatewayClassName: tollgate
  listeners:
  - name: http
    port: {gw.http}
    protocol: HTTP
  - name: https
    port: {gw.https}
    protocol: HTTPS
    tls:
      mode: Terminate
      certificateRefs:
      - kind: Secret
        name: cafe-secret
  - name: mtls
    port: {gw.mtls}
    protocol: HTTPS
    tls:
      mode: Terminate
      certificateRefs:
      - kind: Secret
        name: cafe-secret
  tls:
    frontend:
      default:                  # the mtls listener: a client certificate from this CA is required
        validation:
          caCertificateRefs:
          - group: ""
            kind: Secret
            name: default-validation-ca-secret
      perPort:
      - port: {gw.https}        # the https listener: no client certificate needed
        tls:
          validation:
            caCertificateRefs:
            - group: ""
              kind: Secret
              name: default-validation-ca-secret
            mode: AllowInsecureFallback
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {gw.name}-stable
  namespace: {NAMESPACE}
spec:
  parentRefs:
  - name: {gw.name}
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    backendRefs:
    - name: stable
      port: 80
"""


def bulk_routes(gw: GatewayPorts, edit: int, routes: int) -> str:
    """`routes` HTTPRoutes of 16 rules x 7 Exact paths each (the 128-match limit), all renamed by every edit: a large
    snapshot (about 80 bytes per path and listener) for faults that cut the stream mid-transfer."""
    docs = []
    for r in range(routes):
        rules = []
        for k in range(16):
            matches = "".join(f"""
    - path:
        type: Exact
        value: /bulk/{edit}/{r}/{k}/{m}""" for m in range(7))
            rules.append(f"""
  - matches:{matches}
    backendRefs:
    - name: stable
      port: 80""")
        docs.append(f"""---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {gw.name}-bulk-{r}
  namespace: {NAMESPACE}
spec:
  parentRefs:
  - name: {gw.name}
  rules:{"".join(rules)}
""")
    return "".join(docs)


def marker_manifest(gw: GatewayPorts, edit: int, bulk: int = 0) -> str:
    """Edit `edit` of a Gateway's marker: route `/m/J` to the backend answering `marker=J`
    (J = edit mod MARKERS; the location and the upstream live in different rendered files), plus a
    route `/edit/N` so every edit renders a distinct file set (and `bulk` large routes)."""
    j = edit % MARKERS
    svc = f"{gw.name}-marker"
    return bulk_routes(gw, edit, bulk) + f"""---
# edit {edit}
apiVersion: v1
kind: Service
metadata:
  name: {svc}
  namespace: {NAMESPACE}
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {svc}
  namespace: {NAMESPACE}
  labels:
    kubernetes.io/service-name: {svc}
addressType: IPv4
ports:
- name: http
  port: {MARKER_BASE + j}
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {svc}
  namespace: {NAMESPACE}
spec:
  parentRefs:
  - name: {gw.name}
  rules:
  - matches:
    - path:
        type: Exact
        value: /m/{j}
    backendRefs:
    - name: {svc}
      port: 80
  - matches:
    - path:
        type: Exact
        value: /edit/{edit}
    backendRefs:
    - name: stable
      port: 80
"""


class Manifests:
    """A manifest directory the controller watches; `edit(gw)` rewrites one Gateway's marker."""

    def __init__(self, directory: str, certs: str, gateways: list[GatewayPorts], bulk: int = 0):
        self.dir, self.bulk = directory, bulk
        os.makedirs(directory, exist_ok=True)
        for name, text in base_manifests(certs).items():
            atomic_write(os.path.join(directory, name), text)
        self.edits: dict[str, int] = {}
        for gw in gateways:
            atomic_write(os.path.join(directory, f"{gw.name}.yaml"), gateway_manifest(gw))
            self.set_edit(gw, 0)

    def set_edit(self, gw: GatewayPorts, n: int) -> None:
        self.edits[gw.name] = n
        atomic_write(os.path.join(self.dir, f"{gw.name}-marker.yaml"), marker_manifest(gw, n, self.bulk))

    def edit(self, gw: GatewayPorts) -> int:
        """Writes the next edit; returns its number."""
        n = self.edits[gw.name] + 1
        self.set_edit(gw, n)
        return n

    def write_raw(self, name: str, text: str) -> None:
        atomic_write(os.path.join(self.dir, name), text)


# ---------------------------------------------------------------- tollgate

class Tollgate:
    def __init__(self, binary: str, rundir: str):
        self.bin, self.rundir = binary, rundir

    def run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=timeout)

    def controller(self, name: str, manifests: str, state: str, listen: Optional[str] = None) -> Proc:
        argv = [self.bin, "controller", "--manifests", manifests, "--state-dir", state]
        if listen:
            argv += ["--listen", listen]
        return Proc(name, argv, os.path.join(self.rundir, "logs", f"{name}.log"))

    def standalone(self, name: str, manifests: str, state: str) -> Proc:
        return Proc(name, [self.bin, "standalone", "--manifests", manifests, "--state-dir", state],
                    os.path.join(self.rundir, "logs", f"{name}.log"))

    def agent(self, name: str, controller: str, gw: GatewayPorts, root: str, extra: Optional[list[str]] = None) -> Proc:
        argv = [self.bin, "agent", "--controller", controller, "--gateway", gw.key, "--config-root", root,
                "--agent-id", name] + (extra or [])
        return Proc(name, argv, os.path.join(self.rundir, "logs", f"{name}.log"))

    # -- admin

    def snapshots(self, state: str, gw: GatewayPorts) -> list[dict]:
        """`snapshots list` rows of one Gateway (oldest first): version, digest12, trigger, agents
        {id: outcome}, and the raw agents text."""
        r = self.run("snapshots", "list", "--state-dir", state, "--gateway", gw.key, timeout=15)
        if r.returncode != 0:
            return []
        return parse_snapshot_table(r.stdout)

    def snapshot_files(self, state: str, gw: GatewayPorts, version: int) -> tuple[str, dict[str, tuple[str, str]]]:
        """`snapshots show`: the full digest and path -> (mode octal, sha256 prefix)."""
        r = self.run("snapshots", "show", str(version), "--state-dir", state, "--gateway", gw.key, timeout=15)
        digest, files, in_files = "", {}, False
        for line in r.stdout.splitlines():
            if line.startswith("Digest:"):
                digest = line.split()[1]
            elif line.startswith("Files:"):
                in_files = True
            elif in_files and line.startswith("  "):
                parts = line.split()
                if len(parts) >= 4:
                    files[parts[3]] = (parts[0], parts[1])
            elif in_files:
                in_files = False
        return digest, files

    def status(self, state: str) -> list[dict]:
        r = self.run("status", "--state-dir", state, "-o", "json", timeout=15)
        if r.returncode != 0:
            return []
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return []

    def gateway_conditions(self, state: str, gw: GatewayPorts) -> dict[str, dict]:
        for obj in self.status(state):
            md = obj.get("metadata", {})
            if obj.get("kind") == "Gateway" and md.get("namespace") == NAMESPACE and md.get("name") == gw.name:
                return {c.get("type"): c for c in obj.get("status", {}).get("conditions", [])}
        return {}


def parse_snapshot_table(text: str) -> list[dict]:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("GATEWAY"):
        return []
    head = lines[0]
    cols = ["GATEWAY", "VERSION", "DIGEST", "CREATED", "TRIGGER", "AGENTS"]
    starts = [head.index(c) for c in cols]
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        cells = [line[starts[i]:(starts[i + 1] if i + 1 < len(starts) else None)].strip() for i in range(len(cols))]
        agents = {}
        if cells[5] and cells[5] != "-":
            for part in re.split(r"; (?=[^;:]+: (?:applied|rejected|dry-run))", cells[5]):
                aid, _, rest = part.partition(": ")
                m = re.match(r"(applied|rejected|dry-run ok|dry-run rejected)", rest)
                agents[aid] = m.group(1) if m else rest
        try:
            rows.append({"gateway": cells[0], "version": int(cells[1]), "digest12": cells[2], "created": cells[3],
                         "trigger": cells[4], "agents": agents, "agents_text": cells[5]})
        except ValueError:
            continue
    return rows


# ---------------------------------------------------------------- the agent's config root

def live_probe_socket(root: str) -> Optional[str]:
    """The probe socket named by the live tree's agent/version.conf."""
    try:
        with open(os.path.join(root, "current", "agent", "version.conf")) as f:
            m = re.search(r"listen unix:(\S+);", f.read())
            return m.group(1) if m else None
    except OSError:
        return None


def probe(sock_path: Optional[str], timeout: float = 1.0) -> Optional[tuple[int, str]]:
    """Asks the agent's version probe once: (version, digest) the answering worker serves."""
    if not sock_path:
        return None
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(b"GET /tollgate/version HTTP/1.0\r\nHost: tollgate-agent\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
        return None
    f = body.decode(errors="replace").split()
    if len(f) != 2 or not f[0].isdigit():
        return None
    return int(f[0]), f[1]


@dataclass
class LiveTree:
    name: str                     # versions/NAME that `current` points at
    version: int
    digest: str                   # recorded in .tollgate-version
    computed: str                 # computed from the files on disk
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (mode octal, sha256)
    problems: list[str] = field(default_factory=list)


def read_live_tree(root: str) -> Optional[LiveTree]:
    """Reads the live tree like the agent does and checks it is whole: every file hashes to the
    digest recorded when the tree was staged, the directory name and the probe include name the
    same version and digest. None when nothing is live."""
    for _ in range(5):   # the live directory may be swapped (and the old one pruned) while we read
        try:
            target = os.readlink(os.path.join(root, "current"))
        except OSError:
            return None
        name = os.path.basename(target.rstrip("/"))
        d = os.path.join(root, "versions", name)
        try:
            return _read_tree(d, name)
        except FileNotFoundError:
            try:
                if os.readlink(os.path.join(root, "current")) != target:
                    continue
            except OSError:
                return None
            t = LiveTree(name, 0, "", "")
            t.problems.append(f"current -> {target}, which is missing or incomplete")
            return t
    return None


def _read_tree(d: str, name: str) -> LiveTree:
    problems = []
    try:
        with open(os.path.join(d, ".tollgate-version")) as f:
            rec = json.load(f)
    except FileNotFoundError:
        if not os.path.isdir(d):
            raise
        rec = {}
        problems.append(f"{name}: no .tollgate-version record (incomplete tree is live)")
    except (OSError, json.JSONDecodeError) as e:
        rec = {}
        problems.append(f"{name}: unreadable .tollgate-version: {e}")
    files: dict[str, tuple[str, str]] = {}
    for dirpath, dirnames, filenames in os.walk(d):
        rel_dir = os.path.relpath(dirpath, d)
        if rel_dir == ".":
            dirnames[:] = [x for x in dirnames if x != "agent"]
        for fn in filenames:
            rel = fn if rel_dir == "." else f"{rel_dir}/{fn}"
            if rel == ".tollgate-version":
                continue
            full = os.path.join(dirpath, fn)
            st = os.lstat(full)
            if not (st.st_mode & 0o170000) == 0o100000:
                continue
            with open(full, "rb") as f:
                files[rel] = (format(st.st_mode & 0o7777, "o"), hashlib.sha256(f.read()).hexdigest())
    h = hashlib.sha256()
    for p in sorted(files):
        mode, sha = files[p]
        h.update(f"{p}\0{mode}\0{sha}\n".encode())
    computed = h.hexdigest()
    version, digest = int(rec.get("version", 0)), str(rec.get("digest", ""))
    if rec and computed != digest:
        problems.append(f"{name}: files hash to {computed[:12]}, record says {digest[:12]} (partial or mixed tree)")
    if rec and name != f"{version}-{digest[:12]}":
        problems.append(f"{name}: directory name does not match record {version}-{digest[:12]}")
    try:
        with open(os.path.join(d, "agent", "version.conf")) as f:
            inc = f.read()
        if rec and f'"{version} {digest}\\n"' not in inc:
            problems.append(f"{name}: agent/version.conf does not answer {version} {digest[:12]}")
    except OSError:
        problems.append(f"{name}: agent/version.conf missing")
    return LiveTree(name, version, digest, computed, files, problems)


def compare_with_controller(tree: LiveTree, digest: str, files: dict[str, tuple[str, str]]) -> list[str]:
    """Compares the live tree with the controller's `snapshots show` of the same version."""
    out = []
    if digest and digest != tree.digest:
        out.append(f"version {tree.version}: controller digest {digest[:12]}, tree {tree.digest[:12]}")
    if files:
        if set(files) != set(tree.files):
            out.append(f"version {tree.version}: paths differ from the controller's: "
                       f"{sorted(set(files) ^ set(tree.files))[:5]}")
        for p, (mode, sha12) in files.items():
            if p in tree.files and (tree.files[p][0] != mode or not tree.files[p][1].startswith(sha12)):
                out.append(f"version {tree.version}: {p} is {tree.files[p][0]} {tree.files[p][1][:12]}, "
                           f"controller has {mode} {sha12}")
    return out


# ---------------------------------------------------------------- NGINX processes of a root

def nginx_master(root: str) -> Optional[int]:
    pid = read_pid(os.path.join(root, "runtime", "nginx.pid"))
    return pid if pid_alive(pid) and "nginx: master" in cmdline(pid) else None


def nginx_workers(master: Optional[int]) -> list[int]:
    if not master:
        return []
    return [p for p in children(master) if "nginx: worker" in cmdline(p)]


def stop_leftover_nginx(root: str) -> None:
    """Stops an NGINX master of this root (and its workers) that a killed agent left behind."""
    pid = read_pid(os.path.join(root, "runtime", "nginx.pid"))
    if not pid or not pid_alive(pid) or root not in cmdline(pid):
        return
    workers = nginx_workers(pid)
    os.kill(pid, signal.SIGQUIT)
    if not wait_until(lambda: not pid_alive(pid), 5):
        os.kill(pid, signal.SIGKILL)
        for w in workers:
            if pid_alive(w):
                os.kill(w, signal.SIGKILL)


def kill_strays(rundir: str) -> list[str]:
    """Last resort at exit: kills processes whose command line names the run directory (our
    tollgate processes and NGINX masters), and workers whose master is gone."""
    killed = []
    ancestors, pid = set(), os.getpid()
    while pid > 1:
        ancestors.add(pid)
        pid = int(proc_status(pid).get("PPid", "0") or 0)
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in ancestors:
            continue
        pid = int(d)
        line = cmdline(pid)
        if rundir in line and ("nginx" in line or " agent " in line or " controller " in line or " standalone " in line):
            workers = nginx_workers(pid)
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(f"{pid} {cmdline(pid)[:80]}")
            except OSError:
                pass
            for w in workers:
                try:
                    os.kill(w, signal.SIGKILL)
                except OSError:
                    pass
    return killed


def rmtree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- a TCP proxy that can cut

class CuttingProxy:
    """Forwards 127.0.0.1:listen_port to 127.0.0.1:upstream_port (TLS passes through untouched).
    `arm(n)`: after n more bytes from upstream (controller) to client (agent), both connections
    are reset (SO_LINGER 0) — the stream is cut at that byte."""

    def __init__(self, listen_port: int, upstream_port: int):
        import threading
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.down_bytes = 0            # upstream -> client, total
        self.cut_at: Optional[int] = None
        self.armed_at = 0
        self.cuts: list[int] = []      # down_bytes at each cut
        self.conns: list[socket.socket] = []
        self.connections = 0
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", listen_port))
        self.srv.listen(16)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, after: int) -> None:
        with self.lock:
            self.armed_at = self.down_bytes
            self.cut_at = self.down_bytes + max(1, after)

    def _accept(self) -> None:
        import threading
        while not self.closed:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
                self.connections += 1
            threading.Thread(target=self._pump, args=(c, u, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, True), daemon=True).start()

    def _reset(self, *socks: socket.socket) -> None:
        # Linger 0 makes the close a reset. A close() alone does not take effect while another
        # thread is blocked in recv() on the socket; shutdown(SHUT_RD) wakes that thread first.
        import struct
        for s in socks:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RD)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def _pump(self, src: socket.socket, dst: socket.socket, down: bool) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._reset(src, dst)
                return
            cut = False
            if down:
                with self.lock:
                    if self.cut_at is not None and self.down_bytes + len(data) >= self.cut_at:
                        data = data[:self.cut_at - self.down_bytes]
                        cut = True
                    self.down_bytes += len(data)
                    if cut:
                        self.cuts.append(self.down_bytes)
                        self.cut_at = None
            try:
                if data:
                    dst.sendall(data)
            except OSError:
                self._reset(src, dst)
                return
            if cut:
                self._reset(src, dst)
                return

    def close(self) -> None:
        self.closed = True
        try:
            self.srv.close()
        except OSError:
            pass
        with self.lock:
            self._reset(*self.conns)
