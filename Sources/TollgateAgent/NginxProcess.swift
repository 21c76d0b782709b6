#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TollgateFiles

/// Controls the NGINX master beside the agent.
///
/// - `.spawn`: the agent runs `nginx -p RUNTIME/ -c ROOT/current/nginx.conf -e RUNTIME/error.log
///   -g "daemon off;"` as a supervised child (never daemonized, so its exit is always seen) and
///   starts it again with exponential backoff if it dies unexpectedly. `start()` is called by the
///   applier on the first successful apply, never before a version exists. A master that a
///   previous agent (killed, so its child outlived it) left running on the same config root can
///   be adopted instead (`adoptLeftoverMaster`): it is not our child, so it is watched by polling
///   and started anew, like a child, if it dies.
/// - `.attach(pidFile:)`: NGINX was started by someone else; the agent only signals the pid it
///   reads from the pid file each time.
///
/// `reload()` sends SIGHUP; `stop()` sends SIGQUIT (graceful), then SIGTERM and SIGKILL after
/// timeouts, and waits for the exit.
public actor NginxProcess {
    /// How NGINX is run.
    public enum Mode: Sendable, Equatable {
        case spawn(binary: NginxBinary, root: ConfigRoot)
        case attach(pidFile: String)
    }

    public nonisolated let mode: Mode
    /// Events in order (single consumer; the newest 256 are buffered).
    public nonisolated let events: AsyncStream<NginxEvent>
    private let continuation: AsyncStream<NginxEvent>.Continuation

    /// How many times the supervisor restarted a master that died unexpectedly.
    public private(set) var restartCount = 0

    /// The master supervised in spawn mode.
    private var master = Supervised.none
    private var wantRunning = false
    private var consecutiveRestarts = 0
    private var restartTask: Task<Void, Never>?
    private let maxBackoff: Duration
    private let startTimeout: Duration
    /// How often an adopted master (which is not our child) is checked for its exit.
    private let watchInterval = Duration.milliseconds(200)

    /// - Parameters:
    ///   - maxBackoff: the longest wait between restarts (backoff starts at 100 ms and doubles).
    ///   - startTimeout: how long a starting master may take to write its pid file.
    public init(mode: Mode, maxBackoff: Duration = .seconds(5), startTimeout: Duration = .seconds(10)) {
        self.mode = mode
        self.maxBackoff = maxBackoff
        self.startTimeout = startTimeout
        (events, continuation) = AsyncStream.makeStream(of: NginxEvent.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// The master's pid: the child in spawn mode, the pid file's in attach mode (nil if none runs).
    public var masterPid: Int32? {
        switch mode {
        case .spawn:
            if case .adopted(let m) = master, !m.isAlive { return nil }
            return master.pid
        case .attach(let pidFile):
            guard let pid = Self.readPid(pidFile), kill(pid, 0) == 0 || errno == EPERM else { return nil }
            return pid
        }
    }

    /// True when a master is running.
    public var isRunning: Bool { masterPid != nil }

    /// Starts the supervised master and waits until it has bound its sockets (it writes its pid
    /// file after binding). Throws NGINX's own error line if it exits instead. A master of this
    /// config root left running by a previous agent (named by the pid file) is stopped first.
    /// Spawn mode only; a no-op when already running.
    public func start() async throws {
        guard case .spawn(_, let root) = mode else { throw AgentError("start() needs spawn mode; NGINX is attached") }
        if case .adopted(let m) = master, !m.isAlive { lose(m, restart: false) }
        if master.pid != nil { return }
        wantRunning = true
        await stopStaleMaster(root: root)
        do {
            let pid = try await launch()
            consecutiveRestarts = 0
            continuation.yield(.started(pid: pid))
        } catch {
            wantRunning = false
            throw error
        }
    }

    /// Sends SIGHUP to the master (NGINX re-reads `ROOT/current/nginx.conf`). Throws when no
    /// master runs.
    public func reload() throws {
        guard let pid = masterPid else { throw AgentError("NGINX is not running") }
        guard kill(pid, SIGHUP) == 0 else { throw AgentError.posix("cannot signal NGINX master", "\(pid)") }
        continuation.yield(.reloaded(pid: pid))
    }

    /// Stops the master: SIGQUIT (graceful), SIGTERM after `timeout`, SIGKILL after another
    /// `timeout`; waits for it to exit. Supervision ends (no restart follows).
    public func stop(timeout: Duration = .seconds(10)) async {
        wantRunning = false
        restartTask?.cancel(); restartTask = nil
        guard let pid = masterPid else { continuation.yield(.stopped); return }
        for (signal, wait) in [(SIGQUIT, timeout), (SIGTERM, timeout), (SIGKILL, Duration.seconds(5))] {
            kill(pid, signal)
            if await waitForExit(pid: pid, within: wait) { break }
        }
        if case .adopted(let m) = master, m.pid == pid {
            // Not our child: nothing reports its exit. Workers left by a SIGKILL go with it.
            master = .none
            if m.group > 0 { ProcessGroup.killNginxRemnants(of: m.group) }
        }
        continuation.yield(.stopped)
    }

    // MARK: - Adoption

    /// Adopts the master a previous agent left running on this config root instead of starting
    /// a new one: the pid file must name a live NGINX master started with exactly this root's
    /// `-p` and `-c` (see `RunningMaster`), and `confirm` — given its pid — must return nil (the
    /// applier checks that it serves the live version). From then on it is reloaded, stopped and,
    /// if it dies, started anew like a child. Emits `.adopted`, or `.notAdopted` with the reason
    /// when a process was named but refused. Spawn mode only; false when nothing was adopted.
    func adoptLeftoverMaster(confirm: @Sendable (Int32) async -> String?) async -> Bool {
        guard case .spawn(_, let root) = mode, master.pid == nil else { return false }
        let candidate: RunningMaster
        switch RunningMaster.identify(root: root) {
        case .success(let m): candidate = m
        case .failure(let refusal):
            if let pid = refusal.pid { continuation.yield(.notAdopted(pid: pid, reason: refusal.description)) }
            return false
        }
        if let reason = await confirm(candidate.pid) {
            continuation.yield(.notAdopted(pid: candidate.pid, reason: reason))
            return false
        }
        guard master.pid == nil else { return false }
        guard candidate.isAlive else {
            continuation.yield(.notAdopted(pid: candidate.pid, reason: "it exited while being checked"))
            return false
        }
        master = .adopted(candidate)
        wantRunning = true
        consecutiveRestarts = 0
        continuation.yield(.adopted(pid: candidate.pid))
        startAdoptedWatch(candidate)
        return true
    }

    /// Polls the adopted master: its exit cannot be seen with waitpid (it is not our child).
    private func startAdoptedWatch(_ m: RunningMaster) {
        let interval = watchInterval
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: interval)
                guard let self, await self.checkAdopted(m) else { return }
            }
        }
    }

    /// false once the watch ends: `m` is no longer supervised, or it is gone (then it is
    /// replaced like a child that died).
    private func checkAdopted(_ m: RunningMaster) -> Bool {
        guard case .adopted(let current) = master, current == m else { return false }
        if m.isAlive { return true }
        lose(m, restart: true)
        return false
    }

    /// The adopted master `m` is gone: forget it, kill the workers it left in its process group
    /// (they keep the listening sockets), and start a new master after a backoff if `restart`.
    private func lose(_ m: RunningMaster, restart: Bool) {
        master = .none
        if m.group > 0 { ProcessGroup.killNginxRemnants(of: m.group) }
        continuation.yield(.lost(pid: m.pid))
        if restart && wantRunning { scheduleRestart() }
    }

    // MARK: - Supervision

    /// Spawns the child and waits until its pid file names it.
    private func launch() async throws -> Int32 {
        guard case .spawn(let binary, let root) = mode else { throw AgentError("not in spawn mode") }
        // A master that died hard leaves its Unix socket and pid file behind; a new master would
        // fail to bind the socket (reached through its alias, which must exist).
        try ProbeSocketPath.prepareAlias(forRuntimeDirectory: root.runtimeDirectory)
        unlink(root.probeSocket)
        unlink(root.pidFile)
        let stderrPath = PathText.join(root.runtimeDirectory, "nginx.stderr.log")
        if !FileManager.default.fileExists(atPath: stderrPath) { _ = FileManager.default.createFile(atPath: stderrPath, contents: nil) }
        let stderrCursor = LogCursor(atEndOf: stderrPath)
        let errorCursor = LogCursor(atEndOf: root.errorLog)
        let child = try ChildProcess.spawn(binary.path, ["-p", root.runtimeDirectory + "/", "-c", root.currentConfigFile, "-e", root.errorLog, "-g", "daemon off;"],
                                           stdout: stderrPath, stderr: stderrPath)
        child.onExit { [weak self] status in
            Task { await self?.childExited(pid: child.pid, status: status) }
        }
        let pid = child.pid
        let group = getpgid(pid)
        master = .child(Child(pid: pid, group: group == pid ? group : 0, ready: false, startedAt: .now))
        startWatchdog(pid: pid)

        let clock = ContinuousClock()
        let end = clock.now + startTimeout
        while clock.now < end {
            guard case .child(var c) = master, c.pid == pid else {
                let text = stderrCursor.appended() + "\n" + errorCursor.appended()
                throw AgentError(NginxErrorLine.first(in: text) ?? "NGINX exited at start: \(text.trimmingWhitespace())")
            }
            if Self.readPid(root.pidFile) == pid {
                c.ready = true
                master = .child(c)
                return pid
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        _ = await waitForExit(pid: pid, within: .seconds(5))
        throw AgentError("NGINX did not write its pid file within \(startTimeout)")
    }

    /// Foundation learns that a child ended only when every holder of the child's inherited
    /// monitoring descriptor is gone — NGINX's workers hold it too, so a master killed with
    /// SIGKILL would stay an unreported zombie while its orphaned workers run. The watchdog
    /// notices the zombie and kills the orphans, which lets the exit be reported.
    private func startWatchdog(pid: Int32) {
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self, await self.checkMaster(pid: pid) else { return }
            }
        }
    }

    /// false once `pid` is no longer the child (the watchdog ends).
    private func checkMaster(pid: Int32) -> Bool {
        guard case .child(let c) = master, c.pid == pid else { return false }
        if c.group > 0 && ProcessGroup.isZombie(pid) { ProcessGroup.killNginxRemnants(of: c.group) }
        return true
    }

    private func childExited(pid: Int32, status: Int32) {
        guard case .child(let c) = master, c.pid == pid else { return }
        let ranLong = ContinuousClock.now - c.startedAt > .seconds(10)
        master = .none
        // Workers of a master that died hard keep running and hold the listening sockets.
        if c.group > 0 { ProcessGroup.killNginxRemnants(of: c.group) }
        continuation.yield(.exited(pid: pid, status: status))
        guard wantRunning, c.ready else { return }
        if ranLong { consecutiveRestarts = 0 }
        scheduleRestart()
    }

    private func scheduleRestart() {
        let exponent = min(consecutiveRestarts, 16)
        let delay = min(Duration.milliseconds(100) * (1 << exponent), maxBackoff)
        consecutiveRestarts += 1
        restartTask = Task { [weak self] in
            try? await Task.sleep(for: delay)
            if Task.isCancelled { return }
            await self?.restart(delay: delay)
        }
    }

    private func restart(delay: Duration) async {
        guard wantRunning, master.pid == nil else { return }
        restartCount += 1
        continuation.yield(.restarting(attempt: restartCount, delay: delay))
        do {
            let pid = try await launch()
            continuation.yield(.started(pid: pid))
        } catch {
            continuation.yield(.restartFailed(message: "\(error)"))
            if wantRunning && master.pid == nil { scheduleRestart() }
        }
    }

    private func waitForExit(pid: Int32, within timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if !alive(pid) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !alive(pid)
    }

    private func alive(_ pid: Int32) -> Bool {
        switch mode {
        case .spawn:
            switch master {
            case .none: return false
            case .child(let c): return c.pid == pid
            case .adopted(let m): return m.pid == pid && m.isAlive
            }
        case .attach: return kill(pid, 0) == 0 || errno == EPERM
        }
    }

    /// Stops an NGINX master a previous agent left running on this config root (the agent was
    /// killed; its child outlived it) that was not adopted. Only a process identified as this
    /// root's master is signalled; when the pid file names a master that already died, the
    /// workers it left in its process group are killed.
    private func stopStaleMaster(root: ConfigRoot) async {
        switch RunningMaster.identify(root: root) {
        case .failure(.notRunning(let pid)):
            ProcessGroup.killNginxRemnants(of: pid)
        case .failure:
            return
        case .success(let m):
            for signal in [SIGQUIT, SIGTERM, SIGKILL] {
                kill(m.pid, signal)
                for _ in 0..<100 where m.isAlive { try? await Task.sleep(for: .milliseconds(50)) }
                if !m.isAlive { break }
            }
            if m.group > 0 { ProcessGroup.killNginxRemnants(of: m.group) }
        }
    }

    /// The pid in a pid file (nil when missing, unreadable or not a positive number).
    static func readPid(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.trimmingWhitespace()), pid > 0 else { return nil }
        return pid
    }
}

/// The master an `NginxProcess` supervises in spawn mode.
private enum Supervised {
    case none
    /// Started by this agent: its exit is reported by Foundation's termination handler.
    case child(Child)
    /// Left running by a previous agent on the same config root: polled for its exit.
    case adopted(RunningMaster)

    var pid: Int32? {
        switch self {
        case .none: return nil
        case .child(let c): return c.pid
        case .adopted(let m): return m.pid
        }
    }
}

/// A master started by this agent.
private struct Child {
    let pid: Int32
    /// Its process group when it leads its own (0 otherwise): where its orphans live.
    let group: Int32
    /// True once its pid file names it (it has bound its sockets).
    var ready: Bool
    let startedAt: ContinuousClock.Instant
}
