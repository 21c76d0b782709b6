import Foundation

/// Where the agent finds its controller: `unix:///PATH` or `https://HOST:PORT` (mutual TLS).
public enum ControllerAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `unix:///path/to/sock` or `https://host:port`.
    public init(parsing s: String) throws {
        if s.hasPrefix("unix://") {
            let path = String(s.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw AgentError("controller address \(s): use unix:///ABSOLUTE/PATH") }
            guard path.utf8.count <= UnixSocketLimit.maxPathBytes else {
                throw AgentError("controller address \(s): the socket path has \(path.utf8.count) bytes; a Unix socket path holds at most \(UnixSocketLimit.maxPathBytes) (use a shorter state directory)")
            }
            self = .unix(path: path)
        } else if s.hasPrefix("https://") {
            let rest = s.dropFirst("https://".count).split(separator: "/").first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
                throw AgentError("controller address \(s): use https://HOST:PORT")
            }
            self = .tcp(host: String(rest[..<colon]), port: port)
        } else {
            throw AgentError("controller address \(s): use unix:///PATH or https://HOST:PORT")
        }
    }

    public var description: String {
        switch self {
        case .unix(let p): return "unix://\(p)"
        case .tcp(let h, let p): return "https://\(h):\(p)"
        }
    }
}

/// PEM material for mutual TLS to the controller.
public struct AgentTLS: Sendable {
    public var caPEM: String
    public var certificatePEM: String
    public var keyPEM: String
    public init(caPEM: String, certificatePEM: String, keyPEM: String) {
        self.caPEM = caPEM; self.certificatePEM = certificatePEM; self.keyPEM = keyPEM
    }
}
