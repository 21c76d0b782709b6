import ArgumentParser
import Foundation
import Logging
import TollgateAgent

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the agent beside one NGINX: receive snapshots, apply them atomically, prove they are served.")

    @Option(help: "unix:///PATH or https://HOST:PORT (mutual TLS).") var controller: String
    @Option(help: "The Gateway this agent serves, NAMESPACE/NAME.") var gateway: String
    @Option(help: "Directory holding versions/, current and runtime/.") var configRoot: String
    @Option(help: "spawn: start and supervise NGINX; attach: signal an NGINX started by someone else.") var nginx: String = "spawn"
    @Option(help: "NGINX pid file for --nginx attach.") var pidFile: String?
    @Option(help: "NGINX binary.") var nginxBinary: String = "nginx"
    @Flag(help: "Validate and diff every snapshot; never swap or reload.") var dryRun = false
    @Option(help: "Agent id reported to the controller (default: host name + config root).") var agentId: String?
    @Option(help: "Client certificate (PEM) for https:// controllers.") var tlsCert: String?
    @Option(help: "Client key (PEM) for https:// controllers.") var tlsKey: String?
    @Option(help: "CA (PEM) that signed the controller's certificate.") var tlsCa: String?

    func validate() throws {
        guard nginx == "spawn" || nginx == "attach" else { throw ValidationError("--nginx must be spawn or attach") }
        if nginx == "attach" && pidFile == nil { throw ValidationError("--nginx attach needs --pid-file") }
        guard gateway.split(separator: "/").count == 2 else { throw ValidationError("--gateway must be NAMESPACE/NAME") }
    }

    func run() async throws {
        LogSetup.bootstrap()
        let logger = Logger(label: "tollgate.agent[\(gateway)]")
        let address = try ControllerAddress(parsing: controller)
        var tls: AgentTLS? = nil
        if case .tcp = address {
            guard let tlsCert, let tlsKey, let tlsCa else {
                throw ValidationError("https:// controllers use mutual TLS only: pass --tls-cert, --tls-key and --tls-ca (tollgate certs issue-agent)")
            }
            tls = try AgentTLS(files: .init(ca: tlsCa, certificate: tlsCert, key: tlsKey))
        }
        let root = ConfigRoot(path: configRoot)
        try root.prepare()
        let binary = NginxBinary(path: nginxBinary)
        let process = NginxProcess(mode: nginx == "spawn" ? .spawn(binary: binary, root: root) : .attach(pidFile: pidFile!))
        let applier = ConfigApplier(root: root, nginx: process, binary: binary)
        let live = try await applier.recover(startNginx: !dryRun)
        logger.info("config root \(configRoot): live version \(live.map { String($0.version) } ?? "none")\(dryRun ? " (dry-run)" : "")")
        let id = agentId ?? "\(ProcessInfo.processInfo.hostName):\(root.path)"
        let serving = ServingState()
        let client = AgentClient(gateway: gateway, agentID: id, controller: address, tls: tls, dryRun: dryRun, applier: applier,
                                 serving: dryRun ? nil : serving, logger: logger)
        let events = process.events
        let eventTask = Task {
            for await e in events {
                logger.notice("nginx: \(e)")
                await serving.note(e)
            }
        }
        try await Signals.run { await client.run() }
        eventTask.cancel()
        if nginx == "spawn" && !dryRun {
            logger.info("stopping nginx")
            await process.stop()
        }
    }
}
