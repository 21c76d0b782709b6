import TollgateModel
import TollgateSnapshot

/// What an agent says when its stream opens, validated (`AgentWire.hello`).
public struct AgentHello: Sendable, Equatable {
    public var gateway: GatewayRef
    public var agentID: String
    public var dryRun: Bool
    /// The version the agent holds (0: none) and its digest ("" when none).
    public var appliedVersion: UInt64
    public var appliedDigest: String
    /// sha256 of each file the agent holds, by path.
    public var fileHashes: [String: String]
    /// The agent rebuilds spliced upserts from the files it holds (`Splice`); false for agents
    /// that predate splices, which only ever receive whole files.
    public var acceptsSplices: Bool

    public init(gateway: GatewayRef, agentID: String, dryRun: Bool = false, appliedVersion: UInt64 = 0,
                appliedDigest: String = "", fileHashes: [String: String] = [:], acceptsSplices: Bool = false) {
        self.gateway = gateway; self.agentID = agentID; self.dryRun = dryRun
        self.appliedVersion = appliedVersion; self.appliedDigest = appliedDigest; self.fileHashes = fileHashes
        self.acceptsSplices = acceptsSplices
    }
}

/// A version the controller sends to one agent: the whole file set or a delta against what the
/// agent holds. `AgentWire` turns it into protocol messages (in parts when large).
public struct SnapshotDelivery: Sendable, Equatable {
    public var gateway: GatewayRef
    public var version: UInt64
    public var digest: String
    /// true: `upserts` is the whole set and everything else goes.
    public var full: Bool
    /// The version the delta is computed against (what the agent reported holding).
    public var baseVersion: UInt64
    public var trigger: String
    public var upserts: [(path: String, file: RenderedFile)]
    public var removals: [String]
    /// sha256 of upserted files, where known (computed from the contents otherwise).
    public var hashes: [String: String] = [:]
    /// Upserts sent as a splice of the file the agent holds, by path: `upserts` still carries the
    /// whole new file, and only its middle goes on the wire (`AgentWire`).
    public var splices: [String: Splice] = [:]

    public static func == (a: SnapshotDelivery, b: SnapshotDelivery) -> Bool {
        a.gateway == b.gateway && a.version == b.version && a.digest == b.digest && a.full == b.full
            && a.baseVersion == b.baseVersion && a.trigger == b.trigger && a.removals == b.removals
            && a.upserts.map(\.path) == b.upserts.map(\.path) && a.upserts.map(\.file) == b.upserts.map(\.file)
            && a.splices == b.splices
    }
}

/// An agent's result for a version.
public struct ApplyReport: Sendable, Equatable {
    public var version: UInt64
    public var outcome: AgentReport.Outcome
    /// NGINX's message (rejections), or the dry-run diff.
    public var message: String
    /// Ports NGINX could not bind, when that is why the version was rejected.
    public var unbindablePorts: [Int]

    public init(version: UInt64, outcome: AgentReport.Outcome, message: String = "", unbindablePorts: [Int] = []) {
        self.version = version; self.outcome = outcome; self.message = message; self.unbindablePorts = unbindablePorts
    }
}
