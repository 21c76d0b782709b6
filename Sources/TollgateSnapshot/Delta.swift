
/// The difference between a target file set and what an agent holds, as a `Snapshot` message
/// carries it: paths to write and paths to delete.
public enum Delta {
    /// Paths under this prefix belong to the agent itself (its state, probes) and are never removed.
    public static let agentOwnedPrefix = "agent/"

    /// True for paths the agent owns (see `agentOwnedPrefix`).
    public static func isAgentOwned(_ path: String) -> Bool {
        path.hasPrefix(agentOwnedPrefix)
    }

    /// Compares `target` with the agent's per-file sha256 (from its hello).
    ///
    /// - Returns: `upserts`, the target paths missing on the agent or with another sha256, and
    ///   `removals`, the paths the agent holds that the target lacks (agent-owned paths under
    ///   `agent/` excepted). Both sorted.
    ///
    /// Only contents are compared: the agent reports hashes, not modes, so a mode-only change is
    /// invisible here. When the digests differ but both lists are empty, send a full set.
    public static func compute(target: FileSet, agentHashes: [String: String])
        -> (upserts: [String], removals: [String])
    {
        compute(targetHashes: target.fileHashes, agentHashes: agentHashes)
    }

    /// The same, from the target's per-file sha256 (a history keeps them, so nothing is hashed).
    public static func compute(targetHashes: [String: String], agentHashes: [String: String])
        -> (upserts: [String], removals: [String])
    {
        var upserts: [String] = []
        for (path, hash) in targetHashes where agentHashes[path] != hash {
            upserts.append(path)
        }
        var removals: [String] = []
        for path in agentHashes.keys where targetHashes[path] == nil && !isAgentOwned(path) {
            removals.append(path)
        }
        return (upserts.sorted(), removals.sorted())
    }

    /// The file set an agent holds after applying `removals`, then `upserts`, to `base`
    /// (an upsert wins over a removal of the same path).
    public static func apply(upserts: [String: RenderedFile], removals: [String], to base: FileSet) -> FileSet {
        var result = base
        for path in removals { result.files[path] = nil }
        for (path, file) in upserts { result.files[path] = file }
        return result
    }
}
