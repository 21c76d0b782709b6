import Foundation
import Testing
import TollgateControlPlane
import TollgateSnapshot

/// A history holds each distinct file content once: versions share the buffers of equal contents,
/// contents leave with the last version that holds them, and a restored history shares the same way.
@Suite struct HistorySharingTests {
    static let fileCount = 6
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// Version `n` of a set of `fileCount` files; `routes.conf` differs in each version. Every
    /// call renders new buffers, as the renderer does.
    static func version(_ n: Int) -> FileSet {
        var files: [String: RenderedFile] = [:]
        for i in 0..<(fileCount - 1) {
            files["servers/port-\(8080 + i).conf"] = RenderedFile(String(repeating: "server \(i);\n", count: 40))
        }
        files["routes.conf"] = RenderedFile(String(repeating: "location /v\(n) {}\n", count: 40))
        return FileSet(files: files)
    }

    /// An input key long enough to live in its own heap buffer.
    static let routeKey = "HTTPRoute default/a-route-name-longer-than-fifteen-bytes"

    static func history(versions: Int, capacity: Int = 50) -> SnapshotHistory {
        var h = SnapshotHistory(gateway: "default/gw", capacity: capacity)
        for n in 1...versions {
            h.publish(files: version(n), inputs: [routeKey: Int64(n), "Gateway default/gw": 1], trigger: "edit \(n)",
                      at: t0.addingTimeInterval(Double(n)))
        }
        return h
    }

    /// The address of a file's bytes: equal for two files that share one buffer.
    static func address(_ s: Snapshot?, _ path: String) -> UnsafeRawPointer? {
        s?.files.files[path]?.contents.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test("N versions differing in one file hold files + N - 1 contents, and read back byte-identical")
    func distinctContentsAreStoredOnce() {
        let n = 12
        let h = Self.history(versions: n)
        #expect(h.all.count == n)
        #expect(h.distinctContentCount == Self.fileCount + n - 1)
        for snap in h.all {
            #expect(snap.files == Self.version(Int(snap.version)))
            #expect(snap.digest == Self.version(Int(snap.version)).digest)
            #expect(h.fileHashes(version: snap.version) == Self.version(Int(snap.version)).fileHashes)
        }
        // Unchanged files of the first and last version are one buffer.
        #expect(Self.address(h.snapshot(version: 1), "servers/port-8080.conf") != nil)
        #expect(Self.address(h.snapshot(version: 1), "servers/port-8080.conf") == Self.address(h.latest, "servers/port-8080.conf"))
        #expect(Self.address(h.snapshot(version: 1), "routes.conf") != Self.address(h.latest, "routes.conf"))
    }

    @Test("contents leave the pool with the last version that holds them")
    func evictedVersionsReleaseTheirContents() {
        let capacity = 5
        var h = Self.history(versions: 20, capacity: capacity)
        #expect(h.all.map(\.version) == Array(16...20))
        #expect(h.distinctContentCount == Self.fileCount + capacity - 1)
        let sharedBytes = Self.version(1).files.filter { $0.key != "routes.conf" }.values.reduce(0) { $0 + $1.contents.count }
        let routesBytes = (16...20).reduce(0) { $0 + Self.version($1).files["routes.conf"]!.contents.count }
        #expect(h.distinctContentBytes == sharedBytes + routesBytes)
        // Going back to an evicted version's contents stores them again; a version equal to the
        // latest is not published and adds nothing.
        h.publish(files: Self.version(1), trigger: "revert", at: Self.t0)
        #expect(h.latest?.version == 21 && h.distinctContentCount == Self.fileCount + capacity - 1)
        #expect(h.publish(files: Self.version(1), trigger: "same", at: Self.t0) == nil)
        #expect(h.distinctContentCount == Self.fileCount + capacity - 1)
        #expect(h.latest?.files == Self.version(1))
    }

    @Test("a content that comes back at another path or version shares the pooled buffer")
    func returningContentIsShared() {
        var h = SnapshotHistory(gateway: "default/gw")
        h.publish(files: FileSet(files: ["a.conf": RenderedFile(String(repeating: "A", count: 100))]), trigger: "1", at: Self.t0)
        h.publish(files: FileSet(files: ["b.conf": RenderedFile(String(repeating: "A", count: 100))]), trigger: "2", at: Self.t0)
        #expect(h.all.count == 2 && h.distinctContentCount == 1)
        #expect(Self.address(h.snapshot(version: 1), "a.conf") == Self.address(h.latest, "b.conf"))
        // A mode-only change is a new version with the same content.
        h.publish(files: FileSet(files: ["b.conf": RenderedFile(String(repeating: "A", count: 100), mode: 0o600)]), trigger: "3", at: Self.t0)
        #expect(h.all.count == 3 && h.distinctContentCount == 1 && h.latest?.files.files["b.conf"]?.mode == 0o600)
    }

    /// The address of the bytes of `key` as stored in a version's input generations.
    static func keyAddress(_ s: Snapshot?, _ key: String) -> UnsafeRawPointer? {
        guard var stored = s?.inputGenerations.keys.first(where: { $0 == key }) else { return nil }
        return stored.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test("versions share the keys of their input generations and keep their own values")
    func inputKeysAreShared() {
        let key = Self.routeKey
        func inputs(_ generation: Int64, extra: Bool) -> [String: Int64] {
            var out = [String(decoding: Array(key.utf8), as: UTF8.self): generation, "Gateway default/gw": 1]
            if extra { out["Service default/an-added-service"] = 3 }
            return out
        }
        var h = SnapshotHistory(gateway: "default/gw")
        h.publish(files: Self.version(1), inputs: inputs(1, extra: false), trigger: "1", at: Self.t0)
        h.publish(files: Self.version(2), inputs: inputs(2, extra: true), trigger: "2", at: Self.t0)
        h.publish(files: Self.version(3), inputs: inputs(2, extra: false), trigger: "3", at: Self.t0)
        #expect(h.all.map(\.inputGenerations) == [inputs(1, extra: false), inputs(2, extra: true), inputs(2, extra: false)])
        #expect(Self.keyAddress(h.snapshot(version: 1), key) != nil)
        #expect(Self.keyAddress(h.snapshot(version: 1), key) == Self.keyAddress(h.latest, key))
    }

    @Test("a history restored from the store shares buffers the same way")
    func persistenceRoundTripKeepsSharing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("history-sharing-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 8
        let original = Self.history(versions: n)
        HistoryStore(directory: dir.path).save(original)
        let blobs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("blobs").path)
        #expect(blobs.count == Self.fileCount + n - 1)

        let restored = try #require(HistoryStore(directory: dir.path).load(capacity: 50)["default/gw"])
        #expect(restored.all.map(\.version) == original.all.map(\.version))
        #expect(restored.all.map(\.files) == original.all.map(\.files))
        #expect(restored.all.map(\.digest) == original.all.map(\.digest))
        #expect(restored.distinctContentCount == Self.fileCount + n - 1)
        #expect(Self.address(restored.snapshot(version: 1), "servers/port-8080.conf") == Self.address(restored.latest, "servers/port-8080.conf"))
        for v in 1...UInt64(n) { #expect(restored.fileHashes(version: v) == original.fileHashes(version: v)) }
        #expect(restored.all.map(\.inputGenerations) == original.all.map(\.inputGenerations))
        #expect(Self.keyAddress(restored.latest, Self.routeKey) != nil)
        #expect(Self.keyAddress(restored.snapshot(version: 1), Self.routeKey) == Self.keyAddress(restored.latest, Self.routeKey))
    }

    /// Version `n` of a large Gateway: one big file where route `n % routes` has its path edited,
    /// plus a small file.
    static func large(_ n: Int, edited route: Int, routes: Int = 400) -> FileSet {
        var text = ""
        for r in 0..<routes { text += "location /route-\(r)\(r == route ? "-v\(n)" : "") { proxy_pass http://backend-\(r); }\n" }
        return FileSet(files: ["http.conf": RenderedFile(text), "nginx.conf": RenderedFile("include http.conf;\n")])
    }

    @Test("older versions of a large edited file are held as deltas, read back byte-identical, also after eviction, a revert and a restore")
    func olderContentsAreDeltas() throws {
        var h = SnapshotHistory(gateway: "default/gw", capacity: 10)
        var published: [UInt64: FileSet] = [:]
        for n in 1...25 {
            let files = Self.large(n, edited: (n * 7) % 400)
            let s = h.publish(files: files, trigger: "edit \(n)", at: Self.t0)
            published[try #require(s).version] = files
        }
        // A revert to an evicted version's content, and to a kept older version's content.
        for n in [3, 20] {
            let files = Self.large(n, edited: (n * 7) % 400)
            let s = h.publish(files: files, trigger: "revert to \(n)", at: Self.t0)
            published[try #require(s).version] = files
        }
        #expect(h.versions.count == 10)
        for s in h.all {
            #expect(s.files == published[s.version], "version \(s.version)")
            #expect(s.digest == published[s.version]!.digest)
            #expect(h.snapshot(version: s.version)?.files == published[s.version])
            #expect(h.fileHashes(version: s.version) == published[s.version]!.fileHashes)
        }
        // Ten versions of a ~24 KB file: one held whole, the others as a few dozen bytes each.
        let whole = Self.large(1, edited: 0).files["http.conf"]!.contents.count
        #expect(h.distinctContentBytes > 9 * whole)
        #expect(h.storedContentBytes < 2 * whole, "stored \(h.storedContentBytes) bytes for \(h.distinctContentBytes)")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("history-deltas-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        HistoryStore(directory: dir.path).save(h)
        let restored = try #require(HistoryStore(directory: dir.path).load(capacity: 10)["default/gw"])
        #expect(restored.all.map(\.files) == h.all.map(\.files))
        #expect(restored.storedContentBytes < 2 * whole)
        // Blobs hold whole contents, one per distinct content.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("blobs").path)
        #expect(blobs.count == h.distinctContentCount)
        for v in h.versions {
            for ref in v.files.values {
                let data = try Data(contentsOf: dir.appendingPathComponent("blobs/\(ref.sha256)"))
                #expect(RenderedFile(data: data).sha256 == ref.sha256)
            }
        }
    }
}
