import Foundation
import Logging
import TollgateModel

/// Standalone mode: one agent child process (with its own NGINX) per accepted Gateway, restarted
/// if it dies, stopped when its Gateway goes away or on shutdown. The agent is `tollgate-agent`
/// when it sits next to the `tollgate` binary (a far smaller process), else `tollgate agent`.
public actor AgentSupervisor {
    let executable: String
    /// Arguments before the agent's flags: `["agent"]` for `tollgate`, none for `tollgate-agent`.
    let leadingArguments: [String]
    let state: StateDirectory
    let logger: Logger
    private var children: [GatewayRef: Process] = [:]
    private var restarts: [GatewayRef: Int] = [:]
    private var stopping = false

    /// Agents run as `executable leadingArguments… --controller …`.
    public init(executable: String, leadingArguments: [String] = ["agent"], state: StateDirectory,
                logger: Logger = Logger(label: "tollgate.supervisor")) {
        self.executable = executable; self.leadingArguments = leadingArguments; self.state = state; self.logger = logger
    }

    /// Agents for the `tollgate` binary at `tollgate`: `tollgate-agent` in the same directory when
    /// it is there and executable, else `tollgate agent`.
    public init(tollgate: String, state: StateDirectory, logger: Logger = Logger(label: "tollgate.supervisor")) {
        let sibling = URL(fileURLWithPath: tollgate).deletingLastPathComponent().appendingPathComponent("tollgate-agent").path
        if FileManager.default.isExecutableFile(atPath: sibling) {
            self.init(executable: sibling, leadingArguments: [], state: state, logger: logger)
        } else {
            self.init(executable: tollgate, state: state, logger: logger)
        }
    }

    /// Starts agents for new Gateways and stops those of removed ones.
    public func reconcile(_ gateways: Set<GatewayRef>) {
        guard !stopping else { return }
        for gone in Set(children.keys).subtracting(gateways) { stop(gateway: gone) }
        for gw in gateways.sorted() where children[gw] == nil { start(gateway: gw) }
    }

    private func start(gateway: GatewayRef) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = leadingArguments + ["--controller", "unix://\(state.socket)", "--gateway", gateway.description,
                       "--config-root", state.agentRoot(gateway: gateway), "--nginx", "spawn"]
        let logPath = state.agentLog(gateway: gateway)
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        if let log = FileHandle(forWritingAtPath: logPath) {
            log.seekToEndOfFile()
            p.standardOutput = log
            p.standardError = log
        }
        p.standardInput = FileHandle.nullDevice
        p.terminationHandler = { [weak self] proc in
            let status = proc.terminationStatus
            Task { await self?.exited(gateway: gateway, process: proc, status: status) }
        }
        do {
            try p.run()
            children[gateway] = p
            logger.info("started agent for \(gateway) (\(([executable] + leadingArguments).joined(separator: " ")), pid \(p.processIdentifier), log \(logPath))")
        } catch {
            logger.error("cannot start the agent for \(gateway): \(error)")
        }
    }

    private func exited(gateway: GatewayRef, process: Process, status: Int32) async {
        guard children[gateway] === process else { return }
        children[gateway] = nil
        guard !stopping else { return }
        let n = (restarts[gateway] ?? 0) + 1
        restarts[gateway] = n
        logger.warning("agent for \(gateway) exited (status \(status)); restarting (restart \(n))")
        try? await Task.sleep(for: .milliseconds(min(5000, 200 * n)))
        if !stopping && children[gateway] == nil { start(gateway: gateway) }
    }

    private func stop(gateway: GatewayRef) {
        guard let p = children.removeValue(forKey: gateway) else { return }
        logger.info("stopping agent for \(gateway)")
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
    }

    /// Stops every agent (SIGTERM: each stops its NGINX) and waits for them to exit.
    public func stopAll(timeout: Duration = .seconds(15)) async {
        stopping = true
        let all = children
        children = [:]
        for p in all.values where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        for p in all.values {
            while p.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
    }

    /// Process ids of running agents, by Gateway.
    public var pids: [GatewayRef: Int32] { children.mapValues(\.processIdentifier) }
}
