import Foundation
import Logging
import Prometheus
import TollgateControlPlane
import TollgateKube
import TollgateModel

/// The controller in Kubernetes mode: the Kubernetes provider feeds the core; the leader writes
/// status and serves agents; every replica keeps its caches warm.
///
/// Agents reach whoever writes status because only the leader serves them: a follower does not
/// listen on the agents' port (and its `/readyz` fails, so the Service routes to the leader);
/// when leadership moves, the old leader closes its agent streams and agents reconnect to the new
/// one, which renders the same digests and so reloads no NGINX.
public struct KubernetesController: Sendable {
    public struct Options: Sendable {
        /// Holds the CA Secret and the Lease.
        public var namespace: String
        public var provider: KubernetesProvider.Options
        /// Leader election; nil: this replica always leads (a single replica).
        public var leaderElection: LeaderElectionConfig?
        /// The agents' mutual-TLS listener (HOST, PORT; port 0 picks one) and the names its
        /// certificate carries (the Service's DNS names).
        public var listenHost: String
        public var listenPort: Int
        public var serverNames: [String]
        /// Local state: the admin socket and persisted snapshot history.
        public var state: StateDirectory
        public var historyCapacity: Int
        /// Status is written at most this often (changes in between are coalesced).
        public var statusInterval: Duration
        /// Every status is compared with the server's at least this often (repairs a status
        /// someone else overwrote).
        public var statusResync: Duration
        /// Where `/metrics`, `/healthz` and `/readyz` are served; nil: nowhere.
        public var metricsAddress: MetricsAddress?
        /// Lifetime of the agents' TLS server certificate; it is renewed at two thirds of it.
        public var serverCertificateLifetime: Duration = .seconds(365 * 86_400)

        public init(namespace: String, provider: KubernetesProvider.Options = .init(), leaderElection: LeaderElectionConfig? = nil,
                    listenHost: String = "0.0.0.0", listenPort: Int = 8443, serverNames: [String] = [],
                    state: StateDirectory, historyCapacity: Int = 50,
                    statusInterval: Duration = .milliseconds(100), statusResync: Duration = .seconds(30),
                    metricsAddress: MetricsAddress? = nil) {
            self.namespace = namespace
            self.provider = provider
            self.leaderElection = leaderElection
            self.listenHost = listenHost
            self.listenPort = listenPort
            self.serverNames = serverNames
            self.state = state
            self.historyCapacity = historyCapacity
            self.statusInterval = statusInterval
            self.statusResync = statusResync
            self.metricsAddress = metricsAddress
        }
    }

    public let client: KubeClient
    public let options: Options
    let logger: Logger

    public init(client: KubeClient, options: Options, logger: Logger = Logger(label: "tollgate.controller")) {
        self.client = client
        self.options = options
        self.logger = logger
    }

    /// What a running controller exposes to its caller (the CLI's health endpoints, tests).
    public struct Handle: Sendable {
        public let core: ControllerCore
        public let leading: LeadershipFlag
        public let writer: KubeStatusWriter
        /// The agents' port while this replica leads.
        public let agentPort: AgentPort
        /// What `/healthz` and `/readyz` answer.
        public let probes: HealthProbes
    }

    /// Runs until cancelled. `started` receives the handle once the first state is loaded.
    /// The metrics address, when set, is bound first: an address in use is an error at once.
    public func run(started: @escaping @Sendable (Handle) -> Void = { _ in }) async throws {
        let metricsServer = try await bindMetrics()
        // A Result rather than do/catch around the call: the release compiler (Swift 6.3) crashes
        // splitting this coroutine when an await sits in the catch block.
        let outcome = await Result(catching: { try await run(metricsServer: metricsServer, started: started) })
        if case .failure = outcome { await metricsServer?.close() }
        try outcome.get()
    }

    private func bindMetrics() async throws -> MetricsServer? {
        guard let address = options.metricsAddress else { return nil }
        let server = try await MetricsServer.bind(address)
        logger.info("serving /metrics, /healthz and /readyz on \(MetricsAddress(host: address.host, port: server.port))")
        return server
    }

    private func run(metricsServer: MetricsServer?, started: @escaping @Sendable (Handle) -> Void) async throws {
        let provider = await KubernetesProvider.make(client: client, options: options.provider, logger: logger)
        let ca = try await ClusterCA.load(client: client, namespace: options.namespace, create: true, logger: logger)
        let hosts = Array(Set([options.listenHost, "localhost", "127.0.0.1"] + options.serverNames)).filter { $0 != "0.0.0.0" }.sorted()
        let rotation = try ServerCertificateRotation(ca: ca, hosts: hosts, lifetime: options.serverCertificateLifetime, logger: logger)
        let state = options.state
        try state.prepare()
        let registry = PrometheusCollectorRegistry()
        let core = ControllerCore(versionStore: VersionStore(path: state.versions),
                                  historyStore: HistoryStore(directory: (state.path as NSString).appendingPathComponent("history")),
                                  historyCapacity: options.historyCapacity, metrics: ControllerMetrics(registry: registry), logger: logger)
        let writer = KubeStatusWriter(client: client, kinds: provider.kinds, assembler: provider.assembler, logger: logger)
        let leading = LeadershipFlag(options.leaderElection == nil)
        let agentPort = AgentPort()
        let probes = HealthProbes(synced: SyncedFlag(), leading: leading, agentPort: agentPort)
        let server = ControllerServer(core: core, socketPath: state.socket,
                                      tcp: .init(host: options.listenHost, port: options.listenPort, caPEM: ca.certificatePEM,
                                                 rotation: rotation))
        let options = self.options, logger = self.logger, client = self.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (loaded, loadedSignal) = AsyncStream<Void>.makeStream()
            group.addTask {
                try await core.follow(provider, initialLoad: { loadedSignal.yield(); loadedSignal.finish() })
            }
            if let metricsServer {
                let collector = MetricsCollector(registry: registry, sources: .init(
                    core: core, writer: writer, informers: provider.informers, leading: leading))
                group.addTask { try await metricsServer.serve(MetricsRoutes(scrape: { await collector.scrape() }, probes: probes)) }
            }
            for await _ in loaded { break }
            probes.synced.set()
            started(Handle(core: core, leading: leading, writer: writer, agentPort: agentPort, probes: probes))
            // Status: the leader writes what changed, coalesced, and compares everything now and then.
            group.addTask {
                let ticks = await core.statusTicks(resync: options.statusResync, also: provider.assembler.serverObjectsChanged)
                for await _ in ticks {
                    guard leading.value else { continue }
                    await writer.write(await core.statusDocuments())
                    try? await Task.sleep(for: options.statusInterval)
                }
            }
            // The agents' server certificate: renewed before it expires, open streams untouched.
            group.addTask { await rotation.run() }
            // Agents: served by the leader only.
            group.addTask {
                try await Self.serveWhileLeading(server: server, leading: leading, agentPort: agentPort, logger: logger)
            }
            if let election = options.leaderElection {
                let elector = LeaderElector(client: client, config: election, logger: logger)
                group.addTask {
                    await elector.run(onStartedLeading: {
                        logger.notice("leading: writing status and serving agents")
                        leading.set(true)
                    }, onStoppedLeading: {
                        logger.notice("not leading: status writes and agent streams stop")
                        leading.set(false)
                    })
                }
            }
            try await group.next()
            group.cancelAll()
        }
        await core.shutdown()
    }

    /// Runs the agent server whenever this replica leads; stops it (closing agent streams) when
    /// leadership ends.
    static func serveWhileLeading(server: ControllerServer, leading: LeadershipFlag, agentPort: AgentPort, logger: Logger) async throws {
        var changes = leading.changes().makeAsyncIterator()
        while let isLeader = await changes.next() {
            guard isLeader else { continue }
            // Serve until leadership ends; a server that fails on its own is started again.
            while leading.value && !Task.isCancelled {
                unlink(server.socketPath)   // left by an earlier term
                let failure: (any Error)? = await withTaskGroup(of: (any Error)?.self) { group in
                    group.addTask {
                        do {
                            try await server.run { port in
                                agentPort.set(port)
                                if let port { logger.info("accepting agents over mutual TLS on port \(port)") }
                            }
                            return nil
                        } catch {
                            return Task.isCancelled ? nil : error
                        }
                    }
                    group.addTask {
                        for await still in leading.changes() where !still { break }
                        return nil
                    }
                    let first = await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
                agentPort.set(nil)
                guard let failure else { break }
                logger.error("agent server stopped: \(failure); starting it again in 1 s")
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}

extension ControllerCore {
    /// `statusChanges()` merged with `other` and a periodic tick every `resync`.
    nonisolated func statusTicks(resync: Duration, also other: AsyncStream<Void>) async -> AsyncStream<Void> {
        let changes = await statusChanges()
        let (stream, cont) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let a = Task {
            for await _ in changes { cont.yield() }
            cont.finish()
        }
        let c = Task {
            for await _ in other { cont.yield() }
        }
        let b = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: resync)
                cont.yield()
            }
        }
        cont.onTermination = { _ in a.cancel(); b.cancel(); c.cancel() }
        return stream
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
