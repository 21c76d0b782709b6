"""Clients that count: request loops (a new connection per request) and wrk with keepalive."""
from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from harness import HOST, MARKERS


@dataclass
class Failure:
    at: float          # time.time()
    loop: str
    reason: str


class TLS:
    """Client TLS contexts: server verified against the Gateway certificate's CA, SNI HOST;
    `mtls` also presents a client certificate signed by the Gateway's validation CA."""

    def __init__(self, certs: str):
        pem = os.path.join(certs, "frontend-mtls", "generated", "pem")
        self.server = ssl.create_default_context(cafile=os.path.join(pem, "cafe-secret.ca.crt"))
        self.server.set_alpn_protocols(["http/1.1"])
        self.mtls = ssl.create_default_context(cafile=os.path.join(pem, "cafe-secret.ca.crt"))
        self.mtls.set_alpn_protocols(["http/1.1"])
        self.mtls.load_cert_chain(os.path.join(pem, "nginx-secret-default.crt"), os.path.join(pem, "nginx-secret-default.key"))


def get(port: int, path: str, ctx: Optional[ssl.SSLContext] = None, timeout: float = 5.0) -> tuple[int, str]:
    """One request on a new connection: `GET path HTTP/1.0`. Returns (status, body); raises
    OSError (refused, reset, timeout, TLS failure) when there is no complete answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if ctx is not None:
            s = ctx.wrap_socket(s, server_hostname=HOST)
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {HOST}\r\nUser-Agent: tollgate-faults\r\n\r\n".encode())
        data = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, sep, body = bytes(data).partition(b"\r\n\r\n")
    if not sep:
        raise OSError(f"incomplete answer ({len(data)} bytes)")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise OSError(f"not HTTP: {head[:40]!r}")
    m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
    if m and int(m.group(1)) != len(body):
        raise OSError(f"truncated body ({len(body)} of {m.group(1)} bytes)")
    return status, body.decode(errors="replace")


class Loop(threading.Thread):
    """Sends requests back to back (at most one per `pace` seconds) until stopped; `check`
    returns None when an answer is right, else why not. Exceptions count as failures."""

    def __init__(self, name: str, check: Callable[[], Optional[str]], pace: float = 0.004):
        super().__init__(name=name, daemon=True)
        self.label, self.check, self.pace = name, check, pace
        self.sent = 0
        self.failures: list[Failure] = []
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._halt.is_set():
            t = time.time()
            try:
                why = self.check()
            except (OSError, ssl.SSLError) as e:
                why = f"{type(e).__name__}: {e}"
            with self._lock:
                self.sent += 1
                if why:
                    self.failures.append(Failure(t, self.label, why))
            rest = self.pace - (time.time() - t)
            if rest > 0:
                time.sleep(rest)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return self.sent, len(self.failures)


def expect_stable(port: int, ctx: Optional[ssl.SSLContext]) -> Callable[[], Optional[str]]:
    def check() -> Optional[str]:
        status, body = get(port, "/", ctx)
        if status != 200 or body != "stable\n":
            return f"status {status}, body {body[:60]!r}"
        return None
    return check


class MarkerCheck:
    """Asks `/m/J` for J = 0,1,2… in turn. A version routes exactly one J to the backend answering
    `marker=J` (location in servers/*.conf, upstream in upstreams.conf); every other J falls
    through to `/` (stable). An answer `marker=K` for `/m/J` with K != J would be NGINX serving
    the location of one version with the upstream of another: a mix. Counted apart from failures."""

    def __init__(self, port: int):
        self.port, self.j, self.mixes, self.seen = port, 0, [], set()
        self.lock = threading.Lock()

    def __call__(self) -> Optional[str]:
        j = self.j
        self.j = (self.j + 1) % MARKERS
        status, body = get(self.port, f"/m/{j}")
        if status != 200:
            return f"/m/{j}: status {status}, body {body[:60]!r}"
        if body == "stable\n":
            return None
        m = re.fullmatch(r"marker=(\d+)\n", body)
        if not m:
            return f"/m/{j}: body {body[:60]!r}"
        with self.lock:
            self.seen.add(j)
            if int(m.group(1)) != j:
                self.mixes.append(f"{time.strftime('%H:%M:%S')} /m/{j} answered marker={m.group(1)}")
        return None


@dataclass
class Clients:
    """The standard client set against one Gateway: HTTP, HTTPS, HTTPS with a client certificate
    (each a new connection per request) and the marker (mixed-version) check over HTTP."""
    loops: list[Loop] = field(default_factory=list)
    markers: list[MarkerCheck] = field(default_factory=list)

    @staticmethod
    def start(tls: TLS, gateways: list, markers: bool = True) -> "Clients":
        c = Clients()
        for gw in gateways:
            c.loops += [Loop(f"{gw.name} http", expect_stable(gw.http, None)),
                        Loop(f"{gw.name} https", expect_stable(gw.https, tls.server)),
                        Loop(f"{gw.name} https+mtls", expect_stable(gw.mtls, tls.mtls))]
            if markers:
                mc = MarkerCheck(gw.http)
                c.markers.append(mc)
                c.loops.append(Loop(f"{gw.name} marker", mc))
        for l in c.loops:
            l.start()
        return c

    def stop(self) -> None:
        for l in self.loops:
            l._halt.set()
        for l in self.loops:
            l.join(10)

    def totals(self) -> tuple[int, int]:
        sent = failed = 0
        for l in self.loops:
            s, f = l.counts()
            sent += s
            failed += f
        return sent, failed

    def failures(self) -> list[Failure]:
        out = []
        for l in self.loops:
            with l._lock:
                out += l.failures
        return sorted(out, key=lambda f: f.at)

    def mixes(self) -> list[str]:
        return [m for mc in self.markers for m in mc.mixes]

    def failures_since(self, t: float) -> list[Failure]:
        return [f for f in self.failures() if f.at >= t]


def kind(reason: str) -> str:
    """A failure's kind: refused, reset, timeout, closed early, TLS, or the wrong answer."""
    r = reason.lower()
    for key, label in (("refused", "refused"), ("reset", "reset"), ("timed out", "timeout"), ("timeout", "timeout"),
                       ("incomplete answer", "closed without an answer"), ("truncated", "truncated"),
                       ("ssl", "TLS error"), ("status", "wrong answer"), ("body", "wrong answer")):
        if key in r:
            return label
    return "other"


def bursts(fails: list[Failure], gap: float = 0.5) -> list[list[Failure]]:
    out: list[list[Failure]] = []
    for f in fails:
        if out and f.at - out[-1][-1].at < gap:
            out[-1].append(f)
        else:
            out.append([f])
    return out


def summarize_failures(fails: list[Failure]) -> str:
    """"N failed in B bursts (longest S s): K refused, … " or "none"."""
    if not fails:
        return "none"
    b = bursts(fails)
    kinds: dict[str, int] = {}
    for f in fails:
        k = kind(f.reason)
        kinds[k] = kinds.get(k, 0) + 1
    longest = max(x[-1].at - x[0].at for x in b)
    return (f"{len(fails)} failed in {len(b)} burst{'s' if len(b) > 1 else ''} (longest {longest:.2f} s): "
            + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))


def first_failures(fails: list[Failure], limit: int = 3) -> str:
    """The first failures, as evidence: time, loop and reason."""
    return "; ".join(f"{time.strftime('%H:%M:%S', time.localtime(f.at))}.{int(f.at * 1000) % 1000:03d} "
                     f"{f.loop}: {f.reason}" for f in fails[:limit])


# ---------------------------------------------------------------- wrk

@dataclass
class WrkResult:
    requests: int = 0
    connect: int = 0
    read: int = 0
    write: int = 0
    timeout: int = 0
    non2xx: int = 0
    raw: str = ""

    @property
    def errors(self) -> int:
        return self.connect + self.read + self.write + self.timeout + self.non2xx


def start_wrk(url: str, seconds: int, connections: int = 20, threads: int = 2) -> subprocess.Popen:
    return subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(p: subprocess.Popen) -> WrkResult:
    out, _ = p.communicate(timeout=600)
    r = WrkResult(raw=out)
    m = re.search(r"(\d+) requests in", out)
    r.requests = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r.connect, r.read, r.write, r.timeout = map(int, m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r.non2xx = int(m.group(1)) if m else 0
    return r
