import TollgateSnapshot

/// Step 1 of an apply: a received set is checked before anything is written.
enum FileSetVerifier {
    /// nil when the set is safe and intact, else the reason to reject it.
    static func problem(files: FileSet, digest: String, claimedHashes: [String: String]?) -> String? {
        if files.files[FileSet.mainConfig] == nil { return "the file set has no \(FileSet.mainConfig)" }
        for path in files.paths {
            if let p = AgentPaths.problem(with: path) { return p }
            let mode = files.files[path]!.mode
            if mode & ~0o777 != 0 { return "file \(path) has a disallowed mode \(String(mode, radix: 8))" }
            if mode & 0o400 == 0 { return "file \(path) is not readable by its owner (mode \(String(mode, radix: 8)))" }
        }
        if let c = AgentPaths.conflict(in: files.paths) { return c }
        // Each file is hashed once: for its claimed sha256 and for the digest.
        let actual = files.files.mapValues(\.sha256)
        if let claimedHashes {
            for path in files.paths {
                guard let claimed = claimedHashes[path] else { return "no sha256 for \(path)" }
                if claimed.lowercased() != actual[path]! { return "sha256 mismatch for \(path): expected \(claimed), contents hash to \(actual[path]!)" }
            }
            if let extra = claimedHashes.keys.sorted().first(where: { files.files[$0] == nil }) { return "sha256 given for missing file \(extra)" }
        }
        let digestOfFiles = FileSet.digest(hashes: Dictionary(uniqueKeysWithValues: files.files.map { path, file in
            (path, (sha256: actual[path]!, mode: file.mode))
        }))
        if digestOfFiles != digest.lowercased() { return "digest mismatch: expected \(digest), files hash to \(digestOfFiles)" }
        return nil
    }
}
