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
/// a version shares the buffers of equal contents with the versions before it, and a content only
/// older versions hold is kept as a delta against the content that replaced it (see
/// `ContentPool`). Older versions are rebuilt when asked for (`snapshot(version:)`, `all`); the
/// newest is held whole.
public struct SnapshotHistory: Sendable {
    /// One kept version without its file contents: what persistence and listings need.
    public struct Version: Sendable, Equatable {
        public var version: UInt64
        public var digest: String
        public var createdAt: Date
        public var trigger: String
        /// Generation of each input object, keyed "Kind namespace/name".
        public var inputGenerations: [String: Int64]
        /// sha256 and mode of each file, by path.
        public var files: [String: FileRef]
    }

    /// A file of a kept version: its content's sha256 and its mode.
    public struct FileRef: Sendable, Equatable {
        public var sha256: String
        public var mode: UInt16
    }

    public let gateway: String
    /// How many snapshots are kept; older ones are evicted.
    public let capacity: Int
    /// The kept versions, oldest first.
    public private(set) var versions: [Version] = []
    /// Versions at or below the floor are never issued (see `raiseFloor(to:)`).
    public private(set) var floor: UInt64 = 0
    /// The highest version number ever issued or accepted from an agent (2^53, exact in JSON and
    /// far beyond any real history): version arithmetic can never overflow.
    public static let maxVersion: UInt64 = 1 << 53
    private var reportsByVersion: [UInt64: [String: AgentReport]] = [:]
    /// The contents of every kept version, each distinct one once.
    private var pool = ContentPool()
    /// The newest version, whole.
    public private(set) var latest: Snapshot?

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
        for s in kept.suffix(capacity) { append(s, interned: pool.intern(s.files, previous: latestInterned)) }
        for v in versions {
            for r in reports[v.version] ?? [] { reportsByVersion[v.version, default: [:]][r.agentID] = r }
        }
        self.floor = min(floor, Self.maxVersion)
    }

    /// Every kept snapshot, oldest first, rebuilt from the pool (costs a copy of each older
    /// version's changed contents; prefer `versions` and `latest` where they do).
    public var all: [Snapshot] {
        var cache: [String: Data] = [:]
        return versions.map { materialize($0, cache: &cache) }
    }

    /// Every recorded report by version (for persistence).
    public var recordedReports: [UInt64: [AgentReport]] {
        reportsByVersion.mapValues { $0.values.sorted { $0.agentID < $1.agentID } }
    }

    /// How many distinct file contents the kept versions hold (each is stored once).
    public var distinctContentCount: Int { pool.count }

    /// Bytes of the distinct file contents the kept versions hold.
    public var distinctContentBytes: Int { pool.byteCount }

    /// Bytes the history holds for those contents (older contents as deltas).
    public var storedContentBytes: Int { pool.storedByteCount }

    /// sha256 of each file of a kept version, by path, as computed when it was published (so
    /// callers such as persistence need not hash the contents again); nil for other versions.
    public func fileHashes(version: UInt64) -> [String: String]? {
        index(of: version).map { versions[$0].files.mapValues(\.sha256) }
    }

    /// The bytes of a content of a kept version, by sha256.
    public func contents(sha256: String) -> Data? {
        var cache: [String: Data] = [:]
        return pool.contents(sha256, cache: &cache)
    }

    /// The latest snapshot's files and hashes, what the next version is interned against.
    private var latestInterned: ContentPool.Interned? {
        guard let latest, let last = versions.last else { return nil }
        return ContentPool.Interned(files: latest.files, hashes: last.files.mapValues(\.sha256))
    }

    /// The snapshot with `version`, if it is still in the history.
    public func snapshot(version: UInt64) -> Snapshot? {
        if let latest, latest.version == version { return latest }
        guard let i = index(of: version) else { return nil }
        var cache: [String: Data] = [:]
        return materialize(versions[i], cache: &cache)
    }

    /// Position of `version` in `versions` (strictly increasing, so binary search).
    private func index(of version: UInt64) -> Int? {
        var lo = 0, hi = versions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if versions[mid].version < version { lo = mid + 1 } else { hi = mid }
        }
        return lo < versions.count && versions[lo].version == version ? lo : nil
    }

    private func materialize(_ v: Version, cache: inout [String: Data]) -> Snapshot {
        var files: [String: RenderedFile] = [:]
        files.reserveCapacity(v.files.count)
        for (path, ref) in v.files {
            // Every kept version's contents are in the pool.
            files[path] = RenderedFile(data: pool.contents(ref.sha256, cache: &cache) ?? Data(), mode: ref.mode)
        }
        return Snapshot(gateway: gateway, version: v.version, files: FileSet(files: files), digest: v.digest,
                        createdAt: v.createdAt, trigger: v.trigger, inputGenerations: v.inputGenerations)
    }

    /// Records `snapshot`, whose files the pool interned, as the newest version.
    @discardableResult
    private mutating func append(_ snapshot: Snapshot, interned: ContentPool.Interned) -> Snapshot {
        var refs = versions.last?.files ?? [:]
        for (path, file) in interned.files.files {
            let ref = FileRef(sha256: interned.hashes[path]!, mode: file.mode)
            if refs[path] != ref { refs[path] = ref }
        }
        if refs.count != interned.files.files.count { refs = refs.filter { interned.files.files[$0.key] != nil } }
        var shared = snapshot
        shared.files = interned.files
        shared.inputGenerations = Self.sharingKeys(snapshot.inputGenerations, with: versions.last?.inputGenerations)
        versions.append(Version(version: shared.version, digest: shared.digest, createdAt: shared.createdAt,
                                trigger: shared.trigger, inputGenerations: shared.inputGenerations, files: refs))
        latest = shared
        return shared
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
        let snapshot = append(Snapshot(gateway: gateway, version: base + 1, files: files, digest: digest, createdAt: time,
                                       trigger: trigger, inputGenerations: inputs), interned: interned)
        if versions.count > capacity {
            let evicted = versions.prefix(versions.count - capacity)
            for v in evicted {
                reportsByVersion[v.version] = nil
                pool.release(v.files.mapValues(\.sha256))
            }
            versions.removeFirst(evicted.count)
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
        guard index(of: version) != nil else { return }
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
