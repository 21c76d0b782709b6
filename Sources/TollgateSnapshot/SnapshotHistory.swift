import Foundation

/// One agent's report on one version.
public struct AgentReport: Sendable, Equatable {
    /// What an agent did with a snapshot version (mirrors `ApplyResult.Outcome` of the protocol).
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        case applied
        case rejected
        case dryRunOK
        case dryRunRejected

        /// True for the outcomes that mean NGINX refused the version.
        public var isRejection: Bool { self == .rejected || self == .dryRunRejected }
    }

    public var agentID: String
    public var outcome: Outcome
    /// NGINX's own error line for rejections, otherwise usually empty.
    public var message: String
    public var dryRun: Bool

    public init(agentID: String, outcome: Outcome, message: String = "", dryRun: Bool = false) {
        self.agentID = agentID; self.outcome = outcome; self.message = message; self.dryRun = dryRun
    }
}

/// The bounded, ordered version history of one Gateway, with agents' reports per version.
///
/// A value type: the owner (an actor in the control plane) holds one per Gateway and mutates it.
/// Each distinct file content is held once, whatever the number of versions that contain it:
/// a version shares the buffers of equal contents with the versions before it.
public struct SnapshotHistory: Sendable {
    public let gateway: String
    /// How many snapshots are kept; older ones are evicted.
    public let capacity: Int
    /// Oldest first.
    public private(set) var all: [Snapshot] = []
    /// Versions at or below the floor are never issued (see `raiseFloor(to:)`).
    public private(set) var floor: UInt64 = 0
    /// The highest version number ever issued or accepted from an agent (2^53, exact in JSON and
    /// far beyond any real history): version arithmetic can never overflow.
    public static let maxVersion: UInt64 = 1 << 53
    private var reportsByVersion: [UInt64: [String: AgentReport]] = [:]
    /// The contents of every kept version, each distinct one once.
    private var pool = ContentPool()
    /// sha256 of each file by path, for every kept version.
    private var hashesByVersion: [UInt64: [String: String]] = [:]

    public init(gateway: String, capacity: Int = 50) {
        precondition(capacity > 0, "SnapshotHistory capacity must be positive")
        self.gateway = gateway
        self.capacity = capacity
    }

    /// A history restored from storage: `snapshots` oldest first with strictly increasing
    /// versions (others are dropped), at most `capacity` (the newest kept), with their reports.
    public init(gateway: String, capacity: Int = 50, restoring snapshots: [Snapshot],
                reports: [UInt64: [AgentReport]] = [:], floor: UInt64 = 0) {
        self.init(gateway: gateway, capacity: capacity)
        var kept: [Snapshot] = []
        for s in snapshots where s.gateway == gateway && s.version <= Self.maxVersion && s.version > (kept.last?.version ?? 0) {
            kept.append(s)
        }
        for s in kept.suffix(capacity) {
            let interned = pool.intern(s.files, previous: latestInterned)
            var shared = s
            shared.files = interned.files
            shared.inputGenerations = Self.sharingKeys(s.inputGenerations, with: all.last?.inputGenerations)
            all.append(shared)
            hashesByVersion[s.version] = interned.hashes
        }
        for s in all {
            for r in reports[s.version] ?? [] { reportsByVersion[s.version, default: [:]][r.agentID] = r }
        }
        self.floor = min(floor, Self.maxVersion)
    }

    /// Every recorded report by version (for persistence).
    public var recordedReports: [UInt64: [AgentReport]] {
        reportsByVersion.mapValues { $0.values.sorted { $0.agentID < $1.agentID } }
    }

    /// The newest snapshot, if any.
    public var latest: Snapshot? { all.last }

    /// How many distinct file contents the kept versions hold (each is stored once).
    public var distinctContentCount: Int { pool.count }

    /// Bytes of the distinct file contents the kept versions hold.
    public var distinctContentBytes: Int { pool.byteCount }

    /// sha256 of each file of a kept version, by path, as computed when it was published (so
    /// callers such as persistence need not hash the contents again); nil for other versions.
    public func fileHashes(version: UInt64) -> [String: String]? {
        hashesByVersion[version]
    }

    /// The latest snapshot's files and hashes, what the next version is interned against.
    private var latestInterned: ContentPool.Interned? {
        guard let latest, let hashes = hashesByVersion[latest.version] else { return nil }
        return ContentPool.Interned(files: latest.files, hashes: hashes)
    }

    /// The snapshot with `version`, if it is still in the history.
    public func snapshot(version: UInt64) -> Snapshot? {
        // Versions are strictly increasing, so binary search.
        var lo = 0, hi = all.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if all[mid].version < version { lo = mid + 1 } else { hi = mid }
        }
        return lo < all.count && all[lo].version == version ? all[lo] : nil
    }

    /// Records a new version of `files` unless its digest equals the latest one's, in which case
    /// nothing changed and `nil` is returned. The new version is `max(latest, floor) + 1`; at
    /// `maxVersion` nothing more is published (`nil`).
    ///
    /// Only files whose contents differ from the latest version's file at the same path are hashed.
    @discardableResult
    public mutating func publish(files: FileSet, inputs: [String: Int64] = [:], trigger: String,
                                 at time: Date) -> Snapshot? {
        // Equal files have an equal digest; comparing bytes is much cheaper than hashing them.
        if let latest, latest.files == files { return nil }
        let base = max(latest?.version ?? 0, floor)
        guard base < Self.maxVersion else { return nil }
        let interned = pool.intern(files, previous: latestInterned)
        let digest = interned.digest
        if let latest, latest.digest == digest {
            pool.release(interned.hashes)
            return nil
        }
        let version = base + 1
        let snapshot = Snapshot(gateway: gateway, version: version, files: interned.files, digest: digest,
                                createdAt: time, trigger: trigger,
                                inputGenerations: Self.sharingKeys(inputs, with: latest?.inputGenerations))
        all.append(snapshot)
        hashesByVersion[version] = interned.hashes
        if all.count > capacity {
            let evicted = all.prefix(all.count - capacity)
            for s in evicted {
                reportsByVersion[s.version] = nil
                pool.release(hashesByVersion.removeValue(forKey: s.version) ?? [:])
            }
            all.removeFirst(evicted.count)
        }
        return snapshot
    }

    /// `inputs`, built from `previous` when there is one, so the keys both have ("Kind ns/name",
    /// thousands for a large Gateway) are one string shared by the versions, not one per version.
    static func sharingKeys(_ inputs: [String: Int64], with previous: [String: Int64]?) -> [String: Int64] {
        guard var out = previous, out != inputs else { return previous ?? inputs }
        for (key, generation) in inputs where out[key] != generation { out[key] = generation }
        if out.count != inputs.count { out = out.filter { inputs[$0.key] != nil } }
        return out
    }

    /// Ensures the next published version is above `version` (e.g. the highest version an agent
    /// reports after a controller restart). Never lowers the floor.
    public mutating func raiseFloor(to version: UInt64) {
        floor = max(floor, min(version, Self.maxVersion))
    }

    /// Records an agent's outcome for `version`; a later report from the same agent replaces the
    /// earlier one. Reports for versions no longer in the history are dropped.
    public mutating func record(agentID: String, version: UInt64, outcome: AgentReport.Outcome,
                                message: String = "", dryRun: Bool = false) {
        guard snapshot(version: version) != nil else { return }
        reportsByVersion[version, default: [:]][agentID] =
            AgentReport(agentID: agentID, outcome: outcome, message: message, dryRun: dryRun)
    }

    /// Reports for `version`, sorted by agent id.
    public func reports(version: UInt64) -> [AgentReport] {
        (reportsByVersion[version] ?? [:]).values.sorted { $0.agentID < $1.agentID }
    }

    /// True when any agent rejected `version`, in earnest or in a dry run (NGINX refused it either
    /// way), so it must not be re-sent in a loop.
    public func isRejected(version: UInt64) -> Bool {
        reportsByVersion[version]?.values.contains { $0.outcome.isRejection } ?? false
    }
}
