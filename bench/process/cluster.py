"""A Tollgate deployment under measurement: `tollgate controller --manifests DIR` plus one
`tollgate agent` (with its own NGINX) per Gateway, on a workload written by bench/workload.py."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Optional

from common import (BACKEND_PORT, GATEWAY_PORT_BASE, REPO, Env, Proc, count_in_file, live_probe_socket, log,
                    parse_snapshot_table, probe, wait_until)

sys.path.insert(0, os.path.join(REPO, "bench"))
import workload  # noqa: E402  (bench/workload.py, helper B1's generator)


class Workload:
    """The manifests of one shape: `files` (name → objects) as bench/workload.py builds them,
    written to `dir`; `route_file(r, path)` renders the namespace file of route r with that
    route's first path changed (the one-route edit)."""

    def __init__(self, env: Env, name: str, args: list[str]):
        self.name = name
        self.dir = env.dir("workloads", name)
        certs = env.dir("certs")
        self.args = workload.parse_args(args + ["--out", self.dir, "--certs", certs])
        t0 = time.monotonic()
        self.files = workload.shape(self.args)
        self.summary = workload.write(self.files, self.dir, self.args.format)
        self.layout = workload.Layout(self.args.gateways, self.args.https_listeners, self.args.gateway_port_base)
        log(f"workload {name}: {' '.join(args)} → {self.summary['files']} files, {self.summary['bytes'] / 1e6:.1f} MB "
            f"({time.monotonic() - t0:.1f} s)")

    def file_names(self) -> list[str]:
        return sorted(f"{n}.{self.args.format}" for n in self.files)

    def route(self, r: int) -> tuple[str, dict]:
        """(file name without extension, HTTPRoute object) of route-r."""
        for fname, objs in self.files.items():
            for o in objs:
                if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == f"route-{r}":
                    return fname, o
        raise KeyError(f"route-{r}")

    def route_file(self, r: int, path: str) -> tuple[str, str]:
        """(file name, text) of route r's namespace file with the route's first match path = `path`."""
        fname, obj = self.route(r)
        old = obj["spec"]["rules"][0]["matches"][0]["path"]["value"]
        obj["spec"]["rules"][0]["matches"][0]["path"]["value"] = path
        try:
            objs = self.files[fname]
            text = workload.to_yaml(objs) if self.args.format == "yaml" else workload.to_json(objs)
        finally:
            obj["spec"]["rules"][0]["matches"][0]["path"]["value"] = old
        return f"{fname}.{self.args.format}", text

    def route_host(self, r: int) -> str:
        return self.layout.route_host(r)

    def gateway_of(self, r: int) -> int:
        return r % self.args.gateways


def workload_args(routes: int, gateways: int, namespaces: int, https_listeners: int) -> list[str]:
    return ["--routes", str(routes), "--gateways", str(gateways), "--namespaces", str(namespaces),
            "--https-listeners", str(https_listeners), "--gateway-port-base", str(GATEWAY_PORT_BASE),
            "--backend-port", str(BACKEND_PORT), "--seed", "1"]


def agent_command(tollgate: str) -> list[str]:
    """How an agent is started: `tollgate-agent` when it sits next to the `tollgate` binary (what
    `tollgate standalone` runs too), else `tollgate agent`. BENCH_AGENT=tollgate forces the latter
    (to compare the two in one run)."""
    sibling = os.path.join(os.path.dirname(os.path.abspath(tollgate)), "tollgate-agent")
    if os.environ.get("BENCH_AGENT", "") != "tollgate" and os.access(sibling, os.X_OK):
        return [sibling]
    return [tollgate, "agent"]


class Cluster:
    """Controller + one agent per Gateway (`gateways`: "namespace/name" keys)."""

    def __init__(self, env: Env, name: str, manifests: str, gateways: list[str]):
        self.env, self.name, self.manifests, self.gateways = env, name, manifests, gateways
        self.base = env.dir("runs", name)
        self.state = os.path.join(self.base, "state")
        self.logs = os.path.join(self.base, "logs")
        self.roots = {gw: os.path.join(self.base, "roots", gw.replace("/", "__")) for gw in gateways}
        env.roots += list(self.roots.values())
        self.agents: dict[str, Proc] = {}
        self.t_start = time.monotonic()
        self.controller = env.start(f"{name}-controller", [env.bin, "controller", "--manifests", manifests,
                                                            "--state-dir", self.state], self.logs)
        sock = os.path.join(self.state, "controller.sock")
        if not wait_until(lambda: os.path.exists(sock) or not self.controller.alive(), 120):
            raise RuntimeError(f"controller socket did not appear:\n{self.controller.tail()}")
        if not self.controller.alive():
            raise RuntimeError(f"controller exited:\n{self.controller.tail()}")
        for gw in gateways:
            self.agents[gw] = env.start(self.agent_id(gw), agent_command(env.bin) + [
                "--controller", f"unix://{sock}", "--gateway", gw, "--config-root", self.roots[gw],
                "--agent-id", self.agent_id(gw)], self.logs)

    def agent_id(self, gw: str) -> str:
        return f"{self.name}-{gw.replace('/', '-')}"

    # -- observation

    def snapshots(self) -> dict[str, list[dict]]:
        """`tollgate snapshots list` rows by Gateway (oldest first)."""
        r = self.env.tollgate("snapshots", "list", "--state-dir", self.state, timeout=60)
        out: dict[str, list[dict]] = {}
        for row in parse_snapshot_table(r.stdout) if r.returncode == 0 else []:
            out.setdefault(row["gateway"], []).append(row)
        return out

    def newest(self, gw: str) -> Optional[dict]:
        rows = self.snapshots().get(gw)
        return rows[-1] if rows else None

    def probe(self, gw: str) -> Optional[tuple[int, str]]:
        return probe(live_probe_socket(self.roots[gw]), timeout=1.0)

    def converged(self) -> bool:
        """Every Gateway's newest version is applied by its agent and answered by its probe."""
        snaps = self.snapshots()
        for gw in self.gateways:
            rows = snaps.get(gw)
            if not rows:
                return False
            row = rows[-1]
            if row["agents"].get(self.agent_id(gw)) != "applied":
                return False
            ans = self.probe(gw)
            if not ans or ans[0] != row["version"] or not ans[1].startswith(row["digest12"]):
                return False
        return True

    def wait_converged(self, timeout: float) -> float:
        """Seconds it took (from now), or raises."""
        t0 = time.monotonic()

        def done():
            if self.converged():
                return True
            if time.monotonic() - t0 > 30 and not self.snapshots():
                raise RuntimeError(f"{self.name}: nothing published after 30 s:\n{self.controller.tail(6)}")
            return False
        if not wait_until(done, timeout, interval=0.25):
            tails = "\n".join(f"--- {p.name}\n{p.tail(8)}" for p in [self.controller, *self.agents.values()])
            raise RuntimeError(f"{self.name}: not converged within {timeout:.0f} s\n{tails}")
        return time.monotonic() - t0

    def programmed(self, gw: str) -> tuple[bool, str]:
        import json
        r = self.env.tollgate("status", "--state-dir", self.state, "-o", "json", timeout=60)
        try:
            objs = json.loads(r.stdout) if r.returncode == 0 else []
        except json.JSONDecodeError:
            objs = []
        ns, name = gw.split("/")
        for o in objs:
            md = o.get("metadata", {})
            if o.get("kind") == "Gateway" and md.get("namespace") == ns and md.get("name") == name:
                conds = {c.get("type"): c for c in o.get("status", {}).get("conditions", [])}
                p = conds.get("Programmed", {})
                return p.get("status") == "True", f"Programmed={p.get('status')}/{p.get('reason')}"
        return False, "Gateway not in status"

    def route_status(self) -> tuple[int, int]:
        """(HTTPRoutes whose every parent is Accepted, HTTPRoutes) from `tollgate status`."""
        import json
        r = self.env.tollgate("status", "--state-dir", self.state, "-o", "json", timeout=60)
        try:
            objs = json.loads(r.stdout) if r.returncode == 0 else []
        except json.JSONDecodeError:
            objs = []
        total = ok = 0
        for o in objs:
            if o.get("kind") != "HTTPRoute":
                continue
            total += 1
            parents = o.get("status", {}).get("parents", [])
            if parents and all(any(c.get("type") == "Accepted" and c.get("status") == "True"
                                   for c in p.get("conditions", [])) for p in parents):
                ok += 1
        return ok, total

    def reloads(self, gw: str) -> int:
        """NGINX reloads the agent of `gw` logged so far."""
        return count_in_file(self.agents[gw].logfile, "nginx: reloaded")

    def nginx_sighups(self, gw: str) -> int:
        """SIGHUPs the agent's NGINX logged (its error log, level notice): a cross-check of reloads()."""
        return count_in_file(os.path.join(self.roots[gw], "runtime", "error.log"), "(SIGHUP) received")

    def stop(self) -> None:
        self.env.stop_all(list(self.agents.values()))
        self.env.stop(self.controller)
        from common import stop_leftover_nginx
        for r in self.roots.values():
            stop_leftover_nginx(r)


class ProbeSampler(threading.Thread):
    """Polls one agent's version probe every `interval` s and keeps (monotonic time, version) of
    every change of answer: when each version was first served."""

    def __init__(self, root: str, interval: float = 0.01):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.changes: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        sock, last = None, None
        while not self._halt.is_set():
            sock = sock or live_probe_socket(self.root)
            a = probe(sock, timeout=0.5)
            if a is None:
                sock = None
            elif a[0] != last:
                last = a[0]
                self.changes.append((time.monotonic(), a[0]))
            time.sleep(self.interval)

    def first_served(self, version: int) -> Optional[float]:
        for t, v in self.changes:
            if v >= version:
                return t
        return None

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


class LogStamper(threading.Thread):
    """Tails a log file every `interval` s and stamps (time.monotonic()) each new line containing
    `needle`: e.g. NGINX's "(SIGHUP) received" in its error log, written as the master takes the
    signal — the moment of a reload, to 10 ms."""

    def __init__(self, path: str, needle: str, interval: float = 0.01):
        super().__init__(daemon=True)
        self.path, self.needle, self.interval = path, needle, interval
        self.stamps: list[float] = []
        self.hits: list[tuple[float, str]] = []
        self._halt = threading.Event()
        try:
            self._pos = os.path.getsize(path)
        except OSError:
            self._pos = 0

    def run(self) -> None:
        buf = ""
        while not self._halt.is_set():
            try:
                with open(self.path, errors="replace") as f:
                    f.seek(self._pos)
                    chunk = f.read()
                    self._pos = f.tell()
            except OSError:
                chunk = ""
            if chunk:
                now = time.monotonic()
                buf += chunk
                *lines, buf = buf.split("\n")
                self.stamps += [now for line in lines if self.needle in line]
                self.hits += [(now, line) for line in lines if self.needle in line]
            time.sleep(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


class RootWatcher(threading.Thread):
    """Watches an agent's config root every `interval` s from `start()`: when the first new entry
    appears under versions/ (the agent starts writing a tree) and when `current` first changes
    (the tree is swapped in, once written and flushed)."""

    def __init__(self, root: str, interval: float = 0.005):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.vdir, self.link = os.path.join(root, "versions"), os.path.join(root, "current")
        self.names0, self.link0 = set(os.listdir(self.vdir)), os.readlink(self.link)
        self.write: Optional[float] = None
        self.swap: Optional[float] = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set() and self.swap is None:
            if self.write is None and set(os.listdir(self.vdir)) - self.names0:
                self.write = time.monotonic()
            try:
                if os.readlink(self.link) != self.link0:
                    self.swap = time.monotonic()
            except OSError:
                pass
            time.sleep(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
