#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Controls the NGINX master beside the agent.
///
/// - `.spawn`: the agent runs `nginx -p RUNTIME/ -c ROOT/current/nginx.conf -e RUNTIME/error.log
///   -g "daemon off;"` as a supervised child (never daemonized, so its exit is always seen) and
///   starts it again with exponential backoff if it dies unexpectedly. `start()` is called by the
///   applier on the first successful apply, never before a version exists.
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

    private var child: Process?
    private var childPid: Int32 = 0
    /// The child's process group when it leads its own (0 otherwise): where its orphans live.
    private var childGroup: Int32 = 0
    private var childReady = false
    private var childStartedAt = ContinuousClock.now
    private var wantRunning = false
    private var consecutiveRestarts = 0
    private var restartTask: Task<Void, Never>?
    private let maxBackoff: Duration
    private let startTimeout: Duration

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
        case .spawn: return childPid > 0 ? childPid : nil
        case .attach(let pidFile):
            guard let pid = Self.readPid(pidFile), kill(pid, 0) == 0 || errno == EPERM else { return nil }
            return pid
        }
    }

    /// True when a master is running.
    public var isRunning: Bool { masterPid != nil }

    /// Starts the supervised master and waits until it has bound its sockets (it writes its pid
    /// file after binding). Throws NGINX's own error line if it exits instead. A master left
    /// running by a previous agent (named by the pid file) is stopped first. Spawn mode only; a
    /// no-op when already running.
    public func start() async throws {
        guard case .spawn(_, let root) = mode else { throw AgentError("start() needs spawn mode; NGINX is attached") }
        if childPid > 0 { return }
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
        continuation.yield(.stopped)
    }

    // MARK: - Supervision

    /// Spawns the child and waits until its pid file names it.
    private func launch() async throws -> Int32 {
        guard case .spawn(let binary, let root) = mode else { throw AgentError("not in spawn mode") }
        // A master that died hard leaves its Unix socket and pid file behind; a new master would
        // fail to bind the socket.
        unlink(root.probeSocket)
        unlink(root.pidFile)
        let stderrPath = (root.runtimeDirectory as NSString).appendingPathComponent("nginx.stderr.log")
        if !FileManager.default.fileExists(atPath: stderrPath) { _ = FileManager.default.createFile(atPath: stderrPath, contents: nil) }
        let stderrCursor = LogCursor(atEndOf: stderrPath)
        let errorCursor = LogCursor(atEndOf: root.errorLog)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer { try? out.close() }
        _ = try? out.seekToEnd()

        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary.path)
        p.arguments = ["-p", root.runtimeDirectory + "/", "-c", root.currentConfigFile, "-e", root.errorLog, "-g", "daemon off;"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = out
        p.terminationHandler = { [weak self] proc in
            let pid = proc.processIdentifier, status = proc.terminationStatus
            Task { await self?.childExited(pid: pid, status: status) }
        }
        try p.run()
        let pid = p.processIdentifier
        child = p; childPid = pid; childReady = false; childStartedAt = .now
        let group = getpgid(pid)
        childGroup = group == pid ? group : 0
        startWatchdog(pid: pid)

        let clock = ContinuousClock()
        let end = clock.now + startTimeout
        while clock.now < end {
            if childPid != pid {
                let text = stderrCursor.appended() + "\n" + errorCursor.appended()
                throw AgentError(NginxErrorLine.first(in: text) ?? "NGINX exited at start: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            if Self.readPid(root.pidFile) == pid {
                childReady = true
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
        guard pid == childPid else { return false }
        if childGroup > 0 && ProcessGroup.isZombie(pid) { ProcessGroup.killNginxRemnants(of: childGroup) }
        return true
    }

    private func childExited(pid: Int32, status: Int32) {
        guard pid == childPid else { return }
        let wasReady = childReady
        let ranLong = ContinuousClock.now - childStartedAt > .seconds(10)
        child = nil; childPid = 0; childReady = false
        // Workers of a master that died hard keep running and hold the listening sockets.
        if childGroup > 0 { ProcessGroup.killNginxRemnants(of: childGroup) }
        childGroup = 0
        continuation.yield(.exited(pid: pid, status: status))
        guard wantRunning, wasReady else { return }
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
        guard wantRunning, childPid == 0 else { return }
        restartCount += 1
        continuation.yield(.restarting(attempt: restartCount, delay: delay))
        do {
            let pid = try await launch()
            continuation.yield(.started(pid: pid))
        } catch {
            continuation.yield(.restartFailed(message: "\(error)"))
            if wantRunning && childPid == 0 { scheduleRestart() }
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
        case .spawn: return childPid == pid
        case .attach: return kill(pid, 0) == 0 || errno == EPERM
        }
    }

    /// Stops an NGINX master a previous agent left running in this runtime directory (the agent
    /// was killed; its child outlived it).
    private func stopStaleMaster(root: ConfigRoot) async {
        guard let pid = Self.readPid(root.pidFile), pid != getpid() else { return }
        defer { ProcessGroup.killNginxRemnants(of: pid) }
        guard kill(pid, 0) == 0,
              let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
              comm.hasPrefix("nginx") else { return }
        for signal in [SIGQUIT, SIGTERM, SIGKILL] {
            kill(pid, signal)
            for _ in 0..<100 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(50)) }
            if kill(pid, 0) != 0 { return }
        }
    }

    static func readPid(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        return pid
    }
}
