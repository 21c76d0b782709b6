/// What is live on disk: the version `current` points at and the hashes of its files, computed
/// from the disk (not trusted from the record). This is what the agent reports in its hello.
public struct LiveState: Sendable, Equatable {
    /// The version recorded in the live tree.
    public var version: UInt64
    /// The digest computed from the files on disk (same formula as `FileSet.digest`).
    public var digest: String
    /// The digest recorded when the tree was staged; differs from `digest` only if someone
    /// edited the tree by hand.
    public var recordedDigest: String
    /// sha256 of every file by relative path, excluding `agent/` and `.tollgate-version`.
    public var fileHashes: [String: String]
    /// The mode of every file by relative path (same paths as `fileHashes`).
    public var fileModes: [String: UInt16]
    /// Absolute path of the live version directory.
    public var directory: String

    /// True when the files on disk still hash to the digest recorded at staging time.
    public var isIntact: Bool { digest == recordedDigest }
}
