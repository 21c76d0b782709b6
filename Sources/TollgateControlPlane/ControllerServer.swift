import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import TollgateProto

/// Serves the agent stream and the admin service over a Unix socket (mode 0600) and, optionally,
/// over TCP with mutual TLS only.
public struct ControllerServer: Sendable {
    public struct TCPConfig: Sendable {
        public var host: String
        public var port: Int
        public var caPEM: String
        public var certificatePEM: String
        public var keyPEM: String
        /// When set, the server certificate comes from it (renewed without dropping connections)
        /// and `certificatePEM`/`keyPEM` are unused.
        public var rotation: ServerCertificateRotation?
        public init(host: String, port: Int, caPEM: String, certificatePEM: String, keyPEM: String) {
            self.host = host; self.port = port; self.caPEM = caPEM; self.certificatePEM = certificatePEM; self.keyPEM = keyPEM
        }
        public init(host: String, port: Int, caPEM: String, rotation: ServerCertificateRotation) {
            self.init(host: host, port: port, caPEM: caPEM, certificatePEM: "", keyPEM: "")
            self.rotation = rotation
        }
    }

    public let core: ControllerCore
    public let socketPath: String
    public let tcp: TCPConfig?

    public init(core: ControllerCore, socketPath: String, tcp: TCPConfig? = nil) {
        self.core = core; self.socketPath = socketPath; self.tcp = tcp
    }

    /// The server's HTTP/2 settings. Agents ping every `AgentKeepalive.interval` to notice a dead
    /// controller; the server must permit that rate, or (at its default of one ping per 5 minutes)
    /// it counts each ping as a strike and closes the connection after the third — idle agent
    /// streams were dropped about every 80 s. The server pings idle connections itself too, so a
    /// vanished agent is noticed.
    public static var transportConfig: HTTP2ServerTransport.Posix.Config {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.connection.keepalive.clientBehavior = .init(minPingIntervalWithoutCalls: AgentKeepalive.minimumPermitted, allowWithoutCalls: true)
        config.connection.keepalive.time = .seconds(60)
        config.connection.keepalive.timeout = .seconds(20)
        return config
    }

    /// Runs until cancelled. `ready` is called once the Unix socket is listening (and the TCP port,
    /// when configured, with its bound port).
    public func run(ready: @escaping @Sendable (Int?) -> Void = { _ in }) async throws {
        let unixTransport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext,
                                                       config: Self.transportConfig)
        let unixServer = GRPCServer(transport: unixTransport, services: [AgentService(core: core, requireGatewayCertificate: false), AdminService(core: core)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await unixServer.serve() }
            _ = try await unixTransport.listeningAddress
            chmod(socketPath, 0o600)
            var tcpPort: Int? = nil
            if let tcp {
                let configure: (inout HTTP2ServerTransport.Posix.TransportSecurity.TLS) -> Void = {
                    $0.trustRoots = .certificates([.bytes(Array(tcp.caPEM.utf8), format: .pem)])
                    $0.clientCertificateVerification = .noHostnameVerification
                }
                let security: HTTP2ServerTransport.Posix.TransportSecurity
                if let rotation = tcp.rotation {
                    security = try .mTLS(certificateReloader: rotation, configure: configure)
                } else {
                    security = .mTLS(certificateChain: [.bytes(Array(tcp.certificatePEM.utf8), format: .pem)],
                                     privateKey: .bytes(Array(tcp.keyPEM.utf8), format: .pem), configure: configure)
                }
                let tcpTransport = HTTP2ServerTransport.Posix(address: .ipv4(host: tcp.host, port: tcp.port), transportSecurity: security,
                                                              config: Self.transportConfig)
                let tcpServer = GRPCServer(transport: tcpTransport, services: [AgentService(core: core, requireGatewayCertificate: true)])
                group.addTask { try await tcpServer.serve() }
                tcpPort = try await tcpTransport.listeningAddress.ipv4?.port
            }
            ready(tcpPort)
            try await group.next()
            group.cancelAll()
        }
    }
}
