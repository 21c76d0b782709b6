/// The agent's own check that a snapshot path is safe to write under the config root: relative,
/// non-empty components, no `.`/`..`, no NUL or backslash, and not one of the names the agent
/// owns (`agent/`, `.tollgate-version`). Because the agent only ever creates real directories
/// inside a fresh staging directory (and opens files with `O_NOFOLLOW`), a path that passes this
/// check cannot resolve outside the root.
enum AgentPaths {
    /// The directory of agent-owned files inside every version (the probe include).
    static let agentDirectory = "agent"
    /// The version record inside every version directory (not part of the digest).
    static let versionRecord = ".tollgate-version"

    /// nil when `path` is acceptable, else the reason.
    static func problem(with path: String) -> String? {
        if path.isEmpty { return "empty path" }
        if path.hasPrefix("/") { return "absolute path \(quoted(path))" }
        if path.utf8.contains(0) { return "path contains NUL" }
        if path.contains("\\") { return "path contains a backslash: \(quoted(path))" }
        if path.utf8.count > 1024 { return "path too long" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for c in components {
            if c.isEmpty { return "empty component in \(quoted(path))" }
            if c == "." || c == ".." { return "path escapes the config root: \(quoted(path))" }
            if c.utf8.count > 255 { return "component too long in \(quoted(path))" }
        }
        if components.first == Substring(agentDirectory) { return "path \(quoted(path)) is reserved for the agent" }
        if path == versionRecord { return "path \(quoted(path)) is reserved for the agent" }
        return nil
    }

    /// nil when no file path is also used as a directory by another path (`a` and `a/b`).
    static func conflict(in paths: [String]) -> String? {
        let set = Set(paths)
        for p in paths {
            var prefix = Substring(p)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if set.contains(String(prefix)) { return "path \(quoted(String(prefix))) is both a file and a directory" }
            }
        }
        return nil
    }

    private static func quoted(_ s: String) -> String { "\"\(s)\"" }
}
