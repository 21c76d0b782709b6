#!/usr/bin/env python3
"""Process-level benchmarks of issue 9 (targets 4, 5, 6, 8, 9): real `tollgate controller` and
`tollgate agent` processes with real NGINX, each figure next to a baseline measured in the same run.

    python3 bench/process/run.py --bin BIN --work DIR --out FILE [--quick] [--only id,id]
    python3 bench/process/run.py --self-test

Ids: edit-to-served-1k, churn-200-edits (a 1k-route deployment); edit-to-served-10k, idle-cpu-10k,
controller-rss-10k, agent-rss (a 10k-route deployment); ngf-shape (NGF's reconfiguration shape).
Workloads come from bench/workload.py (shapes in bench/README.md). Ports: Gateways 18500–18549,
their bare-NGINX copies +50, the backend 18600 (all moved by $BENCH_PORT_SHIFT). Everything started is stopped on exit, also on
Ctrl-C. Writes the part file described in bench/README.md (`process.json`).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Env, entry, log, percentile, rss_mib, start_backend, stats  # noqa: E402

IDS_1K = ["edit-to-served-1k", "churn-200-edits"]
IDS_10K = ["edit-to-served-10k", "idle-cpu-10k", "controller-rss-10k", "agent-rss"]
IDS_NGF = ["ngf-shape"]
ALL_IDS = IDS_1K + IDS_10K + IDS_NGF
HISTORY = 50        # `tollgate controller --history` default
CHURN_ROUNDS = 3    # full mode; quick runs one
TARGETS = {"edit-to-served-1k": (4, "ratio <= 1.2"), "edit-to-served-10k": (4, "ratio <= 1.2"),
           "idle-cpu-10k": (5, "value < 1"), "ngf-shape": (6, "ratio <= 1.3"), "controller-rss-10k": (8, "value < 150"),
           "agent-rss": (8, "value < 30"), "churn-200-edits": (9, "reloads <= 3 and failed <= baseline")}


class Budget:
    """The part's time budget (BENCH_BUDGET_SECONDS from scripts/bench.sh, or --budget): sections
    shorten their loops so that the sections after them still fit; None = unlimited."""

    def __init__(self, seconds: float | None):
        self.deadline = time.monotonic() + seconds - 15 if seconds else None

    def left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def stop_at(self, reserve: float) -> float | None:
        """When a loop must stop to leave `reserve` seconds for what comes after it."""
        return None if self.deadline is None else self.deadline - reserve


# Rough seconds each section needs at the least (debug build, loaded 2-core machine), for the reserves.
NEED = {"1k": 20, "churn": 60, "10k": 60, "ngf": 20}


def build_label(binary: str) -> str:
    p = os.path.realpath(binary)
    return "release" if "/release/" in p else "debug" if "/debug/" in p else "unknown build"


def ms(x):
    return "–" if x is None else f"{x * 1000:.0f} ms"


# ---------------------------------------------------------------- the deployments

def run_1k(env: Env, a, want: set, out: list, notes: list, budget: Budget, later: float) -> None:
    from cluster import Cluster, Workload, agent_command, workload_args
    from measures import churn, edit_to_served
    wl = Workload(env, "routes-1k", workload_args(1000, 1, 10, 63))   # 63 HTTPS + 1 HTTP: a Gateway's 64-listener limit
    gws = ["bench-gw/gw-0"]
    c = Cluster(env, "r1k", wl.dir, gws)
    try:
        t = c.wait_converged(180)
        notes.append(f"1k deployment (1 Gateway, 63 HTTPS listeners + HTTP, 10 route files of 100 routes): served {t:.1f} s after the agents started")
        if "edit-to-served-1k" in want:
            n = 5 if a.quick else 50
            log(f"edit-to-served-1k: {n} edits")
            r = edit_to_served(env, c, wl, n, stop_at=budget.stop_at(later + (NEED["churn"] if "churn-200-edits" in want else 0)))
            out.append(edit_entry("edit-to-served-1k", "1k", r, n))
        if "churn-200-edits" in want and budget.left() < NEED["churn"] + later:
            why = f"not measured: {budget.left():.0f} s of the part's time budget left"
            log(f"skipping churn-200-edits: {why}")
            out.append(entry("churn-200-edits", 9, "not measured", None, "", None, None, TARGETS["churn-200-edits"][1],
                             met=False, notes=why))
        elif "churn-200-edits" in want:
            rounds = 1 if a.quick else CHURN_ROUNDS
            log(f"churn-200-edits: {rounds} rounds of 200 edits in 2 s under wrk, each with its bare-NGINX baseline")
            r = churn(env, c, wl, edits=200, every=0.01, rounds=rounds, stop_at=budget.stop_at(later))
            out.append(churn_entry(r))
    finally:
        c.stop()


def edit_entry(id_: str, size: str, r: dict, n: int) -> dict:
    tg, bn = r["tollgate"], r["bare"]
    p50, b50 = percentile(tg, 50), percentile(bn, 50)
    bst = stats(bn)
    notes = (f"{len(tg)}/{n} edits served; bare p50 {ms(b50)}, p90 {ms(bst and bst['p90'])}, "
             f"p99 {ms(bst and bst['p99'])} ({len(bn)} reloads); Gateway {r['gateway']}")
    ph = r["phases"]
    if ph:
        def phase(i):
            return ms(percentile([x[i] for x in ph], 50))
        notes += (f"; Tollgate's p50 phases: rename → published {phase(0)} (controller: read, decode, render, publish; "
                  f"from its log), → agent starts writing a tree {phase(1)} (stream), → `current` swapped {phase(2)} "
                  f"(agent: write, fsync), → new path served {phase(3)} (reload, probe)")
    if r["problems"]:
        notes += "; problems: " + "; ".join(r["problems"][:3])
    log(f"  {id_}: Tollgate p50 {ms(p50)} p90 {ms(percentile(tg, 90))} p99 {ms(percentile(tg, 99))}; "
        f"bare p50 {ms(b50)} p90 {ms(percentile(bn, 90))} p99 {ms(percentile(bn, 99))}")
    met = None if tg and len(tg) == n else False
    return entry(id_, 4, f"edit one route → served (probe-verified), {size} routes", p50, "s", b50,
                 "bare NGINX: nginx -t + SIGHUP + poll, same files", "ratio <= 1.2", samples=tg, met=met, notes=notes)


def churn_entry(r: dict) -> dict:
    """Target 9 over the rounds: value/baseline = the median over rounds of failed requests per
    reload (Tollgate / bare NGINX reloaded at the same moments); met = every round ≤ 3 reloads with
    the final version applied, probed and Programmed, and the Tollgate median ≤ the bare median."""
    rows = r["rounds"]
    tg = [x["tollgate"] for x in rows]
    per_t = [t["wrk"]["failed"] / max(t["reloads"], 1) for t in tg]
    per_b = [x["bare"]["wrk"]["failed"] / max(x["bare"]["reloads"], 1) for x in rows]
    m_t, m_b = percentile(per_t, 50), percentile(per_b, 50)
    ok_final = all(t["applied"] and t["probe_ok"] and t["programmed"] and not t["problems"] for t in tg)
    reloads = max((t["reloads"] for t in tg), default=0)
    met = bool(rows) and reloads <= 3 and ok_final and m_t is not None and m_b is not None and m_t <= m_b

    def pct(x):
        return "–" if x is None else f"{x:.0f} %"

    def secs(x):
        return "–" if x is None else f"{x:.2f}"

    def windows(ws, own):
        return ", ".join(f"{secs(w['hup'])} s (old workers shut down {secs(w['down_after'])} s later"
                         + (f"; controller+agent CPU until then {pct(w['cpu'])} of a core" if own else "") + ")"
                         for w in ws)
    parts = []
    for i, (x, t) in enumerate(zip(rows, tg), 1):
        w, b = t["wrk"], x["bare"]["wrk"]
        parts.append(
            f"round {i} ({x['order']}): Tollgate {t['versions']} versions, {t['reloads']} reloads (SIGHUP at "
            f"{windows(t['reload_windows'], True)}), last edit served {t['served_after'] and round(t['served_after'], 2)} s "
            f"after the first, final version applied={t['applied']}, probe={t['probe_ok']}, {t['programmed_why']}; "
            f"wrk {w['seconds']:.1f} s: {w['requests']} requests, {w['failed']} failed (read {w['read']}, connect "
            f"{w['connect']}, timeout {w['timeout']}, non-2xx {w['non2xx']}); bare: {x['bare']['reloads']} reloads at "
            f"{windows(x['bare']['reload_windows'], False)}, {b['seconds']:.1f} s: {b['requests']} requests, "
            f"{b['failed']} failed (read {b['read']})")
    problems = [p for t in tg for p in t["problems"]] + r["problems"]

    def rng(v):
        return f"{min(v):.1f}–{max(v):.1f}" if v else "–"
    notes = (f"{len(rows)} round{'s' if len(rows) != 1 else ''} of {r['edits']} edits in 2 s (written in "
             f"{', '.join(secs(t['written_in']) for t in tg)} s){', order alternating' if len(rows) > 1 else ''}; "
             f"failed requests per "
             f"reload, median (range): Tollgate {m_t if m_t is None else round(m_t, 1)} ({rng(per_t)}), bare NGINX "
             f"{m_b if m_b is None else round(m_b, 1)} ({rng(per_b)}). " + "; ".join(parts))
    if problems:
        notes += "; problems: " + "; ".join(problems)
    log(f"  churn: {notes}")
    e = entry("churn-200-edits", 9, "200 one-route edits in 2 s under wrk: NGINX reloads, failed requests per reload",
              m_t, "failed requests per reload", m_b,
              "bare NGINX, same files, same wrk load, reloaded as often at the same moments (median over the rounds)",
              "reloads <= 3 and failed <= baseline", samples=per_t, met=met, notes=notes,
              ratio=(m_t / m_b) if m_t is not None and m_b else None)
    e["reloads"] = reloads
    e["versions"] = max((t["versions"] for t in tg), default=0)
    e["baseline_stats"] = stats(per_b)
    e["rounds"] = [{"order": x["order"], "reloads": t["reloads"], "versions": t["versions"],
                    "failed": t["wrk"]["failed"], "requests": t["wrk"]["requests"],
                    "bare_reloads": x["bare"]["reloads"], "bare_failed": x["bare"]["wrk"]["failed"],
                    "bare_requests": x["bare"]["wrk"]["requests"]} for x, t in zip(rows, tg)]
    return e


def run_10k(env: Env, a, want: set, out: list, notes: list, budget: Budget, later: float) -> None:
    from cluster import Cluster, Workload, agent_command, workload_args
    from measures import edit_to_served, fill_history, idle_cpu, published_count
    wl = Workload(env, "routes-10k", workload_args(10000, 10, 100, 64))
    gws = [f"bench-gw/gw-{g}" for g in range(10)]
    c = Cluster(env, "r10k", wl.dir, gws)
    try:
        t = c.wait_converged(600)
        notes.append(f"10k deployment (10 Gateways of 1k routes, one agent + NGINX each, 64 HTTPS listeners, 100 route files of 100 routes): served {t:.1f} s after the agents started")
        time.sleep(2)
        gw = gws[0]
        ctl0, ag0 = rss_mib(c.controller.pid), rss_mib(c.agents[gw].pid)
        log(f"  RSS after start: controller {ctl0:.1f} MiB, agent {ag0:.1f} MiB")
        if "idle-cpu-10k" in want:
            secs = 8 if a.quick else 30
            log(f"idle-cpu-10k: {secs} s idle, then the stat loop")
            time.sleep(3)
            r = idle_cpu(env, c, wl, secs)
            out.append(entry("idle-cpu-10k", 5, "controller CPU while idle, 10k routes (settled)", r["controller_pct"],
                             "% of a core", r["baseline_pct"],
                             f"a process stat()ing the {r['files']} manifest files every 250 ms", "value < 1",
                             notes=f"{r['controller_ticks']} ticks in {r['seconds']:.1f} s; stat loop {r['baseline_ticks']} "
                                   f"ticks; the 10 agents together {r['agents_pct']:.2f} %"))
            log(f"  idle: controller {r['controller_pct']:.2f} %, stat loop {r['baseline_pct']:.2f} %, agents {r['agents_pct']:.2f} %")
        if "edit-to-served-10k" in want:
            n = 3 if a.quick else 50
            log(f"edit-to-served-10k: {n} edits")
            r = edit_to_served(env, c, wl, n, stop_at=budget.stop_at(later + 15))
            out.append(edit_entry("edit-to-served-10k", "10k", r, n))
        if "controller-rss-10k" in want or "agent-rss" in want:
            have = published_count(c, gw)
            target = (HISTORY + 1) if not a.quick else max(have, 4)
            if have < target:
                log(f"  filling {gw}'s history: {target - have} more one-route edits")
                fill_history(c, wl, gw, target - have, stop_at=budget.stop_at(later + 10))
            c.wait_converged(300)
            time.sleep(2)
            have = published_count(c, gw)
            ctl1, ag1 = rss_mib(c.controller.pid), rss_mib(c.agents[gw].pid)
            full = have > HISTORY
            hist = (f"{have} versions of {gw} published (history {HISTORY}: "
                    f"{'full' if full else 'NOT full — quick run, fewer edits'})")
            log(f"  RSS: controller {ctl1:.1f} MiB (start {ctl0:.1f}), agent {ag1:.1f} MiB (start {ag0:.1f}); {hist}")
            if "controller-rss-10k" in want:
                out.append(entry("controller-rss-10k", 8, "controller VmRSS, 10k routes, after one-route edits filling the history",
                                 ctl1, "MiB", ctl0, "VmRSS right after start (first version served)", "value < 150",
                                 notes=hist))
            if "agent-rss" in want:
                out.append(entry("agent-rss", 8, f"agent VmRSS serving one Gateway of the 10k routes ({gw}, 1,000 routes)",
                                 ag1, "MiB", ag0, "VmRSS right after start (first version applied)", "value < 30",
                                 notes=f"agent: `{' '.join(os.path.basename(x) for x in agent_command(a.bin))}`; after the edits above; {hist}"))
    finally:
        c.stop()


def run_ngf(env: Env, a, want: set, out: list, notes: list, budget: Budget, later: float) -> None:
    from cluster import Workload
    from measures import ngf_shape
    from common import BACKEND_PORT, GATEWAY_PORT_BASE
    wl = Workload(env, "ngf", ["--ngf", "--gateway-port-base", str(GATEWAY_PORT_BASE + 40), "--backend-port", str(BACKEND_PORT),
                               "--seed", "1"])
    log("ngf-shape: 150 namespace files at once")
    r = ngf_shape(env, wl)
    text = (f"{r.get('files')} files renamed in {ms(r.get('renamed_in'))}; Tollgate: sentinel (last file's HTTPS "
            f"route) at {ms(r.get('sentinel'))}, every namespace's routes at {ms(r.get('served'))}, the probe on the "
            f"final version {r.get('final_version')} at {ms(r.get('probe_final'))}, its report reached the controller "
            f"(Programmed) at {ms(r.get('programmed_at'))}; {r.get('versions')} versions "
            f"published, {r.get('reloads')} reloads (NGINX logged {r.get('sighups')} SIGHUPs); {r.get('programmed_why')}; "
            f"{r.get('routes_accepted')}/{r.get('routes')} HTTPRoutes Accepted; bare: sentinel at "
            f"{ms(r.get('bare_sentinel'))}, every namespace at {ms(r.get('bare_served'))}, its {r.get('bare_workers')} old "
            f"workers stopped accepting at {ms(r.get('bare_retired'))}; both figures include up to one sweep "
            f"of the 150 namespaces' HTTP routes ({ms(r.get('sweep'))}); every HTTPS route verified afterwards")
    ph = r.get("phases")
    if ph:
        text += (f"; Tollgate's phases: published at {', '.join(ms(x) for x in ph['published'])}, the agent starts "
                 f"writing at {ms(ph['write'])}, `current` swapped at {ms(ph['swap'])}")
    if r.get("problems"):
        text += "; problems: " + "; ".join(r["problems"])
    log(f"  ngf: Tollgate {ms(r.get('tollgate'))}, bare {ms(r.get('bare'))}; {text}")
    ok = r.get("programmed") and not r.get("problems") and r.get("routes_accepted") == r.get("routes")
    e = entry("ngf-shape", 6, "NGF shape (150 namespaces × 2 Services × 3 routes, one TLS Gateway): all at once → "
              "every route served, final version probed, Programmed", r.get("tollgate"), "s", r.get("bare"),
              "one bare NGINX nginx -t + SIGHUP of the final config until every route answers and the old workers "
              "stopped accepting", "ratio <= 1.3",
              met=None if ok else False, notes=text)
    e["versions"] = r.get("versions")
    e["reloads"] = r.get("reloads")
    out.append(e)


# ---------------------------------------------------------------- output

def markdown(entries: list, label: str, quick: bool, notes: list) -> str:
    lines = [f"### Process level (targets 4, 5, 6, 8, 9) — {label} build{', quick' if quick else ''}", ""]
    for e in entries:
        st = e.get("stats")
        unit = e["unit"]

        def f(x):
            if x is None:
                return "–"
            if unit.startswith("failed requests"):
                return f"{x:.3g}"
            return f"{x * 1000:.0f} ms" if unit == "s" else f"{x:.4g} {unit}"
        lines += [f"#### {e['id']} — {e['what']}", "",
                  "| median | p90 | p99 | min–max | runs | baseline | ratio | target | met |",
                  "|---:|---:|---:|---:|---:|---:|---:|---|---|"]
        if st:
            lines.append(f"| {f(st['median'])} | {f(st['p90'])} | {f(st['p99'])} | {f(st['min'])}–{f(st['max'])} | "
                         f"{st['runs']} | {f(e['baseline'])} | {e['ratio'] if e['ratio'] is not None else '–'} | "
                         f"{e['target']} | {'yes' if e['met'] else 'no'} |")
        else:
            lines.append(f"| {f(e['value'])} | – | – | – | 1 | {f(e['baseline'])} | "
                         f"{e['ratio'] if e['ratio'] is not None else '–'} | {e['target']} | {'yes' if e['met'] else 'no'} |")
        lines += ["", f"Baseline: {e['baseline_what']}. {e.get('notes', '')}".rstrip(), ""]
    if notes:
        lines += ["Notes: " + "; ".join(notes), ""]
    return "\n".join(lines)


def self_test() -> int:
    from common import parse_stat_ticks, target_met, move_ports, cpu_percent
    from measures import parse_wrk
    fails = []

    def check(name, cond):
        if not cond:
            fails.append(name)
        print(("ok   " if cond else "FAIL ") + name)
    check("percentile median odd", percentile([3, 1, 2], 50) == 2)
    check("percentile interpolates", abs(percentile([1, 2, 3, 4], 50) - 2.5) < 1e-9)
    check("percentile p90 of 1..10", abs(percentile(list(range(1, 11)), 90) - 9.1) < 1e-9)
    check("percentile single", percentile([7], 99) == 7)
    check("percentile empty", percentile([], 50) is None)
    s = stats([0.3, 0.1, 0.2])
    check("stats", s["median"] == 0.2 and s["min"] == 0.1 and s["max"] == 0.3 and s["runs"] == 3)
    check("target ratio <=", target_met("ratio <= 1.2", 5, 1.2) is True and target_met("ratio <= 1.2", 5, 1.21) is False)
    check("target value <", target_met("value < 150", 149.9, None) is True and target_met("value < 150", 150, None) is False)
    check("target undecidable", target_met("reloads <= 3 and failed <= baseline", 1, 1) is None)
    check("entry ratio and met", (lambda e: e["ratio"] == 1.1 and e["met"])(
        entry("x", 4, "w", 0.33, "s", 0.3, "b", "ratio <= 1.2", samples=[0.33])))
    stat = "1234 (tollgate (x) y) S 1 2 3 4 5 6 7 8 9 10 120 30 0 0 20 0 5 0"
    check("stat ticks with parentheses in comm", parse_stat_ticks(stat) == 150)
    check("cpu percent: 3 s of ticks in 30 s is 10 %", abs(cpu_percent(os.sysconf("SC_CLK_TCK") * 3, 30) - 10) < 1e-9)
    check("move ports", move_ports("listen 127.0.0.1:18500 default_server;\nlisten 18501 ssl;\nserver 127.0.0.1:18500;",
                                   [18500, 18501]) ==
          "listen 127.0.0.1:18550 default_server;\nlisten 18551 ssl;\nserver 127.0.0.1:18500;")
    w = parse_wrk("  1000 requests in 2.00s, 1 MB read\n  Socket errors: connect 0, read 3, write 0, timeout 1\n"
                  "  Non-2xx or 3xx responses: 2\n")
    check("wrk parse", w["requests"] == 1000 and w["read"] == 3 and w["failed"] == 6)

    def churn_round(t_failed, t_reloads, b_failed, b_reloads, ok=True):
        win = [{"hup": 1.0, "down_after": 0.5, "cpu": 1.0, "machine": 200.0}]
        t = {"wrk": {"failed": t_failed, "requests": 1000, "read": t_failed, "connect": 0, "timeout": 0, "non2xx": 0,
                     "seconds": 12.0}, "reloads": t_reloads, "versions": 3, "applied": ok, "probe_ok": True,
             "programmed": True, "programmed_why": "Programmed=True/Programmed", "problems": [], "written_in": 2.0,
             "served_after": 9.0, "reload_windows": win}
        b = {"wrk": {"failed": b_failed, "requests": 1000, "read": b_failed, "seconds": 12.0}, "reloads": b_reloads,
             "reload_windows": win}
        return {"order": "tollgate, bare", "tollgate": t, "bare": b}
    # One noisy round (30 failed) does not decide: medians per reload, 5 vs 6.
    e = churn_entry({"edits": 200, "problems": [], "rounds": [churn_round(10, 2, 12, 2), churn_round(30, 2, 8, 2),
                                                                churn_round(9, 3, 18, 3)]})
    check("churn: medians of failed per reload decide", e["value"] == 5 and e["baseline"] == 6 and e["met"] is True
          and e["stats"]["max"] == 15 and e["reloads"] == 3)
    e = churn_entry({"edits": 200, "problems": [], "rounds": [churn_round(10, 2, 4, 2), churn_round(12, 2, 6, 2)]})
    check("churn: more failed per reload than bare is not met", e["met"] is False and e["ratio"] == 2.2)
    e = churn_entry({"edits": 200, "problems": [], "rounds": [churn_round(1, 4, 8, 4)]})
    check("churn: more than 3 reloads is not met", e["met"] is False)
    e = churn_entry({"edits": 200, "problems": [], "rounds": [churn_round(1, 2, 8, 2, ok=False)]})
    check("churn: final version not applied is not met", e["met"] is False)
    return 1 if fails else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin")
    p.add_argument("--work")
    p.add_argument("--out")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="", help="comma-separated ids (default: all)")
    p.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET_SECONDS") or 0) or None,
                   help="seconds the part may take (default $BENCH_BUDGET_SECONDS, else unlimited)")
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args()
    if a.self_test:
        return self_test()
    if not (a.bin and a.work and a.out):
        p.error("--bin, --work and --out are required")
    want = set(x.strip() for x in a.only.split(",") if x.strip()) or set(ALL_IDS)
    unknown = want - set(ALL_IDS)
    if unknown:
        p.error(f"unknown ids: {', '.join(sorted(unknown))} (known: {', '.join(ALL_IDS)})")
    a.bin = os.path.abspath(a.bin)
    a.work = os.path.abspath(os.path.join(a.work, "process"))
    # A previous run's trees are moved aside now and deleted only at the end: on ext4 without a
    # journal (this machine's root file system) an inode freed in the last 60–360 s is skipped by
    # the allocator one by one (`recently_deleted`), so deleting ~100k files right before a
    # benchmark makes every file the agent creates cost up to ~0.7 ms of CPU instead of ~50 µs —
    # a cost of the benchmark's own clean-up, not of the deployment measured.
    import shutil
    os.makedirs(a.work, exist_ok=True)
    trash = os.path.join(a.work, f".trash-{os.getpid()}")
    os.makedirs(trash, exist_ok=True)
    for d in os.listdir(a.work):
        if d in ("runs", "bare", "staging") or (d.startswith(".trash-") and d != os.path.basename(trash)):
            os.rename(os.path.join(a.work, d), os.path.join(trash, d))
    env = Env(a.bin, a.work)
    label = build_label(a.bin)

    def on_signal(sig, _frame):
        # Once: the teardown that follows must not be interrupted by a second signal.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t_start = time.monotonic()
    entries: list = []
    notes: list = [f"binary {a.bin} ({label})"]
    failed: list = []
    budget = Budget(a.budget)
    # NGF's shape first: the 1k and 10k deployments' agents prune versions of thousands of files,
    # which slows file creation afterwards (see the clean-up above).
    sections = [(IDS_NGF, run_ngf, "ngf"), (IDS_1K, run_1k, "1k"), (IDS_10K, run_10k, "10k")]
    sections = [(want & set(ids), fn, key) for ids, fn, key in sections if want & set(ids)]
    interrupted = False
    try:
        start_backend(env, env.dir("backend"))
        for i, (sel, fn, key) in enumerate(sections):
            later = sum(NEED[k] for _, _, k in sections[i + 1:])
            if budget.left() < NEED[key]:
                why = f"not measured: {budget.left():.0f} s of the part's time budget left"
                log(f"skipping {', '.join(sorted(sel))}: {why}")
                for id_ in sorted(sel):
                    entries.append(entry(id_, TARGETS[id_][0], "not measured", None, "", None, None, TARGETS[id_][1],
                                         met=False, notes=why))
                continue
            try:
                fn(env, a, sel, entries, notes, budget, later)
            except KeyboardInterrupt:
                raise
            except Exception as e:  # noqa: BLE001 — one deployment failing leaves the others' figures
                traceback.print_exc()
                failed.append(f"{fn.__name__}: {e}".splitlines()[0])
                for id_ in sorted(sel - {x['id'] for x in entries}):
                    entries.append(entry(id_, TARGETS[id_][0], "not measured", None, "", None, None, TARGETS[id_][1], met=False,
                                         notes=f"failed: {str(e)[:300]}"))
    except KeyboardInterrupt as e:
        log(f"interrupted ({e}); stopping everything, writing what was measured")
        interrupted = True
        failed.append(f"interrupted ({e})")
        for id_ in sorted(want - {x['id'] for x in entries}):
            entries.append(entry(id_, TARGETS[id_][0], "not measured", None, "", None, None, TARGETS[id_][1], met=False,
                                 notes="not measured: the run was interrupted"))
    finally:
        env.cleanup()
        shutil.rmtree(trash, ignore_errors=True)
    order = {id_: i for i, id_ in enumerate(["edit-to-served-1k", "edit-to-served-10k", "idle-cpu-10k", "ngf-shape",
                                             "controller-rss-10k", "agent-rss", "churn-200-edits"])}
    entries.sort(key=lambda e: order.get(e["id"], 99))
    for e in entries:
        e["build"] = label
    if failed:
        notes.append("failed: " + "; ".join(failed))
    part = {"part": "process", "seconds": round(time.monotonic() - t_start, 1), "build": label, "quick": a.quick,
            "benchmarks": entries, "markdown": markdown(entries, label, a.quick, notes)}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out + ".tmp", "w") as f:
        json.dump(part, f, indent=1)
    os.replace(a.out + ".tmp", a.out)
    print(part["markdown"])
    log(f"wrote {a.out} ({part['seconds']:.0f} s)")
    return 130 if interrupted else 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
