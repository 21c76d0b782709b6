import ArgumentParser
import Foundation
import TollgateAgentCLI
import Logging
import TollgateControlPlane
import TollgateKube
import TollgateKubernetes
import TollgateFiles

/// Options shared by `controller` and `standalone`.
struct ControllerOptions: ParsableArguments {
    @Option(help: "Directory (or file) of manifests to serve; repeatable. Changes are picked up within a second.") var manifests: [String] = []
    @Option(help: "State directory (socket, versions, agent config roots, logs). Default: $TOLLGATE_STATE_DIR or ~/.local/state/tollgate.") var stateDir: String?
    @Option(help: "Also accept agents over TCP with mutual TLS on HOST:PORT.") var listen: String?
    @Option(help: "Snapshots kept per Gateway.") var history: Int = 50

    func tcpConfig(state: StateDirectory) throws -> ControllerServer.TCPConfig? {
        guard let listen else { return nil }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT")
        }
        let host = String(listen[..<colon])
        let ca = try InternalCA.loadOrCreate(directory: state.caDirectory)
        let server = try ca.issueServer(hosts: Array(Set([host, "localhost", "127.0.0.1"])).sorted())
        return .init(host: host, port: port, caPEM: ca.certificatePEM, certificatePEM: server.certificatePEM, keyPEM: server.keyPEM)
    }

    /// Runs the controller; `withCore` runs alongside it (the standalone supervisor).
    func runController(extra: (@Sendable (ControllerCore, StateDirectory) async throws -> Void)? = nil) async throws {
        LogSetup.bootstrap()
        let logger = Logger(label: "tollgate.controller")
        let state = StateDirectory(path: stateDir)
        try state.prepare()
        for m in manifests where !FileManager.default.fileExists(atPath: m) {
            throw ValidationError("--manifests \(m): no such file or directory")
        }
        let core = ControllerCore(versionStore: VersionStore(path: state.versions),
                                  historyStore: HistoryStore(directory: (state.path as NSString).appendingPathComponent("history")),
                                  historyCapacity: history)
        let provider: any Provider = ManifestWatcher(roots: manifests, generationsFile: state.generations)
        let server = ControllerServer(core: core, socketPath: state.socket, tcp: try tcpConfig(state: state))
        logger.info("state directory \(state.path); agents connect to unix://\(state.socket)")
        try await TerminationSignals.run {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Serve agents only once the manifests are loaded, so a reconnecting agent's hello
                // never races the first render (versions of unchanged digests stay the same).
                let (loaded, loadedSignal) = AsyncStream<Void>.makeStream()
                group.addTask {
                    do { try await core.follow(provider, initialLoad: { loadedSignal.yield(); loadedSignal.finish() }) } catch {
                        loadedSignal.finish()
                        throw error
                    }
                }
                for await _ in loaded { break }
                group.addTask {
                    try await server.run { port in
                        if let port { logger.info("accepting agents over mutual TLS on port \(port)") }
                    }
                }
                if let extra { group.addTask { try await extra(core, state) } }
                try await group.next()
                group.cancelAll()
            }
        }
        await core.shutdown()
        logger.info("controller stopped")
    }
}

struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Run the controller alone: read manifests (or a Kubernetes API server), publish versioned snapshots to agents that connect.")

    enum ProviderKind: String, ExpressibleByArgument, CaseIterable { case directory, kubernetes }

    @Option(help: "Where Gateway API objects come from: directory (--manifests) or kubernetes (an API server).")
    var provider: ProviderKind = .directory
    @OptionGroup var options: ControllerOptions
    @OptionGroup var kubernetes: KubernetesControllerOptions

    func validate() throws {
        switch provider {
        case .directory:
            if options.manifests.isEmpty { throw ValidationError("--manifests is required with --provider directory") }
        case .kubernetes:
            if !options.manifests.isEmpty { throw ValidationError("--manifests is for --provider directory; with kubernetes the API server is the source") }
        }
    }

    func run() async throws {
        // Before the controller's threads allocate: see HeapTrim.configureAllocator.
        HeapTrim.configureAllocator()
        switch provider {
        case .directory: try await options.runController()
        case .kubernetes: try await runKubernetes()
        }
    }

    func runKubernetes() async throws {
        LogSetup.bootstrap()
        let logger = Logger(label: "tollgate.controller")
        let config = try kubernetes.connection.config()
        let namespace = kubernetes.connection.controllerNamespace(config)
        let client = try KubeClient(config: config, logger: Logger(label: "tollgate.kube"))
        var host = "0.0.0.0", port = 8443
        if let listen = options.listen {
            guard let colon = listen.lastIndex(of: ":"), let p = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("--listen must be HOST:PORT")
            }
            host = String(listen[..<colon]); port = p
        }
        var controllerOptions = KubernetesController.Options(
            namespace: namespace,
            provider: .init(watchNamespaces: kubernetes.watchNamespace, gatewayClassName: kubernetes.gatewayClass),
            leaderElection: kubernetes.leaderElection(namespace: namespace),
            listenHost: host, listenPort: port, serverNames: kubernetes.serverName,
            state: StateDirectory(path: options.stateDir), historyCapacity: options.history,
            metricsAddress: try kubernetes.metrics())
        controllerOptions.serverCertificateLifetime = .milliseconds(Int(kubernetes.serverCertificateLifetime * 1000))
        let controller = KubernetesController(client: client, options: controllerOptions, logger: logger)
        logger.info("kubernetes provider: \(config); namespace \(namespace)")
        do {
            try await TerminationSignals.run {
                try await controller.run { handle in
                    logger.info("caches synced; \(handle.leading.value ? "leading" : "following")")
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
        logger.info("controller stopped")
    }
}

struct StandaloneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "standalone",
        abstract: "Run the controller and, for every accepted Gateway, an agent with its own NGINX, all on this machine.")
    @OptionGroup var options: ControllerOptions

    func validate() throws {
        if options.manifests.isEmpty { throw ValidationError("--manifests is required") }
    }

    func run() async throws {
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        try await options.runController { core, state in
            let supervisor = AgentSupervisor(tollgate: executable, state: state)
            do {
                for await gateways in await core.watchGateways() {
                    await supervisor.reconcile(gateways)
                }
            }
            await supervisor.stopAll()
        }
    }
}
