"""Shared pieces of the process-level benchmarks: statistics, /proc readers, an HTTP client that
times out fast, a process registry that is torn down on every exit path, and the bare-NGINX
baseline (a plain config root fed with the files Tollgate's agent made live).

Python standard library only. Processes come from scripts/faults/harness.py (imported, not copied).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts", "faults"))

import harness  # noqa: E402  (scripts/faults/harness.py)
from harness import (Proc, atomic_write, cmdline, kill_strays, live_probe_socket, parse_snapshot_table,  # noqa: E402,F401
                     pid_alive, probe, proc_status, read_pid, stop_leftover_nginx, wait_until)

# Ports of this part: Gateways 185xx, bare-NGINX copies of them +BARE_OFFSET, backends 186xx.
# BENCH_PORT_SHIFT moves them all (two runs side by side, each with its own --work directory).
PORT_SHIFT = int(os.environ.get("BENCH_PORT_SHIFT", "0") or 0)
GATEWAY_PORT_BASE = 18500 + PORT_SHIFT
BARE_OFFSET = 50
BACKEND_PORT = 18600 + PORT_SHIFT

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


# ---------------------------------------------------------------- statistics

def percentile(values: list[float], q: float) -> Optional[float]:
    """Linear interpolation between closest ranks (numpy's default); q in [0, 100]."""
    if not values:
        return None
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def stats(values: list[float]) -> Optional[dict]:
    if not values:
        return None
    return {"median": percentile(values, 50), "p90": percentile(values, 90), "p99": percentile(values, 99),
            "min": min(values), "max": max(values), "runs": len(values)}


_TARGET = re.compile(r"^\s*(value|ratio)\s*(<=|<|>=|>)\s*([0-9.]+)\s*$")


def target_met(target: str, value: Optional[float], ratio: Optional[float]) -> Optional[bool]:
    """Evaluates a simple target ("ratio <= 1.2", "value < 150"); None when it cannot be decided
    (no figure) or the target is not of that form."""
    m = _TARGET.match(target)
    if not m:
        return None
    x = value if m.group(1) == "value" else ratio
    if x is None:
        return None
    bound = float(m.group(3))
    return {"<=": x <= bound, "<": x < bound, ">=": x >= bound, ">": x > bound}[m.group(2)]


def entry(id_: str, target_no: int, what: str, value: Optional[float], unit: str, baseline: Optional[float],
          baseline_what: Optional[str], target: str, samples: Optional[list[float]] = None,
          met: Optional[bool] = None, notes: str = "", ratio: Optional[float] = None) -> dict:
    if ratio is None and value is not None and baseline:
        ratio = value / baseline
    if met is None:
        met = target_met(target, value, ratio)
    return {"id": id_, "target_no": target_no, "what": what,
            "value": _round(value), "unit": unit, "baseline": _round(baseline), "baseline_what": baseline_what,
            "ratio": _round(ratio), "target": target, "met": bool(met) if met is not None else False,
            "stats": {k: _round(v) if k != "runs" else v for k, v in stats(samples).items()} if samples else None,
            "notes": notes}


def _round(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(float(x), 4)


# ---------------------------------------------------------------- /proc

def cpu_ticks(pid: int) -> Optional[int]:
    """utime + stime of a process (fields 14 and 15 of /proc/PID/stat), in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return parse_stat_ticks(f.read())
    except OSError:
        return None


def parse_stat_ticks(text: str) -> int:
    # comm (field 2) may hold spaces and parentheses: fields after it start after the last ')'.
    rest = text[text.rindex(")") + 2:].split()
    return int(rest[11]) + int(rest[12])     # fields 14, 15 (rest[0] is field 3)


def cpu_percent(ticks: int, seconds: float) -> float:
    return 100.0 * ticks / CLK_TCK / seconds


def rss_mib(pid: int) -> Optional[float]:
    v = proc_status(pid).get("VmRSS", "")
    m = re.match(r"(\d+)\s*kB", v)
    return int(m.group(1)) / 1024.0 if m else None


# ---------------------------------------------------------------- HTTP

_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


def http_status(port: int, path: str, host: str = "localhost", tls: bool = False, timeout: float = 2.0) -> Optional[int]:
    """One `GET path HTTP/1.0` on a new connection; the status code, or None without an answer."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return None
    try:
        if tls:
            s = _UNVERIFIED.wrap_socket(s, server_hostname=host)
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: tollgate-bench\r\n\r\n".encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (OSError, ssl.SSLError):
        return None
    finally:
        s.close()
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def poll(pred: Callable[[], object], timeout: float, interval: float = 0.005):
    """Like wait_until, with a finer interval: (value, time.monotonic() when it was true) or (None, None)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v, time.monotonic()
        if time.monotonic() >= end:
            return None, None
        time.sleep(interval)


# ---------------------------------------------------------------- processes

class Env:
    """Every process and NGINX config root started by the part; `cleanup()` stops them all (also
    NGINX masters agents left behind), then kills strays whose command line names the work dir."""

    def __init__(self, binary: str, work: str):
        self.bin, self.work = binary, work
        self.procs: list[Proc] = []
        self.roots: list[str] = []

    def dir(self, *names: str) -> str:
        d = os.path.join(self.work, *names)
        os.makedirs(d, exist_ok=True)
        return d

    def track(self, p: Proc) -> Proc:
        self.procs.append(p)
        return p

    def start(self, name: str, argv: list[str], logdir: str) -> Proc:
        return self.track(Proc(name, argv, os.path.join(logdir, f"{name}.log")))

    def tollgate(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=timeout)

    def stop(self, p: Proc, sig: int = signal.SIGTERM) -> None:
        p.stop(sig, timeout=15)
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self, procs: list[Proc], timeout: float = 10) -> None:
        """SIGTERM to all at once, then waits (SIGKILL for those still running after `timeout`)."""
        for p in procs:
            try:
                p.signal(signal.SIGTERM)
            except OSError:
                pass
        end = time.monotonic() + timeout
        for p in procs:
            try:
                p.stop(signal.SIGTERM, timeout=max(0.1, end - time.monotonic()))
            except Exception:  # noqa: BLE001 — keep tearing down
                pass
            if p in self.procs:
                self.procs.remove(p)

    def cleanup(self) -> None:
        self.stop_all(list(reversed(self.procs)))
        self.procs.clear()
        for r in self.roots:
            try:
                stop_leftover_nginx(r)
            except Exception:  # noqa: BLE001
                pass
        self.roots.clear()
        for line in kill_strays(self.work):
            log(f"killed stray {line}")


# ---------------------------------------------------------------- backends

def start_backend(env: Env, rundir: str, port: int = BACKEND_PORT) -> Proc:
    """One NGINX answering 200 "ok" for every path on 127.0.0.1–3:`port` (the endpoints of every
    route: bench/workload.py gives each EndpointSlice 3 endpoints, 127.0.0.1..3)."""
    os.makedirs(os.path.join(rundir, "tmp"), exist_ok=True)
    conf = os.path.join(rundir, "backend.conf")
    with open(conf, "w") as f:
        f.write(f"""# Generated by bench/process: the backend of every route.
worker_processes 1;
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
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.2:{port};
        listen 127.0.0.3:{port};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
""")
    p = env.start("backend", ["nginx", "-p", rundir + "/", "-e", os.path.join(rundir, "error.log"), "-c", conf,
                              "-g", "daemon off;"], rundir)
    if not wait_until(lambda: http_status(port, "/") == 200, 10):
        raise RuntimeError("backend NGINX did not start:\n" + p.tail())
    return p


# ---------------------------------------------------------------- bare NGINX baseline

class BareNginx:
    """A plain NGINX config root (conf/ + runtime/) holding a copy of an agent's live files with
    the Gateway ports moved by BARE_OFFSET; `load(src)` copies a version's files in, `reload()`
    runs `nginx -t` then SIGHUP to the master — what an operator without Tollgate would do."""

    def __init__(self, env: Env, name: str, ports: list[int]):
        self.env, self.name, self.ports = env, name, ports
        self.dir = env.dir("bare", name)
        self.conf_dir = os.path.join(self.dir, "conf")
        self.rt = os.path.join(self.dir, "runtime")
        os.makedirs(self.rt, exist_ok=True)
        self.proc: Optional[Proc] = None
        env.roots.append(self.dir)

    @property
    def argv(self) -> list[str]:
        return ["nginx", "-p", self.rt + "/", "-e", os.path.join(self.rt, "error.log"),
                "-c", os.path.join(self.conf_dir, "nginx.conf")]

    def load(self, src: str) -> None:
        """Replaces conf/ with the files of `src` (a version directory of an agent's root), minus
        the agent's probe include and version record, ports moved."""
        src = os.path.realpath(src)
        tmp = self.conf_dir + ".new"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("agent", ".tollgate-version"))
        for dirpath, _, files in os.walk(tmp):
            for fn in files:
                if fn.endswith(".conf"):
                    p = os.path.join(dirpath, fn)
                    with open(p) as f:
                        t = f.read()
                    t2 = move_ports(t, self.ports)
                    if t2 != t:
                        with open(p, "w") as f:
                            f.write(t2)
        old = self.conf_dir + ".old"
        shutil.rmtree(old, ignore_errors=True)
        if os.path.exists(self.conf_dir):
            os.rename(self.conf_dir, old)
        os.rename(tmp, self.conf_dir)
        shutil.rmtree(old, ignore_errors=True)

    def test(self) -> None:
        r = subprocess.run(self.argv + ["-t", "-q"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"bare nginx -t failed: {r.stderr[-2000:]}")

    def start(self) -> None:
        self.test()
        self.proc = self.env.start(f"bare-{self.name}", self.argv + ["-g", "daemon off;"], self.dir)
        if not wait_until(lambda: self.master() is not None, 15):
            raise RuntimeError("bare NGINX did not start:\n" + self.proc.tail())

    def accepting_workers(self) -> list[tuple[int, str]]:
        """The master's workers that accept connections now: (pid, start time), from /proc."""
        return accepting_workers(self.master())

    def master(self) -> Optional[int]:
        pid = read_pid(os.path.join(self.rt, "nginx.pid"))
        return pid if pid and pid_alive(pid) else None

    def reload(self) -> None:
        """nginx -t, then SIGHUP to the master: what an operator would do (the agent reloads
        without a separate nginx -t: its running master validates as it reloads, see
        ConfigApplier)."""
        self.test()
        self.hup()

    def hup(self) -> None:
        os.kill(self.master(), signal.SIGHUP)

    def reloads_logged(self) -> int:
        return count_in_file(os.path.join(self.rt, "error.log"), "(SIGHUP) received")

    def stop(self) -> None:
        if self.proc:
            self.env.stop(self.proc, signal.SIGQUIT)
            self.proc = None


def move_ports(text: str, ports: list[int]) -> str:
    for port in ports:
        text = re.sub(rf"(\blisten\s+(?:\S*:)?){port}\b", rf"\g<1>{port + BARE_OFFSET}", text)
    return text


def count_in_file(path: str, needle: str) -> int:
    try:
        with open(path, errors="replace") as f:
            return f.read().count(needle)
    except OSError:
        return 0


def _proc(pid) -> Optional[tuple[list[str], bytes]]:
    """The fields of /proc/PID/stat after the command name (state first) and the command line,
    or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ")
        return stat[stat.rindex(")") + 2:].split(), cmd
    except (OSError, ValueError):
        return None


def accepting_workers(master: Optional[int]) -> list[tuple[int, str]]:
    """Children of `master` named `nginx: worker process` that are not shutting down: (pid, start
    time from /proc/PID/stat), so a reused pid is not taken for one of them."""
    out = []
    for name in os.listdir("/proc") if master else []:
        p = _proc(name) if name.isdigit() else None
        if p and len(p[0]) > 19 and p[0][1] == str(master) and p[0][0] not in "ZX" \
                and p[1].startswith(b"nginx: worker process") and b"shutting down" not in p[1]:
            out.append((int(name), p[0][19]))
    return out


def retired(workers: list[tuple[int, str]]) -> bool:
    """True once every worker of `workers` has exited, is a zombie or is shutting down (it has
    closed its listening sockets: it accepts nothing new)."""
    for pid, start in workers:
        p = _proc(pid)
        if p and len(p[0]) > 19 and p[0][19] == start and p[0][0] not in "ZX" and b"shutting down" not in p[1]:
            return False
    return True
