#!/usr/bin/env python3
"""Churn under load (issue 9, target 9), a developer's measurement, not part of the harness.

`tollgate standalone` watches a manifest directory; wrk loads a stable route on the Gateway
(keepalive, -c20) while one route file is rewritten EDITS times within SECONDS (atomic renames).
Counts NGINX reloads (the agent's "applied" results and the master's "reconfiguring" lines), the
versions published, wrk's failed requests, checks that the final edit is served, applied and the
route Programmed; then the same number of bare `nginx -s reload` of the same config under the
same wrk load (the baseline), and one bare reload per edit (what no coalescing would cost).

    python3 bench/churn-dev/churn.py [--binary .build/debug/tollgate] [--edits 200] [--seconds 2]
                                     [--routes 100] [--keep]
Ports: Gateway 18801, bare NGINX 18802, backend 18891.
"""
from __future__ import annotations  # noqa

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

GW_PORT, BARE_PORT, BACKEND_PORT = 18801, 18802, 18891
NS = "churn"


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def atomic_write(path: str, text: str) -> None:
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def wait_until(pred, timeout: float, interval: float = 0.05):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return None
        time.sleep(interval)


def get(host: str, path: str, port: int = GW_PORT) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


BASE = f"""apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: tollgate}}
spec: {{controllerName: tollgate.dev/gateway-controller}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw, namespace: {NS}}}
spec:
  gatewayClassName: tollgate
  listeners:
  - {{name: http, port: {GW_PORT}, protocol: HTTP}}
---
apiVersion: v1
kind: Service
metadata: {{name: stable, namespace: {NS}}}
spec:
  ports: [{{name: http, port: 80, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: stable
  namespace: {NS}
  labels: {{kubernetes.io/service-name: stable}}
addressType: IPv4
ports: [{{name: http, port: {BACKEND_PORT}, protocol: TCP}}]
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
"""


def route(name: str, host: str, path: str) -> str:
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {NS}}}
spec:
  parentRefs: [{{name: gw}}]
  hostnames: [{host}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]
    backendRefs: [{{name: stable, port: 80}}]
"""


def bulk(n: int) -> str:
    return "---\n".join(route(f"bulk-{i}", f"bulk-{i}.example", "/") for i in range(n))


def start(argv: list[str], logfile: str) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=open(logfile, "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(p: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_wrk(port: int, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(["wrk", "-t2", "-c20", f"-d{int(seconds)}s", "-H", "Host: stable.example",
                             f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(p: subprocess.Popen) -> dict:
    out, _ = p.communicate()
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    sock = [int(x) for x in m.groups()] if m else [0, 0, 0, 0]
    non2xx = int(m2.group(1)) if (m2 := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    return {"requests": reqs, "connect": sock[0], "read": sock[1], "write": sock[2], "timeout": sock[3],
            "non2xx": non2xx, "failed": sum(sock) + non2xx}


def count(path: str, needle: str) -> int:
    try:
        with open(path, errors="replace") as f:
            return f.read().count(needle)
    except FileNotFoundError:
        return 0


def bare_run(tree: str, work: str, reloads: int, spread: float, seconds: float) -> dict:
    """A bare NGINX on a copy of the live tree (port moved, probe include dropped), wrk for
    `seconds`, and `reloads` × `nginx -s reload` spread evenly over `spread` seconds."""
    d = os.path.join(work, f"bare-{reloads}")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(tree, os.path.join(d, "conf"), ignore=shutil.ignore_patterns("agent", ".tollgate-version"))
    for dp, _, files in os.walk(os.path.join(d, "conf")):
        for fn in files:
            if fn.endswith(".conf"):
                p = os.path.join(dp, fn)
                t = open(p).read()
                t = re.sub(r"^\s*include\s+agent/[^;]*;\s*$", "", t, flags=re.M)
                open(p, "w").write(t.replace(f":{GW_PORT}", f":{BARE_PORT}").replace(f"listen {GW_PORT}", f"listen {BARE_PORT}"))
    rt = os.path.join(d, "runtime")
    os.makedirs(rt, exist_ok=True)
    argv = ["nginx", "-p", rt + "/", "-e", os.path.join(rt, "error.log"), "-c", os.path.join(d, "conf", "nginx.conf")]
    t = subprocess.run(argv + ["-t"], capture_output=True, text=True)
    if t.returncode != 0:
        raise RuntimeError(t.stderr)
    p = start(argv + ["-g", "daemon off;"], os.path.join(d, "nginx.log"))
    if not wait_until(lambda: get("stable.example", "/", BARE_PORT) == 200, 10):
        raise RuntimeError("bare nginx does not serve")
    w = start_wrk(BARE_PORT, seconds)
    time.sleep(1.0)
    t0 = time.monotonic()
    for i in range(reloads):
        subprocess.run(argv + ["-s", "reload"], capture_output=True)
        rest = t0 + (i + 1) * spread / max(reloads, 1) - time.monotonic()
        if rest > 0:
            time.sleep(rest)
    r = finish_wrk(w)
    stop(p, signal.SIGQUIT)
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "../../.build/debug/tollgate"))
    ap.add_argument("--edits", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--routes", type=int, default=100, help="other routes on the Gateway")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    work = tempfile.mkdtemp(prefix="churn-dev-")
    man, state = os.path.join(work, "manifests"), os.path.join(work, "state")
    os.makedirs(man)
    procs: list[subprocess.Popen] = []
    try:
        # Backend: a bare NGINX answering 200.
        bdir = os.path.join(work, "backend")
        os.makedirs(bdir)
        open(os.path.join(bdir, "nginx.conf"), "w").write(
            f"worker_processes 1; pid {bdir}/pid; error_log {bdir}/error.log;\nevents {{}}\n"
            f"http {{ access_log off; server {{ listen 127.0.0.1:{BACKEND_PORT}; return 200 ok; }} }}\n")
        procs.append(start(["nginx", "-p", bdir + "/", "-c", os.path.join(bdir, "nginx.conf"), "-g", "daemon off;"],
                           os.path.join(work, "backend.log")))
        atomic_write(os.path.join(man, "base.yaml"), BASE)
        atomic_write(os.path.join(man, "stable.yaml"), route("stable", "stable.example", "/"))
        if a.routes:
            atomic_write(os.path.join(man, "bulk.yaml"), bulk(a.routes))
        churn_file = os.path.join(man, "churn.yaml")
        atomic_write(churn_file, route("churn", "churn.example", "/v0"))
        tg_log = os.path.join(work, "standalone.log")
        procs.append(start([binary, "standalone", "--manifests", man, "--state-dir", state], tg_log))
        if not wait_until(lambda: get("stable.example", "/") == 200 and get("churn.example", "/v0") == 200, 120, 0.2):
            raise RuntimeError(f"not served; see {tg_log}")
        root = os.path.join(state, "gateways", f"{NS}__gw")
        errlog = os.path.join(root, "runtime", "error.log")
        time.sleep(1.0)
        published0 = count(tg_log, "published churn/gw version")
        applied0, reconf0 = count(tg_log, "applied churn/gw version"), count(errlog, "(SIGHUP) received")
        wrk_seconds = a.seconds + 6
        w = start_wrk(GW_PORT, wrk_seconds)
        time.sleep(1.0)
        t0 = time.monotonic()
        for i in range(1, a.edits + 1):
            atomic_write(churn_file, route("churn", "churn.example", f"/v{i}"))
            rest = t0 + i * a.seconds / a.edits - time.monotonic()
            if rest > 0:
                time.sleep(rest)
        wrote = time.monotonic() - t0
        final = f"/v{a.edits}"
        served = wait_until(lambda: get("churn.example", final) == 200, 30, 0.05)
        t_served = time.monotonic() - t0
        tg = finish_wrk(w)
        time.sleep(1.5)   # results of the last apply land
        applied = count(tg_log, "applied churn/gw version") - applied0
        reconf = count(errlog, "(SIGHUP) received") - reconf0
        st = subprocess.run([binary, "status", "--state-dir", state, "-o", "json"], capture_output=True, text=True)
        programmed = False
        try:
            for o in json.loads(st.stdout):
                if o.get("kind") == "HTTPRoute" and o["metadata"]["name"] == "churn":
                    conds = [c for p in o.get("status", {}).get("parents", []) for c in p.get("conditions", [])]
                    gen = o["metadata"].get("generation")
                    programmed = any(c["type"] in ("Programmed", "Accepted") and c["status"] == "True"
                                     and c.get("observedGeneration") == gen for c in conds)
        except (json.JSONDecodeError, KeyError):
            pass
        published = count(tg_log, "published churn/gw version") - published0
        log(f"Tollgate: {a.edits} edits written in {wrote:.2f} s, final served {t_served:.2f} s after the first edit: "
            f"{'yes' if served else 'NO'}; route status current: {programmed}")
        log(f"  versions published {published}, applied {applied}; NGINX reloads (SIGHUP in its log) {reconf}")
        log(f"  wrk: {tg}")
        tree = os.path.realpath(os.path.join(root, "current"))
        reloads = max(reconf, applied, 1)
        bare = bare_run(tree, work, reloads, a.seconds, wrk_seconds)
        log(f"bare NGINX, {reloads} reloads over {a.seconds} s: wrk {bare}")
        per_edit = bare_run(tree, work, a.edits, a.seconds, wrk_seconds)
        log(f"bare NGINX, {a.edits} reloads (one per edit) over {a.seconds} s: wrk {per_edit}")
        print(json.dumps({"edits": a.edits, "seconds": a.seconds, "routes": a.routes + 2,
                          "reloads": reconf, "published": published, "applied": applied, "final_served": bool(served),
                          "programmed": programmed, "tollgate_wrk": tg, "bare_same_reloads_wrk": bare,
                          "bare_reload_per_edit_wrk": per_edit}))
    finally:
        for p in reversed(procs):
            stop(p)
        # NGINX masters left behind (by pid file, never by name).
        for dp, _, files in os.walk(work):
            for fn in files:
                if fn in ("nginx.pid", "pid"):
                    try:
                        os.kill(int(open(os.path.join(dp, fn)).read().split()[0]), signal.SIGQUIT)
                    except (OSError, ValueError, IndexError):
                        pass
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")


if __name__ == "__main__":
    main()
