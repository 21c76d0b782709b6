import TollgateSnapshot

/// One snapshot to apply: what the controller sent.
public struct ApplyRequest: Sendable, Equatable {
    /// The controller's monotonic version (per Gateway).
    public var version: UInt64
    /// The digest the controller computed over `files`.
    public var digest: String
    /// The complete file set (paths relative to the config root).
    public var files: FileSet
    /// sha256 the sender claims for each file (from the wire); checked against the contents
    /// when given. The digest is always checked.
    public var fileHashes: [String: String]?
    /// Validate and diff only: never swap, never signal NGINX.
    public var dryRun: Bool

    public init(version: UInt64, digest: String, files: FileSet, fileHashes: [String: String]? = nil, dryRun: Bool = false) {
        self.version = version; self.digest = digest; self.files = files; self.fileHashes = fileHashes; self.dryRun = dryRun
    }
}

/// The verdict on one request.
public enum ApplyResult: Sendable, Equatable {
    /// Live, and the probe proved NGINX's workers serve it.
    case applied
    /// Not applied; the previous version is (still) live. `message` is NGINX's own error line
    /// (`[emerg] …`) when NGINX refused it, else the agent's reason.
    case rejected(message: String)
    /// Dry run: the version is valid; `diff` is what applying it would change.
    case dryRunOK(diff: String)
    /// Dry run: NGINX (or the agent's checks) rejected it; `diff` as for `dryRunOK` (empty when
    /// the set failed verification).
    case dryRunRejected(message: String, diff: String)
    /// Only from `ConfigApplier.submit`: a newer request arrived while this one waited, so this
    /// one was never applied.
    case superseded(byVersion: UInt64)
}

/// The result of one request, with how long it took.
public struct ApplyOutcome: Sendable, Equatable {
    public var version: UInt64
    public var digest: String
    public var result: ApplyResult
    /// Wall-clock time spent (for logs and metrics; never asserted on).
    public var duration: Duration
    /// The steps taken and how long each took, e.g. `verify 303 files 4 ms, write 304 files 38 ms,
    /// nginx -t 212 ms, …` (for the log; empty for a superseded request).
    public var steps: String = ""

    public init(version: UInt64, digest: String, result: ApplyResult, duration: Duration) {
        self.version = version; self.digest = digest; self.result = result; self.duration = duration
    }

    /// True for `.applied`.
    public var isApplied: Bool { result == .applied }
}
