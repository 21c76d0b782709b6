#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import TollgateModel

/// The layout of a controller's state directory (shared by `standalone`, `controller` and the CLI).
public struct StateDirectory: Sendable {
    public let path: String

    /// `$TOLLGATE_STATE_DIR`, else `$XDG_STATE_HOME/tollgate`, else `~/.local/state/tollgate`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["TOLLGATE_STATE_DIR"], !p.isEmpty { return p }
        if let x = env["XDG_STATE_HOME"], !x.isEmpty { return (x as NSString).appendingPathComponent("tollgate") }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".local/state/tollgate")
    }

    public init(path: String?) {
        let p = path ?? Self.defaultPath
        self.path = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }

    /// The controller's Unix socket (agents and the CLI connect to it).
    public var socket: String { join("controller.sock") }
    public var versions: String { join("versions.json") }
    public var generations: String { join("generations.json") }
    public var caDirectory: String { join("ca") }
    public var logs: String { join("logs") }
    /// The config root of the agent serving `gateway`: `gateways/COMPONENT`.
    public func agentRoot(gateway: GatewayRef) -> String { join("gateways/" + Self.component(gateway: gateway.description)) }
    /// The log of the agent serving `gateway`: `logs/agent-COMPONENT.log`.
    public func agentLog(gateway: GatewayRef) -> String { join("logs/agent-" + Self.component(gateway: gateway.description) + ".log") }

    /// The longest `component(gateway:)`.
    public static let maxComponentBytes = 64

    /// A file name component naming a Gateway ("ns/name"), at most `maxComponentBytes` bytes:
    /// `NS__NAME` when both parts are plain (`a-z 0-9 . -`, as Kubernetes names are) and short
    /// enough; otherwise a readable prefix of that, `_`, and 16 hex digits of the sha256 of the
    /// Gateway. Plain names contain `_` only in their one `__`, so a hashed component (which ends
    /// in a single `_HASH`) never equals a plain one, and distinct Gateways get distinct
    /// components. Namespaces are at most 63 and names 253 characters, together more than a
    /// file name (255 bytes) may hold.
    public static func component(gateway: String) -> String {
        let parts = gateway.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let namespace = parts.first ?? "", name = parts.count > 1 ? parts[1] : ""
        let plain = namespace + "__" + name
        if parts.count == 2, isPlain(namespace), isPlain(name), plain.utf8.count <= maxComponentBytes { return plain }
        let hash = Hex.encode(SHA256.hash(data: Data(gateway.utf8)).prefix(8))
        let readable = String(sanitized(namespace).prefix(20)) + "__" + String(sanitized(name).prefix(maxComponentBytes - 20 - 2 - 1 - hash.count))
        return readable + "_" + hash
    }

    /// Creates the directory (0700: it holds the socket, keys and private keys in snapshots).
    /// Throws a clear error, before anything listens, when the directory's path is so long that
    /// the controller's socket path would not fit a Unix socket address.
    public func prepare() throws {
        let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        guard socket.utf8.count <= limit else {
            throw StateDirectoryError("state directory \(path) is too long: its socket \(socket) has \(socket.utf8.count) bytes, and a Unix socket path holds at most \(limit); use a shorter --state-dir")
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    }

    private static func isPlain(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
    }

    /// `s` with everything but `a-z 0-9 . -` replaced by `-`.
    private static func sanitized(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { u in
            ("a"..."z").contains(u) || ("0"..."9").contains(u) || u == "." ? u : "-"
        }))
    }

    private func join(_ s: String) -> String { (path as NSString).appendingPathComponent(s) }
}

/// Why a state directory cannot be used.
public struct StateDirectoryError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
