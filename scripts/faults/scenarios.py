"""The faults. Each scenario returns a Row, also when it finds a failure: figures are measured,
never assumed."""
from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from clients import Clients, TLS, finish_wrk, first_failures, get, start_wrk, summarize_failures
from harness import (MARKERS, CuttingProxy, GatewayPorts, Manifests, Proc, Tollgate, children, cmdline, compare_with_controller,
                     live_probe_socket, log, nginx_master, nginx_workers, pid_alive, probe, read_live_tree,
                     stop_leftover_nginx, wait_until)

GW_A = GatewayPorts("gw-a", 17801, 17802, 17803)
GW_B = GatewayPorts("gw-b", 17811, 17812, 17813)
BARE_OFFSET = 30   # the bare-NGINX baseline listens on gw-a's ports + 30 (17831…)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Row:
    fault: str
    attempts: str
    sent: int = 0
    failed: int = 0
    lost: str = "none"
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        log(f"  check {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        return bool(ok)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class Env:
    tg: Tollgate
    certs: str
    rundir: str
    tls: TLS
    long: bool
    rng: random.Random
    procs: list[Proc] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    stray_workers: list[int] = field(default_factory=list)

    def dir(self, name: str) -> str:
        d = os.path.join(self.rundir, name)
        os.makedirs(d, exist_ok=True)
        return d

    def track(self, p: Proc) -> Proc:
        self.procs.append(p)
        return p

    def cleanup(self) -> None:
        for p in reversed(self.procs):
            if p.alive():
                p.stop(signal.SIGTERM, timeout=15)
        self.procs.clear()
        for r in self.roots:
            stop_leftover_nginx(r)
        self.roots.clear()
        for w in self.stray_workers:
            if pid_alive(w) and "nginx: worker" in cmdline(w):
                os.kill(w, signal.SIGKILL)
        self.stray_workers.clear()
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        self.mounts.clear()


# ---------------------------------------------------------------- shared steps

class Cluster:
    """A controller (or standalone) plus agents, one per Gateway, on one manifest directory."""

    def __init__(self, env: Env, name: str, gateways: list[GatewayPorts], standalone: bool = False,
                 roots: Optional[dict[str, str]] = None, bulk: int = 0, tcp: Optional[tuple[int, int]] = None):
        """tcp=(controller port, port agents dial): the controller also listens with mutual TLS
        and agents connect over TCP with certificates from `tollgate certs issue-agent`."""
        self.env, self.name, self.gateways, self.tcp = env, name, gateways, tcp
        self.base = env.dir(name)
        self.man = Manifests(os.path.join(self.base, "manifests"), env.certs, gateways, bulk=bulk)
        self.state = os.path.join(self.base, "state")
        self.standalone = standalone
        self.agents: dict[str, Proc] = {}
        if standalone:
            self.roots = {gw.name: os.path.join(self.state, "gateways", f"faults__{gw.name}") for gw in gateways}
        else:
            self.roots = roots or {gw.name: os.path.join(self.base, f"root-{gw.name}") for gw in gateways}
        env.roots += list(self.roots.values())
        self.controller: Optional[Proc] = None
        if tcp:
            for gw in gateways:
                r = env.tg.run("certs", "issue-agent", "--gateway", gw.key, "--out", self.cert_dir(gw),
                               "--state-dir", self.state)
                if r.returncode != 0:
                    raise RuntimeError(f"certs issue-agent failed: {r.stderr}")
        self.start_controller()
        if not standalone:
            for gw in gateways:
                self.start_agent(gw)

    @property
    def socket(self) -> str:
        return f"unix://{self.state}/controller.sock"

    def agent_id(self, gw: GatewayPorts) -> str:
        return f"{self.name}-{gw.name}"

    def cert_dir(self, gw: GatewayPorts) -> str:
        return os.path.join(self.base, f"agent-certs-{gw.name}")

    def start_controller(self) -> None:
        if self.standalone:
            self.controller = self.env.track(self.env.tg.standalone(f"{self.name}-standalone", self.man.dir, self.state))
        else:
            listen = f"127.0.0.1:{self.tcp[0]}" if self.tcp else None
            self.controller = self.env.track(self.env.tg.controller(f"{self.name}-controller", self.man.dir, self.state,
                                                                    listen=listen))
        sock = os.path.join(self.state, "controller.sock")
        if not wait_until(lambda: os.path.exists(sock) or not self.controller.alive(), 60):
            raise RuntimeError(f"controller socket {sock} did not appear:\n{self.controller.tail()}")

    def start_agent(self, gw: GatewayPorts) -> Proc:
        if self.tcp:
            d = self.cert_dir(gw)
            p = self.env.track(self.env.tg.agent(
                self.agent_id(gw), f"https://127.0.0.1:{self.tcp[1]}", gw, self.roots[gw.name],
                ["--tls-cert", f"{d}/agent.crt", "--tls-key", f"{d}/agent.key", "--tls-ca", f"{d}/ca.crt"]))
        else:
            p = self.env.track(self.env.tg.agent(self.agent_id(gw), self.socket, gw, self.roots[gw.name]))
        self.agents[gw.name] = p
        return p

    def newest(self, gw: GatewayPorts) -> Optional[dict]:
        rows = self.env.tg.snapshots(self.state, gw)
        return rows[-1] if rows else None

    def converged(self, gw: GatewayPorts, edit: Optional[int] = None) -> Optional[dict]:
        """The newest version when this Gateway's agent applied it, its probe answers it, and
        (given `edit`) NGINX routes that edit's marker; else None."""
        row = self.newest(gw)
        if not row:
            return None
        if not self.standalone and row["agents"].get(self.agent_id(gw)) != "applied":
            return None
        if self.standalone and "applied" not in row["agents"].values():
            return None
        ans = probe(live_probe_socket(self.roots[gw.name]))
        if not ans or ans[0] != row["version"] or not ans[1].startswith(row["digest12"]):
            return None
        if edit is not None:
            j = edit % MARKERS
            try:
                status, body = get(gw.http, f"/m/{j}", timeout=2)
            except OSError:
                return None
            if status != 200 or body != f"marker={j}\n":
                return None
        row["probe"] = ans
        return row

    def wait_converged(self, gw: GatewayPorts, edit: Optional[int] = None, timeout: float = 30) -> Optional[dict]:
        return wait_until(lambda: self.converged(gw, edit), timeout, interval=0.1)

    def programmed(self, gw: GatewayPorts) -> tuple[bool, str]:
        conds = self.env.tg.gateway_conditions(self.state, gw)
        p = conds.get("Programmed", {})
        return p.get("status") == "True", f"Programmed={p.get('status')}/{p.get('reason')}" + \
            (f" ({p.get('message')})" if p.get("message") and p.get("status") != "True" else "")

    def check_tree(self, gw: GatewayPorts, version_row: Optional[dict] = None) -> list[str]:
        """Live tree whole; equal to the controller's files of that version when given."""
        tree = read_live_tree(self.roots[gw.name])
        if tree is None:
            return ["nothing is live"]
        problems = list(tree.problems)
        if version_row is not None:
            digest, files = self.env.tg.snapshot_files(self.state, gw, tree.version)
            if version_row["version"] != tree.version:
                problems.append(f"live tree is version {tree.version}, expected {version_row['version']}")
            if digest:
                problems += compare_with_controller(tree, digest, files)
        return problems


class ProbeSampler(threading.Thread):
    """Polls an agent's version probe every 20 ms and keeps every distinct answer."""

    def __init__(self, root: str):
        super().__init__(daemon=True)
        self.root, self.answers, self.samples, self.silent = root, {}, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            a = probe(live_probe_socket(self.root), timeout=0.5)
            self.samples += 1
            if a:
                self.answers.setdefault(a[0], set()).add(a[1])
            else:
                self.silent += 1
            time.sleep(0.02)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def inconsistent(self) -> list[str]:
        return [f"version {v} answered with {len(d)} digests" for v, d in self.answers.items() if len(d) > 1]


def finish_clients(row: Row, clients: Clients, since: float) -> None:
    clients.stop()
    row.sent, row.failed = clients.totals()
    fails = clients.failures()
    row.lost = summarize_failures(fails)
    if fails:
        row.notes.append("first failures: " + first_failures(fails))
    mixes = clients.mixes()
    seen = sorted({j for mc in clients.markers for j in mc.seen})
    row.check("NGINX never served a mix of versions (marker location and upstream agree)", not mixes,
              "; ".join(mixes[:3]) or f"{sum(len(mc.seen) for mc in clients.markers)} markers seen routed, all consistent")
    row.seconds = time.time() - since


# ---------------------------------------------------------------- 1. kill -9 of the agent

def agent_phase(agent_pid: int, root: str, old_name: Optional[str]) -> str:
    """What the agent is doing, observed just before the kill (racy by nature; a label):
    before staging, staging, nginx -t, reloading (`current` swapped, the probe still answers the
    previous version), settling (the probe answers the new version; not yet reported)."""
    kids = [cmdline(k) for k in children(agent_pid)]
    if any(" -t" in c or c.endswith("-t") for c in kids if "nginx" in c):
        return "nginx -t"
    try:
        names = os.listdir(os.path.join(root, "versions"))
    except OSError:
        names = []
    staging = any(n.startswith(".staging-") for n in names)
    try:
        cur = os.path.basename(os.readlink(os.path.join(root, "current")))
    except OSError:
        cur = None
    if staging:
        return "staging"
    if cur == old_name:
        return "before staging"
    ans = probe(live_probe_socket(root), timeout=0.2)
    if ans and cur and cur.startswith(f"{ans[0]}-"):
        return "settling"
    return "reloading"


def agent_kill9(env: Env, n: int) -> Row:
    row = Row("kill -9 of the agent during applies", f"{n} kills")
    t_start = time.time()
    gw = GW_A
    c = Cluster(env, "agent-kill9", [gw])
    root = c.roots[gw.name]
    first = c.wait_converged(gw, 0, timeout=60)
    if not row.check("initial version applied", first, "" if first else c.agents[gw.name].tail(5)):
        row.seconds = time.time() - t_start
        return row
    clients = Clients.start(env.tls, [gw])
    sampler = ProbeSampler(root)
    sampler.start()
    time.sleep(0.5)

    # Calibrate: how long an apply takes from the edit (controller poll + render + agent apply).
    windows = []
    for _ in range(2):
        t0 = time.monotonic()
        e = c.man.edit(gw)
        if c.wait_converged(gw, e):
            windows.append(time.monotonic() - t0)
    window = max(windows) if windows else 1.5
    log(f"  an edit takes {window:.2f} s to be applied and proved (the kills are spread over it)")

    phases: dict[str, int] = {}
    partial, diverged, not_programmed, lost_after = [], [], [], []
    adoption: dict[str, int] = {}
    not_adopted: list[str] = []
    restarts: list[tuple[int, int, str]] = []   # (agent log offset, kill number, phase)
    converged = 0
    for i in range(n):
        old = read_live_tree(root)
        old_name = old.name if old else None
        e = c.man.edit(gw)
        t0 = time.monotonic()
        mode = i % 3
        if mode < 2:
            # Wait for the agent to start this apply (a staging directory appears), then kill early
            # (staging, nginx -t) or later (swap, reload, probe, settle).
            def started():
                try:
                    return any(x.startswith(".staging-") for x in os.listdir(os.path.join(root, "versions"))) or \
                        os.path.basename(os.readlink(os.path.join(root, "current"))) != old_name
                except OSError:
                    return False
            wait_until(started, 5, interval=0.002)
            delay = env.rng.uniform(0, 0.08) if mode == 0 else env.rng.uniform(0.05, max(0.3, window * 0.7))
        else:
            delay = env.rng.uniform(0, window)
        time.sleep(delay)
        agent = c.agents[gw.name]
        phase = agent_phase(agent.pid, root, old_name)
        t_kill = time.time()
        agent.kill9()
        phases[phase] = phases.get(phase, 0) + 1
        tree = read_live_tree(root)
        if tree is None or tree.problems:
            partial.append(f"kill {i + 1} ({phase}): {tree.problems if tree else 'nothing live'}")
        restarts.append((os.path.getsize(agent.logfile), i + 1, phase))
        c.start_agent(gw)
        got = c.wait_converged(gw, e, timeout=40)
        if not got:
            diverged.append(f"kill {i + 1} ({phase}): newest {c.newest(gw)}, probe "
                            f"{probe(live_probe_socket(root))}\n{c.agents[gw.name].tail(8)}")
            log(f"  kill {i + 1}/{n} ({phase}, +{time.monotonic() - t0:.2f} s): did NOT converge")
            continue
        converged += 1
        problems = c.check_tree(gw, got)
        if problems:
            partial.append(f"kill {i + 1} after convergence: {problems}")
        ok, st = c.programmed(gw)
        if not ok:
            not_programmed.append(f"kill {i + 1}: {st}")
        f = clients.failures_since(t_kill - 0.05)
        f = [x for x in f if x.at <= time.time()]
        if f:
            lost_after.append((i + 1, phase, len(f)))
        log(f"  kill {i + 1}/{n} at {phase} (+{delay:.3f} s): version {got['version']} converged; "
            f"failed requests so far {clients.totals()[1]}")

    sampler.stop()
    finish_clients(row, clients, t_start)
    # What each restarted agent did with the NGINX left running (read once the logs are flushed).
    c.agents[gw.name].stop()
    with open(c.agents[gw.name].logfile, "rb") as lf:
        text = lf.read()
    for k, (at, kill, phase) in enumerate(restarts):
        end = restarts[k + 1][0] if k + 1 < len(restarts) else len(text)
        for line in text[at:end].decode(errors="replace").splitlines():
            if "nginx: notAdopted" in line or "nginx: adopted" in line:
                what = line.split("nginx: ", 1)[1].strip()
                adoption[what.split("(")[0]] = adoption.get(what.split("(")[0], 0) + 1
                if what.startswith("notAdopted"):
                    not_adopted.append(f"kill {kill} ({phase}): {what}")
    row.attempts = f"{n} kills ({', '.join(f'{k}: {v}' for k, v in sorted(phases.items()))})"
    if lost_after:
        by_phase: dict[str, int] = {}
        for _, p, _ in lost_after:
            by_phase[p] = by_phase.get(p, 0) + 1
        row.lost += (f"; {len(lost_after)} of {n} kills lost requests (phase: "
                     + ", ".join(f"{p} {k}" for p, k in sorted(by_phase.items())) + ")")
        row.notes.append("kills that lost requests: " + ", ".join(f"#{k} ({p}): {m}" for k, p, m in lost_after))
    row.notes.append("the restarted agent and the NGINX left running: " +
                     ", ".join(f"{k} {v}" for k, v in sorted(adoption.items())) +
                     ("; " + "; ".join(not_adopted[:3]) if not_adopted else ""))
    row.check("0 failed requests (HTTP, HTTPS, HTTPS+mTLS, new connection each)", row.failed == 0, f"{row.failed} of {row.sent}")
    row.check("live tree whole after every kill and equal to the controller's files after convergence",
              not partial, "; ".join(partial[:3]))
    row.check("restarted agent converged to the newest version every time", converged == n,
              f"{converged}/{n}" + ("; " + diverged[0] if diverged else ""))
    row.check("status Programmed=True after every convergence", not not_programmed, "; ".join(not_programmed[:3]))
    row.check("probe: one digest per version", not sampler.inconsistent(),
              f"{sampler.samples} samples, {len(sampler.answers)} versions answered, {sampler.silent} unanswered")
    return row


# ---------------------------------------------------------------- 2. kill -9 of the controller

def controller_kill9(env: Env, n: int) -> Row:
    row = Row("kill -9 of the controller during churn", f"{n} kills")
    t_start = time.time()
    c = Cluster(env, "controller-kill9", [GW_A, GW_B])
    for gw in c.gateways:
        if not row.check(f"{gw.name} initial version applied", c.wait_converged(gw, 0, timeout=60)):
            row.seconds = time.time() - t_start
            return row
    clients = Clients.start(env.tls, c.gateways)
    reloaded_unchanged, missed, not_programmed, history_lost, reprogrammed = [], [], [], [], []
    edits_while_down_total = 0
    for i in range(n):
        churn_while_down = i % 2 == 0
        stop_churn = threading.Event()
        edits = []

        def churn():
            while not stop_churn.is_set():
                edits.append(c.man.edit(GW_A))
                stop_churn.wait(env.rng.uniform(0.15, 0.5))
        t = threading.Thread(target=churn, daemon=True)
        t.start()
        time.sleep(env.rng.uniform(1.0, 3.0))
        history_before = len(env.tg.snapshots(c.state, GW_A))
        if not churn_while_down:
            stop_churn.set()
            t.join()
            c.wait_converged(GW_A, edits[-1], timeout=30)
        c.controller.kill9()
        edits_at_kill = len(edits)
        down = env.rng.uniform(1.5, 4.0)
        time.sleep(down)
        if churn_while_down:
            stop_churn.set()
            t.join()
        n_down = len(edits) - edits_at_kill
        # What NGINX runs now (an apply received just before the kill may still finish: settle).
        time.sleep(1.0)
        before = {gw.name: (nginx_master(c.roots[gw.name]), nginx_workers(nginx_master(c.roots[gw.name])),
                            probe(live_probe_socket(c.roots[gw.name]))) for gw in c.gateways}
        c.start_controller()
        t_restart = time.monotonic()
        # Status comes from the agents' reports: Programmed again once both reconnected.
        for gw in c.gateways:
            if not wait_until(lambda: c.programmed(gw)[0], 30, interval=0.2):
                not_programmed.append(f"kill {i + 1}: {gw.name} {c.programmed(gw)[1]} 30 s after restart")
        reprogrammed.append(time.monotonic() - t_restart)
        last = edits[-1]
        got = c.wait_converged(GW_A, last, timeout=40)
        if not got:
            missed.append(f"kill {i + 1}: edit {last} not applied after restart (newest {c.newest(GW_A)})")
        got_b = c.wait_converged(GW_B, 0, timeout=40)
        if not got_b:
            missed.append(f"kill {i + 1}: {GW_B.name} did not converge after restart")
        time.sleep(1.0)
        for gw in c.gateways:
            changed = gw.name == GW_A.name and before[gw.name][2] and got and before[gw.name][2][0] != got["version"]
            m, w, a = before[gw.name]
            m2 = nginx_master(c.roots[gw.name])
            w2 = nginx_workers(m2)
            if not changed and (m != m2 or w != w2):
                reloaded_unchanged.append(f"kill {i + 1}: {gw.name} (version {a}) workers {w} -> {w2}")
        edits_while_down_total += n_down
        history_after = len(env.tg.snapshots(c.state, GW_A))
        if history_after < min(history_before, 50):
            history_lost.append(f"kill {i + 1}: {history_before} versions listed before, {history_after} after")
        log(f"  controller kill {i + 1}/{n}: down {down:.1f} s, "
            f"{n_down} edits while down; "
            f"failed requests so far {clients.totals()[1]}")
    finish_clients(row, clients, t_start)
    row.check("0 failed requests on both Gateways", row.failed == 0, f"{row.failed} of {row.sent}")
    row.check("after restart nothing reloads where the digest is unchanged (worker pids)", not reloaded_unchanged,
              "; ".join(reloaded_unchanged[:3]))
    row.check("changes made while the controller was down are applied after", not missed,
              "; ".join(missed[:3]) or f"{edits_while_down_total} edits made while it was down")
    row.check("status Programmed=True after restart (agents reconnected)", not not_programmed,
              "; ".join(not_programmed[:3]) or "after " + ", ".join(f"{x:.1f} s" for x in reprogrammed))
    row.check("snapshot history survives the restart", not history_lost, "; ".join(history_lost[:3]))
    return row


# ---------------------------------------------------------------- 3. NGINX master killed

def nginx_master_kill9(env: Env, n: int) -> Row:
    row = Row("NGINX master killed (SIGKILL), standalone mode", f"{n} kills")
    t_start = time.time()
    gw = GW_A
    c = Cluster(env, "nginx-kill9", [gw], standalone=True)
    root = c.roots[gw.name]
    if not row.check("initial version applied", c.wait_converged(gw, 0, timeout=90)):
        row.seconds = time.time() - t_start
        return row
    clients = Clients.start(env.tls, [gw])
    time.sleep(0.5)
    gaps, wrong, not_back, statuses = [], [], [], set()
    for i in range(n):
        master = nginx_master(root)
        workers = nginx_workers(master)
        env.stray_workers += workers
        before = probe(live_probe_socket(root))
        t_kill = time.time()
        os.kill(master, signal.SIGKILL)
        # Watch status while the agent brings NGINX back.
        def back():
            m = nginx_master(root)
            if not m or m == master:
                ok, st = c.programmed(gw)
                statuses.add(st)
                return None
            a = probe(live_probe_socket(root))
            return (m, a) if a else None
        got = wait_until(back, 30, interval=0.05)
        t_back = time.time()
        if not got:
            not_back.append(f"kill {i + 1}: no new master within 30 s")
            continue
        if got[1] != before:
            wrong.append(f"kill {i + 1}: served {before} before, {got[1]} after")
        time.sleep(1.0)
        ok, st = c.programmed(gw)
        statuses.add(st)
        if not ok:
            not_back.append(f"kill {i + 1}: {st}")
        left = [w for w in workers if pid_alive(w) and "nginx: worker" in cmdline(w)]
        if left:
            not_back.append(f"kill {i + 1}: old workers {left} still running")
        f = [x for x in clients.failures_since(t_kill - 0.05)]
        gaps.append((i + 1, len(f), (f[-1].at - f[0].at) if f else 0.0, t_back - t_kill))
        log(f"  master kill {i + 1}/{n}: new master {got[0]} serving {got[1][0]} after {t_back - t_kill:.2f} s; "
            f"{len(f)} failed requests")
        # The agent's restart backoff (100 ms, doubling) resets once a master ran 10 s: wait that
        # long so every kill meets a fresh backoff, as a single crash would.
        time.sleep(max(0.5, 10.5 - (time.time() - t_back)) if i + 1 < n else 0.5)
    finish_clients(row, clients, t_start)
    if gaps:
        row.notes.append("per kill: " + ", ".join(f"#{k}: {m} failed over {g:.2f} s, back after {b:.2f} s"
                                                    for k, m, g, b in gaps))
    row.check("agent restarts NGINX on the last good version", not wrong and len(gaps) == n, "; ".join(wrong[:3]))
    row.check("status Programmed=True once NGINX is back; old workers gone", not not_back, "; ".join(not_back[:3]))
    row.notes.append("status seen during and after: " + ", ".join(sorted(statuses)))
    # Failed requests are the measured gap, reported, not a pass/fail bar: the old workers must
    # be stopped before a new master can bind the same ports.
    return row


# ---------------------------------------------------------------- 4. reload churn

def reload_churn(env: Env, n: int, wrk_n: int, knobs: bool) -> list[Row]:
    rows = []
    row = Row("reload churn: edits applied one after another", f"{n} reloads")
    t_start = time.time()
    gw = GW_A
    c = Cluster(env, "reload-churn", [gw])
    root = c.roots[gw.name]
    if not row.check("initial version applied", c.wait_converged(gw, 0, timeout=60)):
        return [row]
    clients = Clients.start(env.tls, [gw])
    time.sleep(0.5)
    applied, durations, timeouts = 0, [], 0
    for i in range(n):
        t0 = time.monotonic()
        e = c.man.edit(gw)
        if c.wait_converged(gw, e, timeout=30):
            applied += 1
            durations.append(time.monotonic() - t0)
        else:
            timeouts += 1
    finish_clients(row, clients, t_start)
    if durations:
        row.notes.append(f"edit → proved served: median {sorted(durations)[len(durations) // 2]:.2f} s, "
                         f"max {max(durations):.2f} s")
    row.check("every edit applied and proved", applied == n, f"{applied}/{n}")
    row.check("0 failed requests (HTTP, HTTPS, HTTPS+mTLS, new connection each)", row.failed == 0, f"{row.failed} of {row.sent}")
    rows.append(row)

    # wrk with keepalive: Tollgate's reloads vs the same number of bare `nginx -s reload`.
    if not shutil.which("wrk"):
        rows.append(Row("reload churn with keepalive (wrk)", "-", skipped="wrk is not installed"))
        return rows
    interval = max(0.8, (sorted(durations)[len(durations) // 2] if durations else 0.8) + 0.2)
    seconds = int(wrk_n * interval + 2)
    w = Row("reload churn with keepalive (wrk -c20): Tollgate vs bare NGINX", f"{wrk_n} reloads each")
    t_w = time.time()
    # Only the probe socket is polled while wrk runs (no CLI processes competing for the CPU);
    # convergence is checked once at the end, and reloads counted in the agent's log.
    with open(c.agents[gw.name].logfile, errors="replace") as f:
        reloads_before = f.read().count("nginx: reloaded")
    p = start_wrk(f"http://127.0.0.1:{gw.http}/", seconds)
    time.sleep(1.0)
    sock = live_probe_socket(root)
    for i in range(wrk_n):
        t0 = time.monotonic()
        was = probe(sock)
        e = c.man.edit(gw)
        wait_until(lambda: (lambda a: a and a != was)(probe(sock)), 30, interval=0.05)
        rest = interval - (time.monotonic() - t0)
        if rest > 0:
            time.sleep(rest)
    tg = finish_wrk(p)
    last_ok = c.wait_converged(gw, e, timeout=30)
    with open(c.agents[gw.name].logfile, errors="replace") as f:
        reloads = f.read().count("nginx: reloaded") - reloads_before
    bare_dir = env.dir("reload-churn/bare")
    base = bare_nginx(root, bare_dir, gw)
    bare = bare_reloads(env, base, wrk_n, interval, seconds, gw.http + BARE_OFFSET)
    w.sent = tg.requests + bare.requests
    w.failed = tg.errors + bare.errors
    w.lost = (f"Tollgate: {tg.requests} requests, read errors {tg.read}, other errors {tg.errors - tg.read} "
              f"({tg.read / max(reloads, 1):.1f} read errors per reload); bare NGINX: {bare.requests} requests, "
              f"read errors {bare.read}, other errors {bare.errors - bare.read} ({bare.read / max(wrk_n, 1):.1f} per reload)")
    w.check("Tollgate applied every edit during wrk (one reload each)", reloads == wrk_n and bool(last_ok),
            f"{reloads} reloads for {wrk_n} edits")
    # Read errors from a reload are a race (keepalive connections closed as wrk reuses them), so
    # two runs of the same thing differ (measured: 98 and 127 for two bare runs of 15 reloads).
    slack = max(bare.errors * 0.3, wrk_n)
    w.check("no more failed reads than bare NGINX reloads of the same files (within noise: 30 %, at least 1 per reload)",
            tg.errors <= bare.errors + slack, f"Tollgate {tg.errors}, bare {bare.errors}, noise allowance {slack:.0f}")
    w.seconds = time.time() - t_w
    rows.append(w)
    rows.append(edit_burst(env, c, gw, wrk_n, bare.errors / max(wrk_n, 1)))
    if knobs:
        rows.append(knob_experiments(env, base, wrk_n, interval, seconds, gw.http + BARE_OFFSET))
    return rows


def edit_burst(env: Env, c: Cluster, gw: GatewayPorts, n: int, bare_per_reload: float) -> Row:
    """n edits written 50 ms apart under wrk: the controller (250 ms manifest polling) and the
    agent (newest waiting snapshot only) coalesce them, so NGINX reloads far fewer than n times."""
    row = Row("edit burst under wrk (-c20): coalescing", f"{n} edits 50 ms apart")
    t0 = time.time()
    before = c.newest(gw)
    log_path = c.agents[gw.name].logfile
    with open(log_path, errors="replace") as f:
        reloads_before = f.read().count("nginx: reloaded")
    p = start_wrk(f"http://127.0.0.1:{gw.http}/", int(n * 0.05 + 6))
    time.sleep(1.0)
    for _ in range(n):
        e = c.man.edit(gw)
        time.sleep(0.05)
    got = c.wait_converged(gw, e, timeout=30)
    r = finish_wrk(p)
    with open(log_path, errors="replace") as f:
        reloads = f.read().count("nginx: reloaded") - reloads_before
    rows_ = [x for x in env.tg.snapshots(c.state, gw) if before and x["version"] > before["version"]]
    applied = sum(1 for x in rows_ if "applied" in x["agents"].values())
    row.sent, row.failed = r.requests, r.errors
    row.lost = (f"{r.read} read errors, {r.errors - r.read} other, from {reloads} reloads "
                f"({len(rows_)} versions published, {applied} applied); bare NGINX reloading once per edit: "
                f"≈ {bare_per_reload * n:.0f} read errors ({bare_per_reload:.1f} per reload × {n})")
    row.check("the last edit is applied", bool(got))
    row.check("fewer reloads than edits", reloads < n, f"{reloads} reloads for {n} edits")
    row.seconds = time.time() - t0
    return row


def bare_nginx(root: str, bare_dir: str, gw: GatewayPorts) -> str:
    """Copies the live tree for a bare NGINX on other ports (agent include removed). Returns the
    copy's directory (a template for knob variants)."""
    src = os.path.realpath(os.path.join(root, "current"))
    tpl = os.path.join(bare_dir, "template")
    shutil.rmtree(tpl, ignore_errors=True)
    shutil.copytree(src, tpl, ignore=shutil.ignore_patterns("agent", ".tollgate-version"))
    for dirpath, _, files in os.walk(tpl):
        for fn in files:
            if fn.endswith(".conf"):
                p = os.path.join(dirpath, fn)
                with open(p) as f:
                    t = f.read()
                for port in (gw.http, gw.https, gw.mtls):
                    t = t.replace(f"127.0.0.1:{port};", f"127.0.0.1:{port + BARE_OFFSET};").replace(
                        f"127.0.0.1:{port} ", f"127.0.0.1:{port + BARE_OFFSET} ")
                with open(p, "w") as f:
                    f.write(t)
    return tpl


def _edit_file(path: str, old: str, new: str) -> None:
    with open(path) as f:
        t = f.read()
    if old not in t:
        raise RuntimeError(f"{os.path.basename(path)} has no {old!r}")
    with open(path, "w") as f:
        f.write(t.replace(old, new, 1))


def bare_reloads(env: Env, tpl: str, n: int, interval: float, seconds: int, port: int,
                 edits: tuple = (), label: str = "bare") -> "object":
    """Runs a bare NGINX on a copy of `tpl` (with `edits`: (file, old, new) replacements), wrk
    for `seconds`, and `nginx -s reload` n times every `interval` seconds. Returns wrk's result."""
    d = os.path.join(os.path.dirname(tpl), label)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(tpl, os.path.join(d, "conf"))
    os.makedirs(os.path.join(d, "runtime"), exist_ok=True)
    conf = os.path.join(d, "conf", "nginx.conf")
    for fn, old, new in edits:
        _edit_file(os.path.join(d, "conf", fn), old, new)
    rt = os.path.join(d, "runtime")
    argv = ["nginx", "-p", rt + "/", "-e", os.path.join(rt, "error.log"), "-c", conf]
    r = subprocess.run(argv + ["-t"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"bare nginx -t failed: {r.stderr}")
    p = env.track(Proc(f"nginx-{label}", argv + ["-g", "daemon off;"], os.path.join(d, "nginx.log")))
    env.roots.append(d)
    wait_until(lambda: _port(port), 10)
    w = start_wrk(f"http://127.0.0.1:{port}/", seconds)
    time.sleep(1.0)
    for _ in range(n):
        t0 = time.monotonic()
        subprocess.run(argv + ["-s", "reload"], capture_output=True)
        rest = interval - (time.monotonic() - t0)
        if rest > 0:
            time.sleep(rest)
    res = finish_wrk(w)
    p.stop(signal.SIGQUIT)
    return res


def _port(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def knob_experiments(env: Env, tpl: str, n: int, interval: float, seconds: int, port: int) -> Row:
    """Bare NGINX with candidate settings, same wrk load and reload count: does any shrink the
    read errors a reload causes? Report only; Tollgate's rendering is not changed here."""
    row = Row("knobs on bare NGINX (wrk -c20, same reloads)", f"{n} reloads per variant")
    t0 = time.time()
    variants = [
        ("baseline (as rendered)", ()),
        ("worker_shutdown_timeout 10s", (("nginx.conf", "events {", "worker_shutdown_timeout 10s;\nevents {"),)),
        ("keepalive_timeout 2s", (("http.conf", "keepalive_timeout 65s;", "keepalive_timeout 2s;"),)),
        ("keepalive_requests 10", (("http.conf", "keepalive_timeout 65s;", "keepalive_timeout 65s;\nkeepalive_requests 10;"),)),
        ("lingering_close always", (("http.conf", "keepalive_timeout 65s;", "keepalive_timeout 65s;\nlingering_close always;"),)),
    ]
    parts = []
    for label, edits in variants:
        safe = "".join(ch if ch.isalnum() else "-" for ch in label)[:40]
        try:
            r = bare_reloads(env, tpl, n, interval, seconds, port, edits, label=f"knob-{safe}")
        except RuntimeError as e:
            parts.append(f"{label}: {e}")
            continue
        row.sent += r.requests
        row.failed += r.errors
        parts.append(f"{label}: {r.requests} requests, read errors {r.read}, other {r.errors - r.read}")
        log(f"  {parts[-1]}")
    row.lost = "; ".join(parts)
    row.seconds = time.time() - t0
    return row


# ---------------------------------------------------------------- 5. config root full / read-only

def root_full_or_readonly(env: Env, rounds: int) -> Row:
    row = Row("config root full (4 MiB tmpfs) or read-only (versions/) during an apply",
              f"{rounds} full + {rounds} read-only")
    t_start = time.time()
    gw = GW_A
    base = env.dir("root-fault")
    root = os.path.join(base, "root-tmpfs")
    os.makedirs(root, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", root], capture_output=True, text=True)
    if r.returncode != 0:
        row.skipped = f"cannot mount a tmpfs ({r.stderr.strip() or 'not permitted'}); needs root"
        return row
    env.mounts.append(root)
    # versions/ is also a bind mount of itself, so it alone can be made read-only: NGINX keeps
    # its logs open for writing in runtime/, which a read-only remount of the whole tmpfs refuses.
    versions = os.path.join(root, "versions")
    os.makedirs(versions, exist_ok=True)
    subprocess.run(["mount", "--bind", versions, versions], check=True)
    env.mounts.append(versions)
    c = Cluster(env, "root-fault", [gw], roots={gw.name: root})
    if not row.check("initial version applied", c.wait_converged(gw, 0, timeout=60)):
        return row
    clients = Clients.start(env.tls, [gw])
    time.sleep(0.5)
    bad, recovered = [], []
    for i in range(rounds):
        for kind in ("full", "read-only"):
            live = c.converged(gw)
            filler = os.path.join(root, "filler")
            if kind == "full":
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    while os.write(fd, b"\0" * 65536) > 0:
                        pass
                except OSError:
                    pass
                finally:
                    os.close(fd)
                # Leave a few KiB so small writes succeed and larger ones fail part-way.
                os.truncate(filler, max(0, os.path.getsize(filler) - 8192))
            else:
                subprocess.run(["mount", "-o", "remount,bind,ro", versions], check=True)
            e = c.man.edit(gw)
            # The controller records the agent's rejection of the new version.
            def rejected():
                row_ = c.newest(gw)
                if row_ and live and row_["version"] > live["version"] and \
                        row_["agents"].get(c.agent_id(gw)) == "rejected":
                    return row_
                return None
            rej = wait_until(rejected, 30, interval=0.2)
            serving = probe(live_probe_socket(root))
            leftovers = [x for x in os.listdir(versions) if x.startswith(".staging-")]
            if leftovers:
                bad.append(f"{kind}: staging left behind after the rejection: {leftovers}")
            ok, st = c.programmed(gw)
            conds = env.tg.gateway_conditions(c.state, gw)
            msg = conds.get("Programmed", {}).get("message", "")
            if not rej:
                bad.append(f"{kind}: no rejection recorded (newest {c.newest(gw)})")
            if not live or serving != live.get("probe"):
                bad.append(f"{kind}: probe answers {serving}, previous version was {live and live.get('probe')}")
            if ok:
                bad.append(f"{kind}: status still Programmed=True after the rejection")
            short = lambda t: t.replace(root, "ROOT")
            row.notes.append(f"{kind}: agent's report: {short(rej['agents_text'])[:150] if rej else '-'}; "
                             f"status {short(st)[:170]}")
            # Give the space back; the next edit applies.
            if kind == "full":
                os.unlink(filler)
            else:
                subprocess.run(["mount", "-o", "remount,bind,rw", versions], check=True)
            e = c.man.edit(gw)
            if c.wait_converged(gw, e, timeout=30):
                ok2, st2 = c.programmed(gw)
                if ok2:
                    recovered.append(kind)
                else:
                    bad.append(f"{kind}: after recovery {st2}")
            else:
                bad.append(f"{kind}: next edit not applied after the fault was removed")
            problems = c.check_tree(gw)
            if problems:
                bad.append(f"{kind}: live tree {problems}")
    finish_clients(row, clients, t_start)
    row.check("0 failed requests: the previous version kept serving", row.failed == 0, f"{row.failed} of {row.sent}")
    row.check("rejected cleanly (agent's report recorded, no staging left, probe unchanged, status not Programmed, "
              "live tree whole)", not bad,
              "; ".join(bad[:3]))
    row.check("next edit applied once space/write access is back", len(recovered) == 2 * rounds,
              f"{len(recovered)}/{2 * rounds}")
    return row


# ---------------------------------------------------------------- 6. controller unreachable

def controller_frozen(env: Env, seconds: float) -> Row:
    row = Row(f"controller unreachable (SIGSTOP {seconds:.0f} s) while manifests change", "1 freeze")
    t_start = time.time()
    c = Cluster(env, "controller-frozen", [GW_A, GW_B])
    for gw in c.gateways:
        if not row.check(f"{gw.name} initial version applied", c.wait_converged(gw, 0, timeout=60)):
            return row
    clients = Clients.start(env.tls, c.gateways)
    time.sleep(0.5)
    before_b = nginx_workers(nginx_master(c.roots[GW_B.name]))
    c.controller.signal(signal.SIGSTOP)
    t_freeze = time.monotonic()
    edits = 0
    while time.monotonic() - t_freeze < seconds:
        e = c.man.edit(GW_A)
        edits += 1
        time.sleep(min(2.0, max(0.3, seconds / 10)))
    still = probe(live_probe_socket(c.roots[GW_A.name]))
    c.controller.signal(signal.SIGCONT)
    t_cont = time.monotonic()
    got = c.wait_converged(GW_A, e, timeout=60)
    resync = time.monotonic() - t_cont
    time.sleep(1.0)
    after_b = nginx_workers(nginx_master(c.roots[GW_B.name]))
    finish_clients(row, clients, t_start)
    published = [x for x in env.tg.snapshots(c.state, GW_A) if still and x["version"] > still[0]]
    row.notes.append(f"{edits} edits while frozen, published as {len(published)} version(s) after SIGCONT; "
                     f"version {still[0] if still else None} served while frozen; resynced {resync:.1f} s after SIGCONT")
    row.check("0 failed requests while the controller was unreachable", row.failed == 0, f"{row.failed} of {row.sent}")
    row.check("agents resync: the newest edit is applied after", bool(got),
              f"version {got['version']}, {resync:.1f} s after SIGCONT" if got else f"newest {c.newest(GW_A)}")
    row.check("untouched Gateway not reloaded", before_b == after_b, f"workers {before_b} -> {after_b}")
    for gw in c.gateways:
        ok, st = c.programmed(gw)
        row.check(f"{gw.name} Programmed=True after", ok, st)
    return row


# ---------------------------------------------------------------- 7. stream cut mid-snapshot

def stream_cut(env: Env, n: int, bulk: int = 20) -> Row:
    """The agent dials the controller (mutual TLS over TCP) through a proxy that resets both
    connections after a random number of bytes of a large snapshot (~0.85 MB per version)."""
    row = Row("stream cut mid-snapshot (TCP + mTLS through a cutting proxy)", f"{n} cuts")
    t_start = time.time()
    gw = GW_A
    proxy = CuttingProxy(17851, 17850)
    try:
        c = Cluster(env, "stream-cut", [gw], bulk=bulk, tcp=(17850, 17851))
        root = c.roots[gw.name]
        first = c.wait_converged(gw, 0, timeout=90)
        if not row.check("initial version applied", first, "" if first else c.agents[gw.name].tail(5)):
            return row
        clients = Clients.start(env.tls, [gw])
        time.sleep(0.5)
        # Calibrate: how many bytes one version's snapshot takes on the wire.
        b0 = proxy.down_bytes
        e = c.man.edit(gw)
        c.wait_converged(gw, e, timeout=60)
        size = proxy.down_bytes - b0
        log(f"  one version's snapshot: {size} bytes on the wire")
        partial, missed, cut_points, resyncs = [], [], [], []
        for i in range(n):
            if i:
                # The agent's reconnect backoff (100 ms, doubling to 5 s) resets once a stream
                # lived 5 s: wait that long so every cut meets a fresh backoff.
                time.sleep(5.5)
            before = read_live_tree(root)
            conns = proxy.connections
            proxy.arm(int(size * env.rng.uniform(0.02, 0.95)))
            e = c.man.edit(gw)
            if not wait_until(lambda: len(proxy.cuts) > i, 20, interval=0.01):
                missed.append(f"cut {i + 1}: the stream was never cut (no snapshot bytes?)")
                proxy.cut_at = None
                continue
            t_cut = time.time()
            cut_points.append(proxy.cuts[-1] - proxy.armed_at)
            # Right after the cut, what is live must still be the previous version, whole.
            time.sleep(0.2)
            now = read_live_tree(root)
            if now is None or now.problems or (before and now.name != before.name):
                partial.append(f"cut {i + 1}: live {now.name if now else None} {now.problems if now else ''}, "
                               f"before {before.name if before else None}")
            got = c.wait_converged(gw, e, timeout=60)
            if not got:
                missed.append(f"cut {i + 1}: edit {e} not applied after reconnecting "
                              f"({proxy.connections - conns} new connections)\n{c.agents[gw.name].tail(6)}")
                continue
            resyncs.append(time.time() - t_cut)
            problems = c.check_tree(gw, got)
            if problems:
                partial.append(f"cut {i + 1} after resync: {problems}")
            log(f"  cut {i + 1}/{n}: stream reset {cut_points[-1]} bytes into the snapshot; reconnected and "
                f"applied version {got['version']} {time.time() - t_cut:.1f} s after the cut")
        finish_clients(row, clients, t_start)
        row.notes.append(f"snapshot ≈ {size} bytes on the wire; cut after {', '.join(map(str, cut_points))} bytes; "
                         f"resynced {', '.join(f'{x:.1f}' for x in resyncs)} s after the cuts; "
                         f"{proxy.connections} agent connections in all")
        row.check("0 failed requests", row.failed == 0, f"{row.failed} of {row.sent}")
        row.check("nothing of a cut snapshot is applied; the live tree stays whole", not partial, "; ".join(partial[:3]))
        row.check("the agent reconnects and applies the newest version after every cut", not missed,
                  "; ".join(missed[:2]))
        ok, st = c.programmed(gw)
        row.check("status Programmed=True after", ok, st)
        return row
    finally:
        proxy.close()


# ---------------------------------------------------------------- 3b. NGINX cannot come back

def nginx_held_port(env: Env, hold: float) -> Row:
    """Kills the master and its workers, then holds the Gateway's HTTP port for `hold` seconds so
    the agent's restarts fail: what does the status say meanwhile, and does NGINX come back on
    the last good version once the port is free?"""
    row = Row(f"NGINX killed and unable to restart for {hold:.0f} s (its port held), standalone mode", "1")
    t_start = time.time()
    gw = GW_A
    c = Cluster(env, "nginx-held", [gw], standalone=True)
    root = c.roots[gw.name]
    if not row.check("initial version applied", c.wait_converged(gw, 0, timeout=90)):
        return row
    clients = Clients.start(env.tls, [gw])
    time.sleep(0.5)
    before = probe(live_probe_socket(root))
    master = nginx_master(root)
    workers = nginx_workers(master)
    for p in [master] + workers:
        os.kill(p, signal.SIGKILL)
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        bound = wait_until(lambda: _try_bind(holder, gw.http), 2, interval=0.001)
        statuses: list[str] = []
        t_hold = time.monotonic()
        while time.monotonic() - t_hold < hold:
            st = c.programmed(gw)[1]
            if not statuses or statuses[-1] != st:
                statuses.append(st)
            time.sleep(0.3)
    finally:
        holder.close()
    t_free = time.monotonic()
    got = wait_until(lambda: (lambda m, a: (m, a) if m and m != master and a else None)(
        nginx_master(root), probe(live_probe_socket(root))), 30, interval=0.05)
    back = time.monotonic() - t_free
    time.sleep(1.0)
    ok, st = c.programmed(gw)
    statuses.append(st + " (after)")
    finish_clients(row, clients, t_start)
    row.lost = "while the port was held nothing can serve: " + row.lost
    row.notes.append("status while NGINX could not start, then after: " + " → ".join(statuses))
    row.check("port taken over before the agent's restart", bool(bound), "" if bound else "could not bind the port in time")
    row.check("status says NGINX is not serving while it cannot start",
              any("Programmed=True" not in x for x in statuses[:-1]), " → ".join(statuses[:-1])[:300])
    row.check("NGINX back on the last good version once the port is free", bool(got) and got[1] == before,
              f"back after {back:.1f} s, serving {got[1][0] if got else None}, before {before[0] if before else None}")
    row.check("status Programmed=True after", ok, st)
    return row


def _try_bind(s, port: int) -> bool:
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return True
    except OSError:
        return False
