import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOHTTP1
import Synchronization

/// The listening socket: HTTPS on 127.0.0.1, one `HTTPConnectionHandler` per connection. It can
/// be started again on the same port after `stop()` (SO_REUSEADDR), as an API server restart.
final class HTTPServer: Sendable {
    private enum Lifecycle {
        case idle
        case running(Channel)
    }

    private let core: APIServerCore
    private let identity: TLSIdentity
    private let lifecycle = Mutex(Lifecycle.idle)
    private let connections = Mutex([ObjectIdentifier: Channel]())
    private let boundPort = Mutex(0)

    init(core: APIServerCore, identity: TLSIdentity) {
        self.core = core
        self.identity = identity
    }

    var port: Int { boundPort.withLock { $0 } }

    func start(port: Int) async throws {
        let running = lifecycle.withLock { if case .running = $0 { return true } else { return false } }
        guard !running else { throw KubeAPIServerDouble.LifecycleError.alreadyRunning }
        let core = self.core, sslContext = try identity.serverContext()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: sslContext))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(HTTPConnectionHandler(core: core))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        boundPort.withLock { $0 = channel.localAddress?.port ?? port }
        lifecycle.withLock { $0 = .running(channel) }
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// Closes the listener and every connection (open watches break without a clean end).
    func stop() async throws {
        let listener: Channel? = lifecycle.withLock { state in
            defer { state = .idle }
            if case .running(let c) = state { return c }
            return nil
        }
        guard let listener else { return }
        try? await listener.close()
        let open = connections.withLock { c in
            let all = Array(c.values)
            c.removeAll()
            return all
        }
        for channel in open { try? await channel.close() }
        core.store.forgetWatches()
    }
}

extension ObjectStore {
    /// Forgets every watch without ending its stream (the connections are already closed).
    func forgetWatches() {
        state.withLock { $0.watches.removeAll() }
    }
}
