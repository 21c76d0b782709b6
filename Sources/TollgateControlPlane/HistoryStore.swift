import Crypto
import Foundation
import TollgateModel
import TollgateNginx
import TollgateSnapshot
import TollgateFiles

/// Persists every Gateway's snapshot history in the state directory, so a restarted controller
/// still lists the versions, diffs and agent reports operators need, and keeps numbering.
///
/// Layout under `directory` (0700):
/// - `blobs/SHA256`: each distinct file content once, 0600 (snapshots hold private keys); shared by
///   every version and Gateway that contains it, deleted when no kept version refers to it;
/// - `GATEWAY-ID.json`: the index of one Gateway's kept versions (files as path → sha256 and mode,
///   trigger, time, input generations, reports), 0600, replaced atomically.
///
/// The index is written by `HistoryIndexJSON` (what `JSONEncoder` would write, without its
/// intermediate tree) and read back with `JSONDecoder`.
///
/// Everything read back is checked (paths, hashes, version order); what does not check out is
/// skipped, never trusted and never a reason to fail the start.
public final class HistoryStore: @unchecked Sendable {
    let directory: String
    var blobs: String { (directory as NSString).appendingPathComponent("blobs") }
    private let lock = NSLock()
    /// The blobs each Gateway's index refers to, as last saved or read; nil until the indexes
    /// on disk were read once.
    private var referenced: [String: Set<String>] = [:]
    private var readIndexes = false

    public init(directory: String) {
        self.directory = directory
    }

    struct Index: Codable {
        var gateway: String
        var floor: UInt64
        var snapshots: [Entry]
    }

    struct Entry: Codable {
        var version: UInt64
        var digest: String
        var createdAt: Date
        var trigger: String
        var inputGenerations: [String: Int64]
        var files: [String: FileRef]
        var reports: [Report]
    }

    struct FileRef: Codable {
        var sha256: String
        var mode: UInt16
    }

    struct Report: Codable {
        var agentID: String
        var outcome: String
        var message: String
        var dryRun: Bool
    }

    /// Writes one Gateway's history (new blobs first, then the index), then removes blobs that no
    /// kept version of any Gateway refers to.
    /// `collect`: also delete unreferenced blobs (after a publish, when versions may have been evicted).
    public func save(_ history: SnapshotHistory, collect: Bool = true) {
        lock.withLock {
            do {
                try prepare()
                var entries: [Entry] = []
                var hashes = Set<String>()
                var newBlobs: [(path: String, contents: Data)] = []
                let reports = history.recordedReports
                for v in history.versions {
                    var files: [String: FileRef] = [:]
                    // The history knows every kept file's hash: nothing is hashed or rebuilt here,
                    // and only contents without a blob yet (the new version's) are read.
                    for (path, ref) in v.files {
                        let blob = (blobs as NSString).appendingPathComponent(ref.sha256)
                        if hashes.insert(ref.sha256).inserted, !FileManager.default.fileExists(atPath: blob) {
                            guard let contents = history.contents(sha256: ref.sha256) else { throw StoreError("no contents for \(blob)") }
                            newBlobs.append((blob, contents))
                        }
                        files[path] = FileRef(sha256: ref.sha256, mode: ref.mode)
                    }
                    entries.append(Entry(version: v.version, digest: v.digest, createdAt: v.createdAt, trigger: v.trigger,
                                         inputGenerations: v.inputGenerations, files: files,
                                         reports: (reports[v.version] ?? []).map {
                                             Report(agentID: $0.agentID, outcome: $0.outcome.rawValue, message: $0.message, dryRun: $0.dryRun)
                                         }))
                }
                // Every new blob is on disk before the index that names it.
                do { try BlobBatchWriter.write(newBlobs, directory: blobs) } catch { throw StoreError("cannot write \(error)") }
                let data = HistoryIndexJSON.encode(Index(gateway: history.gateway, floor: history.floor, snapshots: entries))
                guard PrivateFile.replace(data, at: indexPath(history.gateway), mode: 0o600) else { throw StoreError("cannot write the index of \(history.gateway)") }
                referenced[history.gateway] = hashes
                if collect { collectGarbage() }
            } catch {
                // Persisting is best effort: the in-memory history stays authoritative.
            }
        }
        // A save that records a report (`collect` false) happens outside a provider update, whose
        // end already returns freed memory to the system: hand back what this save freed.
        if !collect { HeapTrim.releaseFreeMemory() }
    }

    /// Every Gateway's history found on disk, checked. Each blob is read and checked once, so
    /// versions (and Gateways) that share a content share one buffer.
    public func load(capacity: Int) -> [String: SnapshotHistory] {
        lock.withLock {
            var out: [String: SnapshotHistory] = [:]
            var cache = BlobCache()
            for index in indexes() {
                var snapshots: [Snapshot] = []
                var reports: [UInt64: [AgentReport]] = [:]
                for entry in index.snapshots {
                    guard let files = files(entry.files, cache: &cache) else { continue }
                    let snap = Snapshot(gateway: index.gateway, version: entry.version, files: files, createdAt: entry.createdAt,
                                        trigger: entry.trigger, inputGenerations: entry.inputGenerations)
                    guard snap.digest == entry.digest else { continue }
                    snapshots.append(snap)
                    reports[entry.version] = entry.reports.compactMap { r in
                        AgentReport.Outcome(rawValue: r.outcome).map { AgentReport(agentID: r.agentID, outcome: $0, message: r.message, dryRun: r.dryRun) }
                    }
                }
                out[index.gateway] = SnapshotHistory(gateway: index.gateway, capacity: capacity, restoring: snapshots,
                                                     reports: reports, floor: index.floor)
            }
            return out
        }
    }

    // MARK: Internals

    private func prepare() throws {
        for d in [directory, blobs] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// A bounded file name for a Gateway ("ns/name" may be 317 characters): readable prefix + hash.
    func indexPath(_ gateway: String) -> String {
        let clean = String(String.UnicodeScalarView(gateway.unicodeScalars.map { u in
            ("a"..."z").contains(u) || ("0"..."9").contains(u) || u == "-" || u == "." ? u : "_"
        }))
        let digest = Hex.encode(SHA256.hash(data: Data(gateway.utf8)).prefix(8))
        return (directory as NSString).appendingPathComponent("\(clean.prefix(80))-\(digest).json")
    }

    private func indexes() -> [Index] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        var out: [Index] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), let index = try? d.decode(Index.self, from: data),
                  indexPath(index.gateway) == path else { continue }
            out.append(index)
        }
        return out
    }

    /// Blobs already read during one load, by sha256: `nil` for one missing or not hashing to its name.
    typealias BlobCache = [String: Data?]

    /// The files of one entry from their blobs; nil when a path is unsafe or a blob is missing or
    /// does not hash to its name.
    private func files(_ refs: [String: FileRef], cache: inout BlobCache) -> RenderedFiles? {
        var set = RenderedFiles()
        for (path, ref) in refs {
            guard PathSafety.isSafe(path), Self.isSHA256(ref.sha256) else { return nil }
            guard let data = blob(ref.sha256, cache: &cache) else { return nil }
            set.files[path] = RenderedFile(data: data, mode: ref.mode)
        }
        return set
    }

    /// The checked contents of one blob, read at most once per load.
    private func blob(_ sha256: String, cache: inout BlobCache) -> Data? {
        if let known = cache[sha256] { return known }
        var data = FileManager.default.contents(atPath: (blobs as NSString).appendingPathComponent(sha256))
        if let read = data, Hex.encode(SHA256.hash(data: read)) != sha256 { data = nil }
        cache[sha256] = .some(data)
        return data
    }

    /// Deletes the blobs no index refers to. The indexes on disk are read once (they may hold
    /// Gateways this process has not saved); after that, what each save wrote is known.
    private func collectGarbage() {
        if !readIndexes {
            for index in indexes() where referenced[index.gateway] == nil {
                referenced[index.gateway] = Set(index.snapshots.flatMap { $0.files.values.map(\.sha256) })
            }
            readIndexes = true
        }
        let live = referenced.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: blobs)) ?? [] where !live.contains(name) {
            try? FileManager.default.removeItem(atPath: (blobs as NSString).appendingPathComponent(name))
        }
    }

    static func isSHA256(_ s: String) -> Bool {
        s.utf8.count == 64 && s.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    struct StoreError: Error { var message: String; init(_ m: String) { message = m } }
}
