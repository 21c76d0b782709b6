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
import TollgateFiles

/// The `nginx` executable and the short commands the agent runs with it (`-t`, `-v`).
public struct NginxBinary: Sendable, Equatable {
    /// Absolute path of the executable.
    public let path: String

    /// - Parameter path: absolute path, or a bare name looked up on `PATH` (default `nginx`).
    public init(path: String = "nginx") {
        self.path = path.contains("/") ? path : (Self.lookUp(path) ?? "/usr/sbin/\(path)")
    }

    /// `nginx -v`: the version string, e.g. `nginx/1.22.1`.
    public func version() async throws -> String {
        let r = try await ShortCommand.run(path, ["-v"])
        let text = (r.stderr + r.stdout).trimmingWhitespace()
        guard r.status == 0, let range = text.firstRange(of: "nginx version: ") else {
            throw AgentError("nginx -v failed (\(r.status)): \(text)")
        }
        return String(text[range.upperBound...]).components(separatedBy: "\n")[0]
    }

    /// `nginx -t -p PREFIX/ -c CONFIG -e ERRORLOG`: nil when the configuration is valid, else
    /// NGINX's own error line (see `NginxErrorLine`), with `displayRoot/` removed from paths so the
    /// message names files relative to the tree.
    public func test(configFile: String, prefix: String, errorLog: String, displayRoot: String? = nil) async throws -> String? {
        let r = try await ShortCommand.run(path, ["-t", "-q", "-p", prefix.hasSuffix("/") ? prefix : prefix + "/",
                                                  "-c", configFile, "-e", errorLog])
        if r.status == 0 { return nil }
        var line = NginxErrorLine.first(in: r.stderr) ?? NginxErrorLine.first(in: r.stdout)
            ?? "nginx -t failed with status \(r.status): \(r.stderr.trimmingWhitespace())"
        if let displayRoot { line = line.replacing(displayRoot.hasSuffix("/") ? displayRoot : displayRoot + "/", with: "") }
        return line
    }

    private static func lookUp(_ name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"]
        return dirs.map { PathText.join($0, name) }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Extracts NGINX's own error lines (`[emerg]`, `[alert]`, `[crit]`, `[error]`) from its stderr
/// or error log, without the `nginx: ` / timestamp and `PID#TID: ` prefixes, e.g.
/// `[emerg] bind() to 127.0.0.1:8443 failed (98: Address already in use)`.
public enum NginxErrorLine {
    static let levels = ["[emerg]", "[alert]", "[crit]", "[error]"]

    /// The first error line in `text` (levels in order of severity: the first `[emerg]` wins).
    public static func first(in text: String, levels: [String] = ["[emerg]", "[alert]", "[crit]", "[error]"]) -> String? {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        for level in levels {
            if let l = lines.first(where: { $0.contains(level) }) { return clean(l, level: level) }
        }
        return nil
    }

    /// The port of a `bind() to ADDRESS:PORT failed` line, if `line` is one (1-65535).
    public static func unbindablePort(in line: String) -> Int? {
        guard let start = line.firstRange(of: "bind() to "), let end = line[start.upperBound...].firstRange(of: " failed"),
              let colon = line[start.upperBound..<end.lowerBound].lastIndex(of: ":") else { return nil }
        let digits = line[line.index(after: colon)..<end.lowerBound]
        guard (1...5).contains(digits.count), digits.utf8.allSatisfy({ (48...57).contains($0) }), let port = Int(digits),
              (1...65535).contains(port) else { return nil }
        return port
    }

    /// `2024/01/01 00:00:00 [emerg] 12#12: message` → `[emerg] message`.
    static func clean(_ line: String, level: String) -> String {
        guard let r = line.firstRange(of: level) else { return line }
        var rest = line[r.upperBound...].drop { $0 == " " }
        // Drop "PID#TID: " and an optional "*CONN " that NGINX puts after the level.
        if let colon = rest.firstIndex(of: ":"), rest[..<colon].allSatisfy({ $0.isNumber || $0 == "#" }), rest[..<colon].contains("#") {
            rest = rest[rest.index(after: colon)...].drop { $0 == " " }
        }
        return "\(level) \(rest)"
    }
}
