#!/usr/bin/env python3
"""Merges the benchmark parts into bench/results/latest.json and latest.md.

    python3 bench/aggregate.py [--parts DIR] [--out DIR] [--quick] [--commit C] [--machine M]

Reads PARTS/{pipeline,process,dataplane}.json (see bench/README.md) and, when scripts/bench.sh
wrote one, PARTS/NAME.status (one line: "ok", or why the part failed). A part without a file, or
whose status is not "ok", is reported as failed; every expected id a run did not produce is listed
as not measured. `met` is computed here from `target` ("ratio <= 2", "value < 1 s",
"value < 16384", "value < 150 MiB", …) when the target parses, otherwise taken from the part.
Exit status: 0 when every part is ok, 1 otherwise (the files are written either way).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

PARTS = ("pipeline", "process", "dataplane")

# Ids each part is expected to produce (bench-interface); quick runs skip the 50k pipeline sizes.
EXPECTED = {
    "pipeline": ["pipeline-yaml-100", "pipeline-yaml-1k", "pipeline-yaml-10k", "pipeline-yaml-50k",
                 "pipeline-json-100", "pipeline-json-1k", "pipeline-json-10k", "pipeline-json-50k",
                 "decode-yaml-10k", "decode-json-10k", "one-route-publish-10k", "one-route-delta-10k"],
    "process": ["edit-to-served-1k", "edit-to-served-10k", "idle-cpu-10k", "ngf-shape",
                "controller-rss-10k", "agent-rss", "churn-200-edits"],
    "dataplane": ["dataplane-http-rps", "dataplane-https-rps", "dataplane-mtls-rps",
                  "dataplane-http-p99", "dataplane-https-p99", "dataplane-mtls-p99"],
}
QUICK_SKIPS = {"pipeline-yaml-50k", "pipeline-json-50k"}

# Units a target may name, as (dimension, factor to the dimension's base unit).
UNITS = {
    "s": ("time", 1.0), "sec": ("time", 1.0), "ms": ("time", 1e-3), "us": ("time", 1e-6), "µs": ("time", 1e-6),
    "b": ("bytes", 1.0), "bytes": ("bytes", 1.0), "kib": ("bytes", 1024.0), "mib": ("bytes", 1024.0 ** 2),
    "gib": ("bytes", 1024.0 ** 3), "kb": ("bytes", 1e3), "mb": ("bytes", 1e6),
    "%": ("percent", 1.0), "percent": ("percent", 1.0),
    "rps": ("rps", 1.0), "reloads": ("count", 1.0), "count": ("count", 1.0),
}
TARGET = re.compile(r"^\s*(ratio|value)\s*(<=|>=|<|>|==)\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*([A-Za-zµ%]*)\s*$")


def evaluate(entry: dict) -> bool | None:
    """`met` from the entry's target, or None when the target does not parse or a figure is missing."""
    m = TARGET.match(entry.get("target") or "")
    if not m:
        return None
    subject, op, bound, unit = m.group(1), m.group(2), float(m.group(3)), m.group(4).lower()
    x = entry.get(subject)
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return None
    if subject == "value" and unit:
        have = UNITS.get((entry.get("unit") or "").lower())
        want = UNITS.get(unit)
        if not have or not want or have[0] != want[0]:
            return None
        x = x * have[1] / want[1]
    return {"<=": x <= bound, ">=": x >= bound, "<": x < bound, ">": x > bound, "==": x == bound}[op]


def normalise(entry: dict) -> dict:
    e = dict(entry)
    for k in ("value", "baseline", "ratio", "stats", "unit", "target", "baseline_what", "what", "target_no"):
        e.setdefault(k, None)
    if e["ratio"] is None and isinstance(e["value"], (int, float)) and isinstance(e["baseline"], (int, float)) and e["baseline"]:
        e["ratio"] = e["value"] / e["baseline"]
    met = evaluate(e)
    if met is not None:
        e["met"] = met
    else:
        e["met"] = bool(e.get("met")) if e.get("met") is not None else None
    return e


def read_status(parts_dir: str, name: str) -> str | None:
    try:
        with open(os.path.join(parts_dir, name + ".status")) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def load_part(parts_dir: str, name: str) -> dict:
    """The part's file, with `status` ("ok" or why it failed)."""
    status = read_status(parts_dir, name)
    path = os.path.join(parts_dir, name + ".json")
    try:
        with open(path) as f:
            part = json.load(f)
    except FileNotFoundError:
        return {"part": name, "status": status if status and status != "ok" else "no result file",
                "seconds": None, "benchmarks": [], "markdown": ""}
    except (ValueError, OSError) as e:
        return {"part": name, "status": f"unreadable result file: {e}", "seconds": None, "benchmarks": [], "markdown": ""}
    part.setdefault("benchmarks", [])
    part.setdefault("markdown", "")
    part["status"] = status or "ok"
    return part


def machine() -> str:
    cpu, ram = "unknown CPU", "unknown RAM"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                    break
    except OSError:
        pass
    u = platform.uname()
    return f"{u.system} {u.release} {u.machine}, {os.cpu_count()} CPUs, {cpu}, {ram}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def fmt(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 100:
            return f"{x:,.0f}"
        if abs(x) >= 1:
            return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"
        return f"{x:.3g}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def aggregate(parts_dir: str, quick: bool, commit_id: str, machine_line: str) -> tuple[dict, str, bool]:
    parts = [load_part(parts_dir, n) for n in PARTS]
    entries: list[dict] = []
    missing: list[tuple[str, str]] = []
    for p in parts:
        got = [normalise(e) for e in p["benchmarks"] if isinstance(e, dict) and e.get("id")]
        for e in got:
            e["part"] = p["part"]
        entries += got
        ids = {e["id"] for e in got}
        for i in EXPECTED.get(p["part"], []):
            if i not in ids and not (quick and i in QUICK_SKIPS):
                missing.append((i, p["part"]))
    ok = all(p["status"] == "ok" for p in parts)
    # Parts that say which build they measured (the pipeline part does): a debug figure must not
    # pass for a release one.
    builds = sorted({p["build"] for p in parts if isinstance(p.get("build"), str)})
    result = {
        "machine": machine_line, "commit": commit_id, "quick": quick,
        "build": builds[0] if len(builds) == 1 else (", ".join(builds) if builds else None),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "parts": {p["part"]: {"status": p["status"], "seconds": p.get("seconds")} for p in parts},
        "benchmarks": entries,
        "not_measured": [{"id": i, "part": part} for i, part in missing],
    }
    return result, markdown(result, parts), ok


def markdown(result: dict, parts: list[dict]) -> str:
    out = ["# Tollgate benchmarks", "",
           f"- machine: {result['machine']}", f"- commit: {result['commit']}",
           f"- quick: {'yes' if result['quick'] else 'no'}", f"- date: {result['date']}"]
    if result.get("build"):
        out.append(f"- build: **{result['build']}**")
    out.append("")
    out += ["## Parts", "", "| part | status | seconds |", "|---|---|---|"]
    for p in parts:
        out.append(f"| {p['part']} | {p['status']} | {fmt(p.get('seconds'))} |")
    out += ["", "## Summary", "",
            "| # | id | value | unit | baseline | ratio | target | met |", "|---|---|---|---|---|---|---|---|"]
    for e in result["benchmarks"]:
        met = "—" if e["met"] is None else ("**yes**" if e["met"] else "no")
        out.append(f"| {fmt(e.get('target_no'))} | {e['id']} | {fmt(e['value'])} | {e.get('unit') or ''} | "
                   f"{fmt(e['baseline'])} | {fmt(e['ratio'])} | {e.get('target') or '—'} | {met} |")
    for m in result["not_measured"]:
        out.append(f"| | {m['id']} | not measured ({m['part']}) | | | | | no |")
    for p in parts:
        out += ["", f"## {p['part']}", ""]
        if p["status"] != "ok":
            out += [f"**Failed:** {p['status']}", ""]
        body = (p.get("markdown") or "").strip()
        out.append(body if body else "(no tables)")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Merge benchmark parts into latest.json and latest.md.")
    ap.add_argument("--parts", default=os.path.join(here, "results", "parts"))
    ap.add_argument("--out", default=os.path.join(here, "results"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--commit", default=None)
    ap.add_argument("--machine", default=None)
    a = ap.parse_args(argv)
    result, md, ok = aggregate(a.parts, a.quick, a.commit or commit(), a.machine or machine())
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write(md)
    print(f"wrote {os.path.join(a.out, 'latest.json')} and latest.md: {len(result['benchmarks'])} figures, "
          f"{sum(1 for e in result['benchmarks'] if e['met'])} met, {len(result['not_measured'])} not measured"
          + ("" if ok else "; failed parts: " + ", ".join(n for n, p in result["parts"].items() if p["status"] != "ok")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
