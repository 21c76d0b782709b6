#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
    /// Where the three came from: read again before each connection, so a renewed certificate
    /// (a rotated Secret mounted into the pod) is used from the next connection on; a stream
    /// already open keeps its handshake.
    public var files: Files?

    public struct Files: Sendable {
        public var ca: String
        public var certificate: String
        public var key: String
        public init(ca: String, certificate: String, key: String) { self.ca = ca; self.certificate = certificate; self.key = key }
    }

    public init(caPEM: String, certificatePEM: String, keyPEM: String) {
        self.caPEM = caPEM; self.certificatePEM = certificatePEM; self.keyPEM = keyPEM
    }

    /// Reads the three files (throws naming the one that cannot be read).
    public init(files: Files) throws {
        func read(_ path: String, _ option: String) throws -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw AgentError("\(option) \(path): cannot be read (\(Self.unreadableReason(path) ?? "\(error)"))")
            }
        }
        self.init(caPEM: try read(files.ca, "--tls-ca"), certificatePEM: try read(files.certificate, "--tls-cert"),
                  keyPEM: try read(files.key, "--tls-key"))
        self.files = files
    }

    /// Why `path` cannot be opened (`strerror`), nil when it can (then it is not UTF-8 text).
    private static func unreadableReason(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return String(cString: strerror(errno)) }
        close(fd)
        return nil
    }

    /// The files as they are now; the last good contents when they cannot be read (a rotation
    /// in progress).
    public func reloaded() -> AgentTLS {
        guard let files, let fresh = try? AgentTLS(files: files) else { return self }
        return fresh
    }
}
