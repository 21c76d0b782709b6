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

from cluster import Cluster, ProbeSampler, Workload
from common import (BARE_OFFSET, BareNginx, Env, cpu_percent, cpu_ticks, http_status, log, poll, rss_mib,
                    wait_until)


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
                   timeout: float = 60) -> dict:
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
    try:
        for n in range(1, edits + 1):
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
            if "write" in marks and "swap" in marks:
                phases.append((marks["write"] - t0, marks["swap"] - marks["write"], t1 - marks["swap"]))
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

def fill_history(c: Cluster, wl: Workload, gw: str, edits: int, route: int = 0, timeout: float = 120) -> int:
    """One-route edits, each waited for until published (the controller's log names the version),
    not for NGINX: fills the Gateway's history. Returns versions published."""
    done = 0
    for n in range(edits):
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
    """wrk -t2 -c20 against one URL with a Host header; failed = socket errors + non-2xx/3xx."""

    def __init__(self, port: int, path: str, host: str, seconds: int, connections: int = 20):
        self.p = subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Host: {host}",
                                   f"http://127.0.0.1:{port}{path}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)

    def finish(self) -> dict:
        out, _ = self.p.communicate(timeout=600)
        return parse_wrk(out)

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


def churn(env: Env, c: Cluster, wl: Workload, edits: int = 200, every: float = 0.01, route: int = 0,
          stable_route: Optional[int] = None, settle: int = 8) -> dict:
    """`edits` rewrites of route `route`'s file, one each `every` s, under wrk on a route of the
    same Gateway that does not change; then the same wrk load against bare NGINX (the final
    config) reloaded as many times as Tollgate reloaded."""
    g = wl.gateway_of(route)
    gw = f"{workload_gw_ns(wl)}/gw-{g}"
    stable = stable_route if stable_route is not None else route + wl.args.gateways
    port = wl.layout.ports(g)["http"]
    spath, shost = f"/r{stable}", wl.route_host(stable)
    if http_status(port, spath, shost) != 200:
        raise RuntimeError(f"churn: stable route {spath} ({shost}) is not served before the run")
    texts = [wl.route_file(route, f"/c{n}/r{route}") for n in range(1, edits + 1)]
    staged = [stage(env, f"c{n}-{fname}", text) for n, (fname, text) in enumerate(texts)]
    snaps0 = c.snapshots().get(gw, [])
    v0 = snaps0[-1]["version"] if snaps0 else 0
    reloads0, hups0 = c.reloads(gw), c.nginx_sighups(gw)
    window = edits * every
    duration = int(1 + window + settle + 0.999)
    w = Wrk(port, spath, shost, duration)
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        for n, src in enumerate(staged):
            os.rename(src, os.path.join(wl.dir, texts[n][0]))
            rest = t0 + (n + 1) * every - time.monotonic()
            if rest > 0:
                time.sleep(rest)
        t_written = time.monotonic() - t0
        last_path = f"/c{edits}/r{route}"
        ok, t1 = poll(lambda: http_status(port, last_path, wl.route_host(route)) == 200, 120, interval=0.02)
        served_after = (t1 - t0) if ok else None
        res = w.finish()
    finally:
        w.kill()
    # Final state: the newest version applied by the agent, answered by the probe, Programmed.
    wait_until(lambda: c.converged(), 60, interval=0.25)
    snaps = c.snapshots().get(gw, [])
    newest = snaps[-1] if snaps else None
    applied = bool(newest and newest["agents"].get(c.agent_id(gw)) == "applied")
    ans = c.probe(gw)
    probe_ok = bool(newest and ans and ans[0] == newest["version"])
    programmed, why = c.programmed(gw)
    reloads, hups = c.reloads(gw) - reloads0, c.nginx_sighups(gw) - hups0
    versions = [r for r in snaps if r["version"] > v0]
    # Baseline: bare NGINX, same final files, same wrk load, as many reloads over the same window.
    bare = BareNginx(env, f"{c.name}-churn", list(wl.layout.ports(g).values()))
    bare.load(os.path.join(c.roots[gw], "current"))
    bare.start()
    try:
        if http_status(port + BARE_OFFSET, spath, shost) != 200:
            raise RuntimeError("churn: bare NGINX does not serve the stable route")
        h0 = bare.reloads_logged()
        wb = Wrk(port + BARE_OFFSET, spath, shost, duration)
        try:
            time.sleep(1.0)
            t0 = time.monotonic()
            span = max(window, served_after or window)
            for i in range(reloads):
                at = t0 + span * (i + 1) / (reloads + 1)
                rest = at - time.monotonic()
                if rest > 0:
                    time.sleep(rest)
                bare.reload()
            bres = wb.finish()
        finally:
            wb.kill()
        bare_reloads = bare.reloads_logged() - h0
    finally:
        bare.stop()
    return {"gateway": gw, "edits": edits, "written_in": t_written, "served_after": served_after,
            "reloads": reloads, "sighups": hups, "versions": len(versions), "applied": applied, "probe_ok": probe_ok,
            "programmed": programmed, "programmed_why": why, "wrk": res, "bare_wrk": bres,
            "bare_reloads": bare_reloads, "duration": duration}


# ---------------------------------------------------------------- 6. NGF's shape

def ngf_sample(wl: Workload) -> list[tuple[str, str]]:
    """(host, path) of one HTTPS route per namespace: coffee (PathPrefix /coffee)."""
    return [(f"cafe-{k}.example.com", "/coffee") for k in range(wl.args.namespaces)]


def all_served(port: int, sample: list[tuple[str, str]], timeout: float, pool: ThreadPoolExecutor) -> dict:
    """Polls the sentinel (the last route of `sample`, from the last file renamed) until it answers
    200, then sweeps every sampled route in parallel (8 threads), re-polling any that does not
    answer yet. {"sentinel": time.monotonic() the sentinel was first served, "first_pass": every
    route answered on the first sweep (so they were all in the NGINX generation that served the
    sentinel), "end": time the last one was seen served} or None on timeout."""
    end = time.monotonic() + timeout
    host, path = sample[-1]
    ok, t_sentinel = poll(lambda: http_status(port, path, host, tls=True) == 200, timeout, interval=0.005)
    if not ok:
        return None
    pending, first = list(sample), True
    while pending and time.monotonic() < end:
        results = list(pool.map(lambda hp: http_status(port, hp[1], hp[0], tls=True) == 200, pending))
        pending = [hp for hp, ok in zip(pending, results) if not ok]
        if pending:
            first = False
            time.sleep(0.01)
    if pending:
        return None
    return {"sentinel": t_sentinel, "first_pass": first, "end": time.monotonic()}


def ngf_shape(env: Env, wl: Workload, timeout: float = 300) -> dict:
    """Controller + agent on infra only; then every namespace file renamed into the directory at
    once: until every sampled route answers and the probe answers the final version. Baseline:
    bare NGINX on the infra-only files, then one `nginx -t` + SIGHUP with the final files."""
    gw = "ngf-gw/gateway"
    https = wl.args.gateway_port_base + 1
    ports = [wl.args.gateway_port_base, https]
    mdir = env.dir("runs", "ngf-manifests")
    infra = [f for f in wl.file_names() if f.startswith("infra.")]
    rest = [f for f in wl.file_names() if not f.startswith("infra.")]
    for f in infra:
        with open(os.path.join(wl.dir, f)) as src:
            stage_then = stage(env, f, src.read())
        os.rename(stage_then, os.path.join(mdir, f))
    c = Cluster(env, "ngf", mdir, [gw])
    out: dict = {"problems": []}
    pool = ThreadPoolExecutor(8)
    try:
        c.wait_converged(120)
        v0 = c.newest(gw)["version"]
        reloads0, hups0 = c.reloads(gw), c.nginx_sighups(gw)
        bare = BareNginx(env, "ngf", ports)
        bare.load(os.path.join(c.roots[gw], "current"))
        bare.start()
        staged = []
        for f in rest:
            with open(os.path.join(wl.dir, f)) as src:
                staged.append((stage(env, f, src.read()), os.path.join(mdir, f)))
        sampler = ProbeSampler(c.roots[gw])
        sampler.start()
        time.sleep(0.2)
        sample = ngf_sample(wl)
        t0 = time.monotonic()
        for src, dst in staged:
            os.rename(src, dst)
        t_renamed = time.monotonic() - t0
        sweep = all_served(https, sample, timeout, pool)
        # Every route of the sample was served from the generation that served the sentinel when
        # the first sweep found them all; otherwise when the last straggler was seen.
        t_served = None if sweep is None else sweep["sentinel"] if sweep["first_pass"] else sweep["end"]
        if t_served is None:
            out["problems"].append(f"not every route served within {timeout:.0f} s")
        # The final version: the newest once nothing new is published for 2 s, applied and answered.
        final = None
        end = time.monotonic() + timeout
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
        if final is None:
            out["problems"].append("no final version applied and answered by the probe")
            t_final = None
        else:
            t_final = sampler.first_served(final["version"])
        programmed, why = c.programmed(gw)
        accepted, routes = c.route_status()
        done = max(t_served, t_final) - t0 if t_served and t_final else None
        snaps = c.snapshots().get(gw, [])
        out.update({"tollgate": done, "served": (t_served - t0) if t_served else None,
                    "probe_final": (t_final - t0) if t_final else None, "renamed_in": t_renamed,
                    "versions": len([r for r in snaps if r["version"] > v0]),
                    "final_version": final["version"] if final else None,
                    "reloads": c.reloads(gw) - reloads0, "sighups": c.nginx_sighups(gw) - hups0, "programmed": programmed, "programmed_why": why,
                    "routes_accepted": accepted, "routes": routes, "files": len(rest)})
        # Baseline: one bare reload of the final config.
        bare.load(os.path.join(c.roots[gw], "current"))
        t0 = time.monotonic()
        bare.reload()
        bsweep = all_served(https + BARE_OFFSET, sample, timeout, pool)
        t1 = None if bsweep is None else bsweep["sentinel"] if bsweep["first_pass"] else bsweep["end"]
        out["bare"] = (t1 - t0) if t1 else None
        out["bare_first_pass"] = bool(bsweep and bsweep["first_pass"])
        out["first_pass"] = bool(sweep and sweep["first_pass"])
        if t1 is None:
            out["problems"].append("bare NGINX did not serve every route")
        bare.stop()
        # What one verifying sweep of the sample costs (not in the figures when the first pass succeeds).
        t0 = time.monotonic()
        all_served(https, sample, 30, pool)
        out["sweep"] = time.monotonic() - t0
    finally:
        pool.shutdown(wait=False)
        c.stop()
    return out
