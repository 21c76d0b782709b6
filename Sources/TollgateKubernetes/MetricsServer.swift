import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain HTTP/1.1 listener for `MetricsRoutes`. It is bound first — so an address in use is a
/// startup error that names it — and served later, once what it reports exists; connections
/// that arrive in between wait in the listen backlog.
struct MetricsServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let address: MetricsAddress
    /// The port bound (differs from the address's when that is 0).
    let port: Int
    private let listener: NIOAsyncChannel<Connection, Never>

    /// Binds `address`; throws `MetricsServerError` naming it when it cannot.
    static func bind(_ address: MetricsAddress) async throws(MetricsServerError) -> MetricsServer {
        do {
            let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
            return MetricsServer(address: address, port: listener.channel.localAddress?.port ?? address.port, listener: listener)
        } catch {
            throw MetricsServerError(address: address, underlying: "\(error)")
        }
    }

    /// Answers requests until cancelled, then closes the listener and its connections.
    func serve(_ routes: MetricsRoutes) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { try? await Self.handle(connection, routes: routes) }
                }
            }
        }
    }

    /// Closes a listener that will not be served (startup failed after the bind).
    func close() async {
        try? await listener.channel.close()
    }

    private static func handle(_ connection: Connection, routes: MetricsRoutes) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h): head = h
                case .body: continue
                case .end:
                    guard let request = head else { continue }
                    head = nil
                    let reply = await routes.respond(method: request.method.rawValue, uri: request.uri)
                    try await write(reply, for: request, to: outbound)
                    if !request.isKeepAlive { return }
                }
            }
        }
    }

    private static func write(_ reply: MetricsRoutes.Reply, for request: HTTPRequestHead,
                              to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let body = ByteBuffer(string: reply.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: reply.contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        if let allow = reply.allow { headers.add(name: "Allow", value: allow) }
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: reply.status)
        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(body)))
        try await outbound.write(.end(nil))
    }
}

/// The metrics address could not be bound (in use, not an address of this host, not permitted).
public struct MetricsServerError: Error, CustomStringConvertible {
    public var address: MetricsAddress
    public var underlying: String
    public var description: String { "cannot serve /metrics, /healthz and /readyz on \(address) (--metrics-address): \(underlying)" }
}
