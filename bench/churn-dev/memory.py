#!/usr/bin/env python3
"""Controller memory with full history (issue 9, target 8), a developer's measurement.

Generates (or reuses) a workload with bench/workload.py (default 10k HTTPRoutes over 10
Gateways), runs `tollgate controller` on it without agents, waits for every Gateway's first
version, then makes EDITS one-route edits (each waits for its version to be published) and prints
VmRSS / VmHWM from /proc after the load and after the edits.

    python3 bench/churn-dev/memory.py [--binary B] [--routes 10000] [--gateways 10] [--edits 50]
Gateway ports 18800+ (never bound: no agents run).
"""
from __future__ import annotations  # noqa

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def status(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) // 1024   # MiB
    return out


def count(path: str, needle: str) -> int:
    try:
        with open(path, errors="replace") as f:
            return f.read().count(needle)
    except FileNotFoundError:
        return 0


def wait(pred, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "../../.build/debug/tollgate"))
    ap.add_argument("--routes", type=int, default=10000)
    ap.add_argument("--gateways", type=int, default=10)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--workload", default="/tmp/churn-dev-workload")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--trim", action="store_true", help="then malloc_trim(0) through gdb: live memory vs freed-but-kept")
    a = ap.parse_args()
    man = os.path.join(a.workload, f"r{a.routes}-g{a.gateways}")
    if not os.path.isdir(man):
        subprocess.run([sys.executable, os.path.join(here, "../workload.py"), "--routes", str(a.routes),
                        "--gateways", str(a.gateways), "--out", man, "--certs", os.path.join(a.workload, "certs"),
                        "--gateway-port-base", "18800"], check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="churn-dev-mem-")
    state, logf = os.path.join(work, "state"), os.path.join(work, "controller.log")
    edit_file = os.path.join(work, "m")
    shutil.copytree(man, edit_file)
    p = subprocess.Popen([os.path.abspath(a.binary), "controller", "--manifests", edit_file, "--state-dir", state],
                         stdout=open(logf, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        t0 = time.monotonic()
        if not wait(lambda: count(logf, "published ") >= a.gateways, 600):
            raise SystemExit(f"not every Gateway published; see {logf}")
        loaded = time.monotonic() - t0
        time.sleep(2)
        first = status(p.pid)
        print(f"loaded {a.routes} routes / {a.gateways} Gateways in {loaded:.1f} s: {first}", flush=True)
        path = os.path.join(edit_file, "bench-0.yaml")
        text = open(path).read()
        for i in range(1, a.edits + 1):
            before = count(logf, "published bench-gw/gw-0 ")
            new = text.replace("value: /r0\n", f"value: /r0-e{i}\n", 1)
            tmp = os.path.join(edit_file, ".bench-0.yaml.tmp")
            open(tmp, "w").write(new)
            os.rename(tmp, path)
            if not wait(lambda: count(logf, "published bench-gw/gw-0 ") > before, 120):
                raise SystemExit(f"edit {i} not published; see {logf}")
            if i % 10 == 0 or i in (1, 2, 3, 5):
                print(f"after {i} edits: {status(p.pid)}", flush=True)
        time.sleep(2)
        last = status(p.pid)
        hist = subprocess.run(["du", "-sk", os.path.join(state, "history")], capture_output=True, text=True).stdout.split()
        print(f"after {a.edits} edits: {last}; history on disk {int(hist[0]) // 1024 if hist else '?'} MiB", flush=True)
        if a.trim:
            subprocess.run(["gdb", "-p", str(p.pid), "-batch", "-ex", "call (int)malloc_trim(0)"], capture_output=True)
            print(f"after malloc_trim(0): {status(p.pid)}", flush=True)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
