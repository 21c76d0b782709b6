#!/usr/bin/env python3
"""Agent memory (issue 9, target 8), a developer's measurement: `tollgate controller` on a
workload of ROUTES HTTPRoutes on one Gateway (bench/workload.py), one `tollgate agent` for it
(spawning NGINX on ports 18860–18863), VmRSS of the agent after the first version is applied and
after EDITS one-route edits.

    python3 bench/churn-dev/agent_memory.py [--binary B] [--routes 1000] [--edits 10]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory import count, status, wait  # noqa: E402


def top_mappings(pid: int, n: int = 8) -> list[tuple[str, int]]:
    """Resident kB per mapped file (anonymous memory as "[anon]") from /proc/PID/smaps."""
    sizes: dict[str, int] = {}
    name = "[anon]"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
            elif parts[0] == "Rss:":
                sizes[name] = sizes.get(name, 0) + int(parts[1])
    return sorted(sizes.items(), key=lambda kv: -kv[1])[:n]


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "../../.build/debug/tollgate"))
    ap.add_argument("--routes", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--workload", default="/tmp/churn-dev-workload")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    man = os.path.join(a.workload, f"agent-r{a.routes}")
    if not os.path.isdir(man):
        subprocess.run([sys.executable, os.path.join(here, "../workload.py"), "--routes", str(a.routes), "--gateways", "1",
                        "--out", man, "--certs", os.path.join(a.workload, "certs"), "--gateway-port-base", "18860", "--https-listeners", "16"],
                       check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="churn-dev-agent-")
    m, state, root = os.path.join(work, "m"), os.path.join(work, "state"), os.path.join(work, "root")
    shutil.copytree(man, m)
    procs = []
    try:
        ctl_log, agent_log = os.path.join(work, "controller.log"), os.path.join(work, "agent.log")
        procs.append(subprocess.Popen([binary, "controller", "--manifests", m, "--state-dir", state],
                                      stdout=open(ctl_log, "wb"), stderr=subprocess.STDOUT, start_new_session=True))
        if not wait(lambda: os.path.exists(os.path.join(state, "controller.sock")) and count(ctl_log, "published ") >= 1, 300):
            raise SystemExit(f"controller did not publish; see {ctl_log}")
        agent = subprocess.Popen([binary, "agent", "--controller", f"unix://{state}/controller.sock", "--gateway", "bench-gw/gw-0",
                                  "--config-root", root, "--agent-id", "mem"],
                                 stdout=open(agent_log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(agent)
        if not wait(lambda: count(ctl_log, "applied bench-gw/gw-0 version") >= 1, 120):
            raise SystemExit(f"not applied; see {agent_log}")
        time.sleep(1)
        print(f"agent, {a.routes} routes applied: {status(agent.pid)}", flush=True)
        path = os.path.join(m, "bench-0.yaml")
        text = open(path).read()
        for i in range(1, a.edits + 1):
            before = count(ctl_log, "applied bench-gw/gw-0 version")
            tmp = os.path.join(m, ".t")
            open(tmp, "w").write(text.replace("value: /r0\n", f"value: /r0-e{i}\n", 1))
            os.rename(tmp, path)
            if not wait(lambda: count(ctl_log, "applied bench-gw/gw-0 version") > before, 120):
                raise SystemExit(f"edit {i} not applied; see {agent_log}")
        time.sleep(1)
        print(f"agent after {a.edits} edits: {status(agent.pid)}", flush=True)
        print("largest mappings (Rss MiB): " + ", ".join(f"{name} {kb / 1024:.1f}" for name, kb in top_mappings(agent.pid)), flush=True)
        du = subprocess.run(["du", "-sk", os.path.realpath(os.path.join(root, "current"))], capture_output=True, text=True).stdout.split()
        print(f"live tree {int(du[0]) // 1024 if du else '?'} MiB", flush=True)
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if "--keep" not in sys.argv:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
