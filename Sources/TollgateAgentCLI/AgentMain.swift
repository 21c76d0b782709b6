#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import Logging
import TollgateAgent
import TollgateFiles

/// Runs one agent until SIGINT or SIGTERM: what both `tollgate agent` and `tollgate-agent` do.
public enum AgentMain {
    public static func run(_ options: AgentOptions) async throws {
        // At most two arenas, large blocks mapped on their own, the heap trimmed after each reload:
        // without these the agent's heap grew from 5 to 12 MiB over 50 versions of 1,000 routes.
        HeapTrim.configureAllocator()
        LogSetup.bootstrap()
        let logger = Logger(label: "tollgate.agent[\(options.gateway)]")
        let address = try ControllerAddress(parsing: options.controller)
        var tls: AgentTLS? = nil
        if case .tcp = address {
            guard let tlsCert = options.tlsCert, let tlsKey = options.tlsKey, let tlsCa = options.tlsCa else {
                throw ValidationError("https:// controllers use mutual TLS only: pass --tls-cert, --tls-key and --tls-ca (tollgate certs issue-agent)")
            }
            tls = try AgentTLS(files: .init(ca: tlsCa, certificate: tlsCert, key: tlsKey))
        }
        let root = ConfigRoot(path: options.configRoot)
        try root.prepare()
        let binary = NginxBinary(path: options.nginxBinary)
        let spawn = options.nginx == "spawn"
        let process = NginxProcess(mode: spawn ? .spawn(binary: binary, root: root) : .attach(pidFile: options.pidFile!))
        let applier = ConfigApplier(root: root, nginx: process, binary: binary)
        let live = try await applier.recover(startNginx: !options.dryRun)
        for note in await applier.takeRecoveryNotes() { logger.warning("\(note)") }
        logger.info("config root \(options.configRoot): live version \(live.map { String($0.version) } ?? "none")\(options.dryRun ? " (dry-run)" : "")")
        let id = options.agentId ?? "\(ProcessInfo.processInfo.hostName):\(root.path)"
        let serving = ServingState()
        let client = AgentClient(gateway: options.gateway, agentID: id, controller: address, tls: tls, dryRun: options.dryRun,
                                 applier: applier, serving: options.dryRun ? nil : serving, logger: logger)
        let events = process.events
        let eventTask = Task {
            for await e in events {
                logger.notice("nginx: \(e)")
                await serving.note(e)
                // A reload follows each applied version: what the apply allocated is freed by now.
                if case .reloaded = e { HeapTrim.releaseFreeMemory() }
            }
        }
        try await TerminationSignals.run { await client.run() }
        eventTask.cancel()
        if spawn && !options.dryRun {
            logger.info("stopping nginx")
            await process.stop()
        }
    }
}
