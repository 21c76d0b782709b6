import Foundation

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

    public var socket: String { join("controller.sock") }
    public var versions: String { join("versions.json") }
    public var generations: String { join("generations.json") }
    public var caDirectory: String { join("ca") }
    public var logs: String { join("logs") }
    /// The config root of the agent serving `gateway` ("ns/name").
    public func agentRoot(gateway: String) -> String { join("gateways/" + gateway.replacingOccurrences(of: "/", with: "__")) }
    public func agentLog(gateway: String) -> String { join("logs/agent-" + gateway.replacingOccurrences(of: "/", with: "__") + ".log") }

    /// Creates the directory (0700: it holds the socket, keys and private keys in snapshots).
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    }

    private func join(_ s: String) -> String { (path as NSString).appendingPathComponent(s) }
}
