"""The measurements of the process part (targets 4, 5, 6, 8 and 9 of issue 9). Each returns raw
figures; run.py turns them into entries. Every figure has its baseline measured in the same run."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from cluster import Cluster, LogStamper, ProbeSampler, RootWatcher, Workload
from common import (BARE_OFFSET, BareNginx, Env, accepting_workers, retired, count_in_file, cpu_percent, cpu_ticks, http_status, log, poll,
                    rss_mib, wait_until)


def stage(env: Env, name: str, text: str) -> str:
    """Writes `text` under work/staging (same file system as the manifests, outside the watched
    directory) and fsyncs it, so that the edit itself is a single rename."""
    d = env.dir("staging")
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return p


# ---------------------------------------------------------------- 4. edit → served

def edit_to_served(env: Env, c: Cluster, wl: Workload, edits: int, route: int = 0,
                   timeout: float = 60, stop_at: Optional[float] = None) -> dict:
    """`edits` one-route edits of route `route` (a new path each), alternating with the bare-NGINX
    baseline on the same files: Tollgate's time from the rename into the manifest directory to
    the first 200 on the new path with the agent's probe answering a newer version; bare NGINX's
    time from `nginx -t` to the first 200 after SIGHUP, config = the agent's live files of that
    version."""
    g = wl.gateway_of(route)
    gw = f"{workload_gw_ns(wl)}/gw-{g}"
    port = wl.layout.ports(g)["http"]
    host = wl.route_host(route)
    root = c.roots[gw]
    bare = BareNginx(env, f"{c.name}-edit", list(wl.layout.ports(g).values()))
    bare.load(os.path.join(root, "current"))
    bare.start()
    tg, bn, versions, problems, phases = [], [], [], [], []
    published = LogStamper(c.controller.logfile, f"published {gw} version")
    published.start()
    try:
        for n in range(1, edits + 1):
            if n > 1 and stop_at is not None and time.monotonic() >= stop_at:
                problems.append(f"stopped after {n - 1} of {edits} edits: the part's time budget")
                break
            path = f"/e{n}/{c.name}/r{route}"
            fname, text = wl.route_file(route, path)
            src = stage(env, fname, text)
            before = c.probe(gw)
            vdir = os.path.join(root, "versions")
            names0, link0 = set(os.listdir(vdir)), os.readlink(os.path.join(root, "current"))
            marks: dict = {}
            t0 = time.monotonic()
            os.rename(src, os.path.join(wl.dir, fname))

            def served():
                # Phases, seen from outside: the agent starts writing a tree (a new entry under
                # versions/), swaps `current`, and NGINX serves the new path.
                if "write" not in marks and set(os.listdir(vdir)) - names0:
                    marks["write"] = time.monotonic()
                if "swap" not in marks and os.readlink(os.path.join(root, "current")) != link0:
                    marks["swap"] = time.monotonic()
                if http_status(port, path, host) != 200:
                    return None
                a = c.probe(gw)
                return a if a and before and a[0] > before[0] else None
            ans, t1 = poll(served, timeout)
            if not ans:
                problems.append(f"edit {n}: not served within {timeout:.0f} s")
                continue
            tg.append(t1 - t0)
            versions.append(ans[0])
            pub = next((t for t in published.stamps if t >= t0), None)
            if "write" in marks and "swap" in marks and pub:
                phases.append((pub - t0, marks["write"] - pub, marks["swap"] - marks["write"], t1 - marks["swap"]))
            # The baseline: the same files, bare NGINX.
            bare.load(os.path.join(root, "current"))
            t0 = time.monotonic()
            bare.reload()
            ok, t1 = poll(lambda: http_status(port + BARE_OFFSET, path, host) == 200, timeout)
            if not ok:
                problems.append(f"edit {n}: bare NGINX did not serve {path} within {timeout:.0f} s")
                continue
            bn.append(t1 - t0)
    finally:
        published.stop()
        bare.stop()
    return {"tollgate": tg, "bare": bn, "versions": versions, "problems": problems, "gateway": gw, "phases": phases,
            "bare_reloads": bare.reloads_logged()}


def workload_gw_ns(wl: Workload) -> str:
    import workload
    return "ngf-gw" if wl.args.ngf else workload.GW_NS


# ---------------------------------------------------------------- 5. idle CPU

STAT_LOOP = r"""
import os, sys, time
files = sys.argv[1:]
while True:
    for p in files:
        try:
            os.stat(p)
        except OSError:
            pass
    time.sleep(0.25)
"""


def idle_cpu(env: Env, c: Cluster, wl: Workload, seconds: float) -> dict:
    """CPU of the settled, idle controller over `seconds` (ticks of /proc/PID/stat), then the same
    for a process stat()ing every manifest file each 250 ms (the old polling's floor)."""
    pid = c.controller.pid
    agents = {gw: p.pid for gw, p in c.agents.items()}
    a0 = {gw: cpu_ticks(p) or 0 for gw, p in agents.items()}
    t0, k0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(seconds)
    k1, t1 = cpu_ticks(pid), time.monotonic()
    a1 = {gw: cpu_ticks(p) or 0 for gw, p in agents.items()}
    ctl = cpu_percent(k1 - k0, t1 - t0)
    agent_pct = cpu_percent(sum(a1[g] - a0[g] for g in agents), t1 - t0)
    files = [os.path.join(wl.dir, f) for f in wl.file_names()]
    p = subprocess.Popen([sys.executable, "-c", STAT_LOOP, *files], stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.5)                              # interpreter start-up is not the loop's cost
        b0, s0 = cpu_ticks(p.pid), time.monotonic()
        time.sleep(seconds)
        b1, s1 = cpu_ticks(p.pid), time.monotonic()
    finally:
        p.kill()
        p.wait()
    return {"controller_pct": ctl, "controller_ticks": k1 - k0, "seconds": t1 - t0,
            "agents_pct": agent_pct, "baseline_pct": cpu_percent(b1 - b0, s1 - s0), "baseline_ticks": b1 - b0,
            "files": len(files)}


# ---------------------------------------------------------------- 8. memory

def fill_history(c: Cluster, wl: Workload, gw: str, edits: int, route: int = 0, timeout: float = 120,
                 stop_at: Optional[float] = None) -> int:
    """One-route edits, each waited for until published (the controller's log names the version),
    not for NGINX: fills the Gateway's history. Returns versions published."""
    done = 0
    for n in range(edits):
        if stop_at is not None and time.monotonic() >= stop_at:
            break
        path = f"/h{n}/r{route}"
        fname, text = wl.route_file(route, path)
        src = stage(c.env, fname, text)
        want = published_count(c, gw) + 1
        os.rename(src, os.path.join(wl.dir, fname))
        if not wait_until(lambda: published_count(c, gw) >= want, timeout, interval=0.05):
            break
        done += 1
    return done


def published_count(c: Cluster, gw: str) -> int:
    try:
        with open(c.controller.logfile, errors="replace") as f:
            return len(re.findall(rf"published {re.escape(gw)} version \d+", f.read()))
    except OSError:
        return 0


# ---------------------------------------------------------------- 9. churn

class Wrk:
    """wrk -t2 -c20 against one URL with a Host header, run until `stop()` (SIGINT: wrk prints its
    summary); failed = socket errors + non-2xx/3xx answers."""

    def __init__(self, port: int, path: str, host: str, connections: int = 20):
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(["wrk", "-t2", f"-c{connections}", "-d600s", "-H", f"Host: {host}",
                                   f"http://127.0.0.1:{port}{path}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)

    def stop(self) -> dict:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        out, _ = self.p.communicate(timeout=60)
        r = parse_wrk(out)
        r["seconds"] = time.monotonic() - self.t_start
        return r

    def kill(self) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()


def parse_wrk(out: str) -> dict:
    r = {"requests": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0, "non2xx": 0}
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["connect"], r["read"], r["write"], r["timeout"] = map(int, m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    r["failed"] = r["connect"] + r["read"] + r["write"] + r["timeout"] + r["non2xx"]
    return r


class CpuSampler(threading.Thread):
    """Samples, every `interval` s, the CPU ticks of some processes (name → pid) and the machine's
    busy ticks (/proc/stat, all cores): `share(names, t0, t1)` is their CPU in % of one core over
    [t0, t1] (time.monotonic()), "machine" the whole machine's (all processes, up to 100 × cores)."""

    def __init__(self, pids: dict, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pids, self.interval = dict(pids), interval
        self.samples: list[tuple[float, dict]] = []
        self._halt = threading.Event()

    @staticmethod
    def machine_ticks() -> int:
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
            return sum(v) - v[3] - (v[4] if len(v) > 4 else 0)      # all but idle and iowait
        except (OSError, ValueError):
            return 0

    def sample(self) -> None:
        ticks = {name: cpu_ticks(pid) or 0 for name, pid in self.pids.items()}
        ticks["machine"] = self.machine_ticks()
        self.samples.append((time.monotonic(), ticks))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            time.sleep(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self.sample()

    def share(self, names: list[str], t0: float, t1: float) -> Optional[float]:
        """% of one core the named processes used between the samples around [t0, t1]."""
        before = [s for s in self.samples if s[0] <= t0]
        after = [s for s in self.samples if s[0] >= t1]
        if not before or not after:
            return None
        (a, ta), (b, tb) = before[-1], after[0]
        if b <= a:
            return None
        return cpu_percent(sum(tb.get(n, 0) - ta.get(n, 0) for n in names), b - a)


class PathPoller(threading.Thread):
    """GET `path` every `interval` s on a new connection until `stop()` (or until it answers 200
    when `until_ok`): stamps the first 200. Both arms of the churn poll like this."""

    def __init__(self, port: int, path: str, host: str, interval: float = 0.02, until_ok: bool = True):
        super().__init__(daemon=True)
        self.port, self.path, self.host, self.interval, self.until_ok = port, path, host, interval, until_ok
        self.ok_at: Optional[float] = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            if http_status(self.port, self.path, self.host) == 200 and self.ok_at is None:
                self.ok_at = time.monotonic()
                if self.until_ok:
                    return
            time.sleep(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def last_published(c: Cluster, gw: str) -> int:
    """The newest version of `gw` the controller's log says it published (0 if none)."""
    try:
        with open(c.controller.logfile, errors="replace") as f:
            found = re.findall(rf"published {re.escape(gw)} version (\d+)", f.read())
    except OSError:
        return 0
    return int(found[-1]) if found else 0


def agent_applied(c: Cluster, gw: str, version: int) -> bool:
    return count_in_file(c.agents[gw].logfile, f"version {version}: applied") > 0


def churn_tollgate(env: Env, c: Cluster, wl: Workload, first: int, edits: int, every: float, route: int,
                   stable: int, timeout: float) -> dict:
    """One churn run on Tollgate: `edits` rewrites of route `route`'s file (paths /c{first}…), one
    each `every` s, under wrk on route `stable` of the same Gateway, until the last edit is served
    and the probe answers the newest published version applied by the agent (+1 s). While wrk runs
    the harness only reads log files, the probe socket and the polled path (no `tollgate` CLI
    process, which would load the machine in this arm only); the status checks come after."""
    g = wl.gateway_of(route)
    gw = f"{workload_gw_ns(wl)}/gw-{g}"
    port = wl.layout.ports(g)["http"]
    spath, shost = f"/r{stable}", wl.route_host(stable)
    root = c.roots[gw]
    texts = [wl.route_file(route, f"/c{first + n}/r{route}") for n in range(edits)]
    staged = [stage(env, f"c{first + n}-{fname}", text) for n, (fname, text) in enumerate(texts)]
    v0 = last_published(c, gw)
    reloads0, hups0 = c.reloads(gw), c.nginx_sighups(gw)
    elog = os.path.join(root, "runtime", "error.log")
    hups, downs = LogStamper(elog, "(SIGHUP) received"), LogStamper(elog, "gracefully shutting down")
    cpu = CpuSampler({"controller": c.controller.pid, "agent": c.agents[gw].pid})
    for t in (hups, downs, cpu):
        t.start()
    w = Wrk(port, spath, shost)
    last_path = f"/c{first + edits - 1}/r{route}"
    poller = PathPoller(port, last_path, wl.route_host(route))
    problems = []
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        poller.start()
        for n, src in enumerate(staged):
            os.rename(src, os.path.join(wl.dir, texts[n][0]))
            rest = t0 + (n + 1) * every - time.monotonic()
            if rest > 0:
                time.sleep(rest)
        t_written = time.monotonic() - t0
        poller.join(timeout)
        poller.stop()
        served_after = (poller.ok_at - t0) if poller.ok_at else None
        if served_after is None:
            problems.append(f"the last edit was not served within {timeout:.0f} s")

        def settled():
            v = last_published(c, gw)
            a = c.probe(gw)
            return v > v0 and a is not None and a[0] == v and agent_applied(c, gw, v)
        if not wait_until(settled, timeout, interval=0.05):
            problems.append(f"the newest version was not applied and probed within {timeout:.0f} s")
        # The last reload's old workers have closed their idle connections (counted by wrk).
        if not wait_until(lambda: shut_down(hups.stamps, downs.stamps), 30, interval=0.05):
            problems.append("the last reload's old workers did not shut down within 30 s")
        time.sleep(1.0)
        res = w.stop()
    finally:
        w.kill()
        poller.stop()
        for t in (hups, downs, cpu):
            t.stop()
    snaps = c.snapshots().get(gw, [])
    newest = snaps[-1] if snaps else None
    applied = bool(newest and newest["agents"].get(c.agent_id(gw)) == "applied")
    ans = c.probe(gw)
    probe_ok = bool(newest and ans and ans[0] == newest["version"])
    programmed, why = c.programmed(gw)
    reloads, sighups = c.reloads(gw) - reloads0, c.nginx_sighups(gw) - hups0
    return {"gateway": gw, "edits": edits, "written_in": t_written, "served_after": served_after,
            "reloads": reloads, "sighups": sighups, "versions": len([r for r in snaps if r["version"] > v0]),
            "applied": applied, "probe_ok": probe_ok, "programmed": programmed, "programmed_why": why,
            "wrk": res, "offsets": [t - t0 for t in hups.stamps], "problems": problems,
            "reload_windows": reload_windows(hups.stamps, downs.stamps, cpu, ["controller", "agent"], t0),
            "seconds": res["seconds"], "poll_path": last_path, "poll_host": wl.route_host(route)}


def reload_windows(hups: list[float], downs: list[float], cpu: CpuSampler, names: list[str], t0: float) -> list[dict]:
    """Per SIGHUP: when the old workers began to shut down (the moment idle keep-alive connections
    are closed: the read errors wrk counts happen then), and the CPU of `names` and of the whole
    machine from the SIGHUP to 0.3 s after that moment."""
    out = []
    for i, h in enumerate(hups):
        nxt = hups[i + 1] if i + 1 < len(hups) else float("inf")
        d = next((x for x in downs if h <= x < nxt), None)
        end = (d if d is not None else h + 1.0) + 0.3
        out.append({"hup": h - t0, "down_after": None if d is None else d - h,
                    "cpu": cpu.share(names, h, end) if names else None, "machine": cpu.share(["machine"], h, end)})
    return out


def shut_down(hups: list[float], downs: list[float]) -> bool:
    """The old workers of the last reload logged "gracefully shutting down" (the moment they close
    idle keep-alive connections: the read errors wrk counts happen then)."""
    return not hups or any(d >= hups[-1] for d in downs)


def churn_bare(bare: BareNginx, port: int, spath: str, shost: str, poll_path: str, poll_host: str,
               offsets: list[float], seconds: float, poll_for: Optional[float]) -> dict:
    """The baseline of one churn run: bare NGINX (the same files), the same wrk load, a SIGHUP at
    each of Tollgate's offsets from the start, each after an `nginx -t` started early enough to end
    before it (as the agent tests before it signals), the same path polling while Tollgate's arm
    polled (`poll_for` s); wrk runs for at least as long as Tollgate's and until the last reload's
    old workers have shut down (+1 s), so that every reload's failed requests are counted."""
    elog = os.path.join(bare.rt, "error.log")
    hups, downs = LogStamper(elog, "(SIGHUP) received"), LogStamper(elog, "gracefully shutting down")
    cpu = CpuSampler({})
    ts = time.monotonic()
    bare.test()
    lead = 3 * (time.monotonic() - ts)      # nginx -t takes longer under wrk's load
    for t in (hups, downs, cpu):
        t.start()
    h0 = bare.reloads_logged()
    wb = Wrk(port + BARE_OFFSET, spath, shost)
    poller = PathPoller(port + BARE_OFFSET, poll_path, poll_host, until_ok=False)
    late = []
    try:
        time.sleep(1.0)
        tb = time.monotonic()
        poller.start()
        for off in offsets:
            if poll_for is not None and off > poll_for:
                poller.stop()
            rest = tb + off - lead - time.monotonic()
            if rest > 0:
                time.sleep(rest)
            ts = time.monotonic()
            bare.test()
            lead = max(lead, 2 * (time.monotonic() - ts))
            rest = tb + off - time.monotonic()
            if rest > 0:
                time.sleep(rest)
            else:
                late.append(-rest)
            bare.hup()
        if poll_for is not None:
            rest = tb + poll_for - time.monotonic()
            if rest > 0:
                time.sleep(rest)
        poller.stop()
        wait_until(lambda: shut_down(hups.stamps, downs.stamps), 30, interval=0.05)
        rest = max(wb.t_start + seconds, time.monotonic() + 1.0) - time.monotonic()
        time.sleep(rest)
        bres = wb.stop()
    finally:
        wb.kill()
        poller.stop()
        for t in (hups, downs, cpu):
            t.stop()
    wait_until(lambda: bare.reloads_logged() - h0 >= len(offsets), 10)
    return {"wrk": bres, "reloads": bare.reloads_logged() - h0, "offsets": [t - tb for t in hups.stamps],
            "late": late, "reload_windows": reload_windows(hups.stamps, downs.stamps, cpu, [], tb)}


def churn(env: Env, c: Cluster, wl: Workload, edits: int = 200, every: float = 0.01, route: int = 0,
          stable_route: Optional[int] = None, timeout: float = 120, rounds: int = 1,
          stop_at: Optional[float] = None) -> dict:
    """`rounds` churn runs (see churn_tollgate), each paired with its baseline: bare NGINX on the
    final files under the same wrk load for as long, reloaded as many times as Tollgate's NGINX
    logged a SIGHUP, each at the same moment relative to the first edit. The order alternates
    (Tollgate first in rounds 1, 3, …; the baseline first in rounds 2, 4, …, replaying the previous
    round's moments), so that the shared machine's drifting load falls on both arms alike. A round
    starts only when `stop_at` (time.monotonic()) leaves time for it; the first always runs."""
    g = wl.gateway_of(route)
    gw = f"{workload_gw_ns(wl)}/gw-{g}"
    stable = stable_route if stable_route is not None else route + wl.args.gateways
    port = wl.layout.ports(g)["http"]
    spath, shost = f"/r{stable}", wl.route_host(stable)
    if http_status(port, spath, shost) != 200:
        raise RuntimeError(f"churn: stable route {spath} ({shost}) is not served before the run")
    bare = BareNginx(env, f"{c.name}-churn", list(wl.layout.ports(g).values()))
    out: dict = {"gateway": gw, "edits": edits, "rounds": [], "problems": []}
    try:
        prev = None
        for r in range(rounds):
            t_round = time.monotonic()
            if r and stop_at is not None and time.monotonic() + out["round_seconds"] > stop_at:
                out["problems"].append(f"stopped after {r} of {rounds} rounds: the part's time budget")
                break
            tollgate_first = r % 2 == 0 or prev is None
            row: dict = {"order": "tollgate, bare" if tollgate_first else "bare, tollgate"}
            if not tollgate_first:
                row["bare"] = churn_bare(bare, port, spath, shost, prev["poll_path"], prev["poll_host"],
                                         prev["offsets"], prev["seconds"], prev["served_after"])
            t = churn_tollgate(env, c, wl, 1 + r * edits, edits, every, route, stable, timeout)
            if bare.proc is None:
                bare.load(os.path.join(c.roots[gw], "current"))
                bare.start()
                if http_status(port + BARE_OFFSET, spath, shost) != 200:
                    raise RuntimeError("churn: bare NGINX does not serve the stable route")
            if tollgate_first:
                row["bare"] = churn_bare(bare, port, spath, shost, t["poll_path"], t["poll_host"], t["offsets"],
                                         t["seconds"], t["served_after"])
            row["tollgate"] = t
            prev = t
            out["rounds"].append(row)
            out["round_seconds"] = time.monotonic() - t_round
    finally:
        bare.stop()
    return out


# ---------------------------------------------------------------- 6. NGF's shape

def ngf_hosts(wl: Workload) -> list[str]:
    return [f"cafe-{k}.example.com" for k in range(wl.args.namespaces)]


def served_times(http_port: int, https_port: int, hosts: list[str], timeout: float,
                 pool: ThreadPoolExecutor) -> Optional[dict]:
    """When every namespace's routes are served. The sentinel — the HTTPS `/coffee` route of the
    last file renamed — is polled until it answers 200; then every namespace's route on the HTTP
    listener (`/coffee` over plain HTTP — bench/workload.py's stand-in for NGF's HTTPS redirect; a
    200 or a redirect counts: cheap to ask, no TLS handshake) is swept in parallel until each has
    answered once, each stamped when its answer came. Returns
    {"sentinel": t, "last": latest stamp} (time.monotonic()) or None on timeout. Afterwards
    `verify_https` asks every HTTPS route of the sample (untimed)."""
    end = time.monotonic() + timeout
    ok, t_sentinel = poll(lambda: http_status(https_port, "/coffee", hosts[-1], tls=True) == 200, timeout)
    if not ok:
        return None

    def ask(host):
        return http_status(http_port, "/coffee", host) in (200, 301, 302, 308), time.monotonic()
    pending, last = list(hosts), t_sentinel
    while pending and time.monotonic() < end:
        results = list(pool.map(ask, pending))
        for ok, t in results:
            if ok:
                last = max(last, t)
        pending = [h for h, (ok, _) in zip(pending, results) if not ok]
        if pending:
            time.sleep(0.005)
    return None if pending else {"sentinel": t_sentinel, "last": last}


def verify_https(https_port: int, hosts: list[str], pool: ThreadPoolExecutor) -> list[str]:
    """Hosts whose HTTPS routes (coffee, PathPrefix; tea, Exact) do not both answer 200."""
    def bad(host):
        return not (http_status(https_port, "/coffee/x", host, tls=True) == 200
                    and http_status(https_port, "/tea", host, tls=True) == 200)
    return [h for h, b in zip(hosts, pool.map(bad, hosts)) if b]


def ngf_shape(env: Env, wl: Workload, timeout: float = 120) -> dict:
    """Controller + agent on infra only; then every namespace file renamed into the directory at
    once: until every namespace's routes answer, the probe answers the final version and the
    agent's report of it reached the controller (the moment the Gateway turns Programmed: the
    controller's "applied" log line; the agent reports once the old workers stopped accepting).
    Baseline: bare NGINX on the infra-only files, then one `nginx -t` + SIGHUP with the final
    files, timed the same way: until every namespace's routes answer and the old workers stopped
    accepting (exited or shutting down, from /proc) — the reload complete."""
    gw = "ngf-gw/gateway"
    http, https = wl.args.gateway_port_base, wl.args.gateway_port_base + 1
    mdir = env.dir("runs", "ngf-manifests")
    infra = [f for f in wl.file_names() if f.startswith("infra.")]
    rest = [f for f in wl.file_names() if not f.startswith("infra.")]
    for f in infra:
        with open(os.path.join(wl.dir, f)) as src:
            staged = stage(env, f, src.read())
        os.rename(staged, os.path.join(mdir, f))
    c = Cluster(env, "ngf", mdir, [gw])
    out: dict = {"problems": []}
    pool = ThreadPoolExecutor(8)
    hosts = ngf_hosts(wl)
    bare = None
    try:
        c.wait_converged(120)
        v0 = c.newest(gw)["version"]
        reloads0, hups0 = c.reloads(gw), c.nginx_sighups(gw)
        bare = BareNginx(env, "ngf", [http, https])
        bare.load(os.path.join(c.roots[gw], "current"))
        bare.start()
        files = []
        for f in rest:
            with open(os.path.join(wl.dir, f)) as src:
                files.append((stage(env, f, src.read()), os.path.join(mdir, f)))
        sampler = ProbeSampler(c.roots[gw])
        sampler.start()
        published = LogStamper(c.controller.logfile, f"published {gw} version")
        published.start()
        applied = LogStamper(c.controller.logfile, f" applied {gw} version")
        applied.start()
        watcher = RootWatcher(c.roots[gw])
        watcher.start()
        time.sleep(0.2)
        t0 = time.monotonic()
        for src, dst in files:
            os.rename(src, dst)
        t_renamed = time.monotonic() - t0
        seen = served_times(http, https, hosts, timeout, pool)
        if seen is None:
            out["problems"].append(f"not every namespace served within {timeout:.0f} s")
        # The final version: the newest once nothing new is published for 2 s, applied and answered.
        final, end = None, time.monotonic() + timeout
        while time.monotonic() < end:
            row = c.newest(gw)
            if row and row["agents"].get(c.agent_id(gw)) == "applied" and sampler.first_served(row["version"]):
                time.sleep(2.0)
                again = c.newest(gw)
                if again and again["version"] == row["version"]:
                    final = row
                    break
            else:
                time.sleep(0.1)
        sampler.stop()
        published.stop()
        applied.stop()
        watcher.stop()
        out["phases"] = {"published": [t - t0 for t in published.stamps],
                         "write": watcher.write and watcher.write - t0, "swap": watcher.swap and watcher.swap - t0}
        t_final = sampler.first_served(final["version"]) if final else None
        if final is None:
            out["problems"].append("no final version applied and answered by the probe")
        t_programmed = next((t for t, line in applied.hits if final and line.rstrip().endswith(f"version {final['version']}")), None)
        if final and t_programmed is None:
            out["problems"].append("the controller did not log the agent's report of the final version")
        bad = verify_https(https, hosts, pool)
        if bad:
            out["problems"].append(f"{len(bad)} namespaces' HTTPS routes not served at the end, e.g. {bad[0]}")
        programmed, why = c.programmed(gw)
        accepted, routes = c.route_status()
        done = max(seen["last"], t_final, t_programmed) - t0 if seen and t_final and t_programmed else None
        snaps = c.snapshots().get(gw, [])
        out.update({"tollgate": done, "sentinel": (seen["sentinel"] - t0) if seen else None,
                    "served": (seen["last"] - t0) if seen else None,
                    "probe_final": (t_final - t0) if t_final else None, "renamed_in": t_renamed,
                    "programmed_at": (t_programmed - t0) if t_programmed else None,
                    "versions": len([r for r in snaps if r["version"] > v0]),
                    "final_version": final["version"] if final else None,
                    "reloads": c.reloads(gw) - reloads0, "sighups": c.nginx_sighups(gw) - hups0,
                    "programmed": programmed, "programmed_why": why,
                    "routes_accepted": accepted, "routes": routes, "files": len(rest)})
        # Baseline: one bare reload of the final config, timed the same way.
        bare.load(os.path.join(c.roots[gw], "current"))
        old_workers = bare.accepting_workers()
        t0 = time.monotonic()
        bare.reload()
        bseen = served_times(http + BARE_OFFSET, https + BARE_OFFSET, hosts, timeout, pool)
        ok, t_retired = poll(lambda: retired(old_workers), timeout, interval=0.005)
        if not ok:
            out["problems"].append("bare NGINX's old workers did not stop accepting")
        out["bare"] = (max(bseen["last"], t_retired) - t0) if bseen and ok else None
        out["bare_served"] = (bseen["last"] - t0) if bseen else None
        out["bare_retired"] = (t_retired - t0) if ok else None
        out["bare_workers"] = len(old_workers)
        out["bare_sentinel"] = (bseen["sentinel"] - t0) if bseen else None
        if bseen is None:
            out["problems"].append("bare NGINX did not serve every namespace")
        elif verify_https(https + BARE_OFFSET, hosts, pool):
            out["problems"].append("bare NGINX: some HTTPS routes not served")
        # What one sweep of the HTTP routes costs once everything is served (in both figures).
        t0 = time.monotonic()
        served_times(http, https, hosts, 30, pool)
        out["sweep"] = time.monotonic() - t0
    finally:
        pool.shutdown(wait=False)
        if bare:
            bare.stop()
        c.stop()
    return out
