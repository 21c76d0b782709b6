#!/usr/bin/env python3
"""Tollgate's fault suite: runs faults against real processes on loopback and prints a table —
fault, attempts, requests sent, requests failed, what was lost — plus the checks behind each row.

Run through scripts/faults.sh (installs, builds, makes certificates). Directly:
  python3 scripts/faults/faults.py --bin PATH/tollgate --certs DIR [--long] [--only NAMES]
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True   # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scenarios as S  # noqa: E402
from clients import TLS  # noqa: E402
from harness import Backends, Tollgate, kill_strays, log  # noqa: E402

# name: (description, quick counts, long counts)
SCENARIOS = {
    "agent-kill9": "kill -9 of the agent at random points of applies",
    "controller-kill9": "kill -9 of the controller during churn",
    "nginx-kill9": "SIGKILL of the NGINX master (standalone)",
    "nginx-held": "NGINX killed and unable to restart for a while (port held)",
    "reload-churn": "reload churn, new connection per request, then wrk vs bare NGINX",
    "root-fault": "config root full or read-only during an apply (tmpfs)",
    "stream-cut": "stream cut mid-snapshot by a proxy (TCP + mTLS)",
    "controller-frozen": "controller unreachable (SIGSTOP) while manifests change",
}


def counts(long: bool) -> dict:
    if long:
        return dict(agent_kills=100, controller_kills=10, nginx_kills=10, reloads=100, wrk_reloads=100,
                    root_rounds=3, freeze=180.0, knobs=True, cuts=20, hold=8.0)
    return dict(agent_kills=10, controller_kills=2, nginx_kills=2, reloads=20, wrk_reloads=20,
                root_rounds=1, freeze=10.0, knobs=False, cuts=3, hold=5.0)


def run(name: str, env: S.Env, c: dict) -> list[S.Row]:
    if name == "agent-kill9":
        return [S.agent_kill9(env, c["agent_kills"])]
    if name == "controller-kill9":
        return [S.controller_kill9(env, c["controller_kills"])]
    if name == "nginx-kill9":
        return [S.nginx_master_kill9(env, c["nginx_kills"])]
    if name == "reload-churn":
        return S.reload_churn(env, c["reloads"], c["wrk_reloads"], c["knobs"])
    if name == "root-fault":
        return [S.root_full_or_readonly(env, c["root_rounds"])]
    if name == "controller-frozen":
        return [S.controller_frozen(env, c["freeze"])]
    if name == "stream-cut":
        return [S.stream_cut(env, c["cuts"])]
    if name == "nginx-held":
        return [S.nginx_held_port(env, c["hold"])]
    raise ValueError(name)


def cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[S.Row], header: str) -> str:
    out = [header, "",
           "| fault | attempts | requests sent | requests failed | what was lost | result |",
           "|---|---|---:|---:|---|---|"]
    for r in rows:
        if r.skipped:
            out.append(f"| {cell(r.fault)} | skipped | – | – | {cell(r.skipped)} | skipped |")
            continue
        bad = [c.name for c in r.checks if not c.ok]
        result = "pass" if not bad else "**FAIL**: " + "; ".join(bad)
        out.append(f"| {cell(r.fault)} | {cell(r.attempts)} | {r.sent} | {r.failed} | {cell(r.lost)} | {cell(result)} |")
    out += ["", "Checks and notes:", ""]
    for r in rows:
        if r.skipped:
            continue
        out.append(f"- **{cell(r.fault)}** ({r.seconds:.0f} s)")
        for c in r.checks:
            out.append(f"  - {'✔' if c.ok else '✘'} {cell(c.name)}{': ' + cell(c.detail) if c.detail else ''}")
        for n in r.notes:
            out.append(f"  - {cell(n)}")
    return "\n".join(out) + "\n"


def text_table(rows: list[S.Row]) -> str:
    head = ["FAULT", "ATTEMPTS", "SENT", "FAILED", "RESULT", "WHAT WAS LOST"]
    data = []
    for r in rows:
        if r.skipped:
            data.append([r.fault, "skipped", "-", "-", "SKIP", r.skipped])
        else:
            data.append([r.fault, r.attempts, str(r.sent), str(r.failed), "PASS" if r.ok else "FAIL", r.lost])
    w = [min(60, max(len(x[i]) for x in data + [head])) for i in range(5)]
    lines = ["  ".join(x[i][:w[i]].ljust(w[i]) for i in range(5)) + "  " + x[5] for x in [head] + data]
    for r in rows:
        for c in r.checks:
            if not c.ok:
                lines.append(f"  FAIL {r.fault}: {c.name}: {c.detail}")
    return "\n".join(lines) + "\n"


def update_doc(path: str, table: str) -> None:
    begin, end = "<!-- faults:table:begin -->", "<!-- faults:table:end -->"
    with open(path) as f:
        doc = f.read()
    if begin not in doc or end not in doc:
        raise SystemExit(f"{path}: markers {begin} / {end} not found")
    pre, rest = doc.split(begin, 1)
    _, post = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(pre + begin + "\n" + table + end + post)


def clean_run_dir(rundir: str, keep: list[str]) -> None:
    """Empties the run directory of an earlier run: its processes, mounts and files (not `keep`).
    Refuses a non-empty directory that no earlier run marked as its own."""
    os.makedirs(rundir, exist_ok=True)
    marker = os.path.join(rundir, ".tollgate-faults")
    others = [n for n in os.listdir(rundir) if os.path.join(rundir, n) not in keep and n != ".tollgate-faults"]
    if others and not os.path.exists(marker):
        raise SystemExit(f"{rundir} holds files of something else ({', '.join(sorted(others)[:5])}); "
                         "choose an empty or earlier run directory")
    strays = kill_strays(rundir)
    if strays:
        log(f"killed processes left by an earlier run: {strays}")
    with open("/proc/mounts") as f:
        mounts = [line.split()[1] for line in f if line.split()[1].startswith(rundir + "/")]
    for m in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    for name in os.listdir(rundir):
        p = os.path.join(rundir, name)
        if p not in keep and name != ".tollgate-faults":
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    with open(marker, "w") as f:
        f.write("run directory of scripts/faults.sh; emptied at the start of every run\n")


def ports_in_use() -> list[int]:
    """The suite's fixed ports that something else already listens on."""
    import socket
    from harness import MARKER_BASE, MARKERS, STABLE_PORT
    ports = [STABLE_PORT] + [MARKER_BASE + j for j in range(MARKERS)] + [17850, 17851]
    for gw in (S.GW_A, S.GW_B):
        for p in (gw.http, gw.https, gw.mtls):
            ports += [p, p + S.BARE_OFFSET]
    busy = []
    for p in sorted(set(ports)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            busy.append(p)
        finally:
            s.close()
    return busy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the tollgate binary")
    ap.add_argument("--certs", required=True, help="examples/make-certs.sh --out-root DIR")
    ap.add_argument("--long", action="store_true", help="the full counts (100 agent kills, 100 reloads, …)")
    ap.add_argument("--only", default="", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    ap.add_argument("--run-dir", default="", help="where processes keep state and logs (default: a new /tmp dir)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (printed; replays kill timings)")
    ap.add_argument("--update-doc", default="", help="write the markdown table into this file between its markers")
    ap.add_argument("--knobs", action="store_true", help="also try NGINX settings on bare NGINX under wrk (on with --long)")
    ap.add_argument("--counts", default="", help="override counts, e.g. agent_kills=3,reloads=5 (see counts())")
    a = ap.parse_args()

    names = [n for n in a.only.split(",") if n] or list(SCENARIOS)
    for n in names:
        if n not in SCENARIOS:
            raise SystemExit(f"unknown scenario {n}; known: {', '.join(SCENARIOS)}")
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    c = counts(a.long)
    if a.knobs:
        c["knobs"] = True
    for kv in filter(None, a.counts.split(",")):
        k, _, v = kv.partition("=")
        if k not in c:
            raise SystemExit(f"unknown count {k}; known: {', '.join(c)}")
        c[k] = type(c[k])(float(v)) if not isinstance(c[k], bool) else v in ("1", "true", "yes")
    # One run at a time: the ports are fixed.
    lock = open(os.path.join(tempfile.gettempdir(), "tollgate-faults.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise SystemExit("another run of the fault suite is in progress (its ports are fixed); wait for it")
    rundir = os.path.abspath(a.run_dir) if a.run_dir else tempfile.mkdtemp(prefix="tollgate-faults-")
    clean_run_dir(rundir, keep=[os.path.abspath(a.certs)])
    busy = ports_in_use()
    if busy:
        raise SystemExit(f"ports in use by something else: {busy}; the fault suite needs 178xx and 179xx free")
    log(f"fault suite ({'long' if a.long else 'quick'}), seed {seed}, run directory {rundir}")

    env = S.Env(tg=Tollgate(os.path.abspath(a.bin), rundir), certs=os.path.abspath(a.certs), rundir=rundir,
                tls=TLS(os.path.abspath(a.certs)), long=a.long, rng=random.Random(seed))
    backends = None
    rows: list[S.Row] = []

    def on_signal(signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    started = time.time()
    try:
        backends = Backends(os.path.join(rundir, "backends"))
        for n in names:
            log(f"== {n}: {SCENARIOS[n]}")
            t0 = time.time()
            try:
                got = run(n, env, c)
            except Exception as e:  # a scenario that breaks still reports a row
                traceback.print_exc()
                got = [S.Row(SCENARIOS[n], "-", lost=f"scenario error: {e}")]
                got[0].check("scenario ran to the end", False, f"{type(e).__name__}: {e}")
            finally:
                env.cleanup()
            for r in got:
                if not r.seconds:
                    r.seconds = time.time() - t0
            rows += got
            log(f"   {n} took {time.time() - t0:.0f} s")
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        env.cleanup()
        if backends:
            backends.stop()
        strays = kill_strays(rundir)
        if strays:
            log(f"killed stray processes: {strays}")

    when = time.strftime("%Y-%m-%d %H:%M %Z")
    header = (f"{'Long' if a.long else 'Quick'} run of {when}, seed {seed}, "
              f"{time.time() - started:.0f} s, nginx {os.popen('nginx -v 2>&1').read().strip().split('/')[-1]}, "
              f"{os.cpu_count()} CPUs.")
    md = markdown(rows, header)
    with open(os.path.join(rundir, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(rundir, "results.json"), "w") as f:
        json.dump([{"fault": r.fault, "attempts": r.attempts, "sent": r.sent, "failed": r.failed, "lost": r.lost,
                    "skipped": r.skipped, "seconds": round(r.seconds, 1), "notes": r.notes,
                    "checks": [{"name": x.name, "ok": x.ok, "detail": x.detail} for x in r.checks]} for r in rows],
                  f, indent=2)
    if a.update_doc:
        update_doc(a.update_doc, md)
    print()
    print(text_table(rows), end="")
    print(f"\n{header}\nmarkdown: {rundir}/results.md; logs: {rundir}/logs/")
    return 0 if rows and all(r.ok for r in rows) and len(rows) >= len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
