import Foundation
import Testing
import TollgateNginx
import TollgateSnapshot

/// The pure snapshot layer: digests, deltas, path safety, bounded history, unified diffs.
@Suite struct SnapshotTests {
    static func set(_ files: [String: (String, UInt16)]) -> FileSet {
        FileSet(files: files.mapValues { RenderedFile($0.0, mode: $0.1) })
    }

    static func set(_ files: [String: String]) -> FileSet {
        FileSet(files: files.mapValues { RenderedFile($0) })
    }

    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// Publishes and requires a new snapshot (`#require` cannot wrap a mutating call).
    static func published(_ h: inout SnapshotHistory, files: FileSet, inputs: [String: Int64] = [:],
                          trigger: String, at time: Date) throws -> Snapshot {
        let snapshot = h.publish(files: files, inputs: inputs, trigger: trigger, at: time)
        return try #require(snapshot)
    }

    // MARK: Delta

    @Test func deltaUpsertsChangedAndAddedAndRemovesMissing() {
        let target = Self.set(["nginx.conf": "main", "http.conf": "http v2", "certs/a.crt": "CERT"])
        let agent = [
            "nginx.conf": RenderedFile("main").sha256,      // unchanged
            "http.conf": RenderedFile("http v1").sha256,    // changed
            "old.conf": RenderedFile("gone").sha256,        // removed in target
            "agent/state.json": "whatever",                 // agent-owned: never removed
            "agent/probe/x": "whatever",
        ]
        let delta = Delta.compute(target: target, agentHashes: agent)
        #expect(delta.upserts == ["certs/a.crt", "http.conf"])
        #expect(delta.removals == ["old.conf"])
    }

    @Test func deltaIsEmptyWhenAgentHoldsTarget() {
        let target = Self.set(["nginx.conf": "main", "http.conf": "http"])
        let delta = Delta.compute(target: target, agentHashes: target.fileHashes)
        #expect(delta.upserts.isEmpty)
        #expect(delta.removals.isEmpty)
    }

    @Test func deltaAgainstEmptyAgentUpsertsEverything() {
        let target = Self.set(["b.conf": "b", "a.conf": "a"])
        let delta = Delta.compute(target: target, agentHashes: [:])
        #expect(delta.upserts == ["a.conf", "b.conf"])
        #expect(delta.removals.isEmpty)
    }

    @Test func applyingComputedDeltaReproducesTarget() {
        let base = Self.set(["nginx.conf": ("main", 0o644), "http.conf": ("http v1", 0o644), "old.conf": ("gone", 0o644)])
        let target = Self.set(["nginx.conf": ("main", 0o644), "http.conf": ("http v2", 0o644), "certs/a.key": ("KEY", 0o600)])
        let delta = Delta.compute(target: target, agentHashes: base.fileHashes)
        let upserts = Dictionary(uniqueKeysWithValues: delta.upserts.map { ($0, target.files[$0]!) })
        let result = Delta.apply(upserts: upserts, removals: delta.removals, to: base)
        #expect(result == target)
        #expect(result.digest == target.digest)
    }

    // MARK: Digest

    @Test func digestIndependentOfInsertionOrder() {
        var a = FileSet()
        a.files["nginx.conf"] = RenderedFile("main")
        a.files["http.conf"] = RenderedFile("http")
        a.files["certs/x.key"] = RenderedFile("KEY", mode: 0o600)
        var b = FileSet()
        b.files["certs/x.key"] = RenderedFile("KEY", mode: 0o600)
        b.files["http.conf"] = RenderedFile("http")
        b.files["nginx.conf"] = RenderedFile("main")
        #expect(a.digest == b.digest)
        #expect(a.digest.count == 64)
    }

    @Test func digestChangesWithModeContentsAndPath() {
        let base = Self.set(["x.conf": ("body", 0o644)])
        #expect(base.digest != Self.set(["x.conf": ("body", 0o600)]).digest)
        #expect(base.digest != Self.set(["x.conf": ("body2", 0o644)]).digest)
        #expect(base.digest != Self.set(["y.conf": ("body", 0o644)]).digest)
        #expect(base.digest != FileSet().digest)
    }

    @Test func digestFromHashesEqualsDigest() {
        let s = Self.set(["nginx.conf": ("main", 0o644), "certs/x.key": ("KEY", 0o600), "a/b/c.conf": ("c", 0o644)])
        let hashes = s.files.mapValues { (sha256: $0.sha256, mode: $0.mode) }
        #expect(FileSet.digest(hashes: hashes) == s.digest)
    }

    @Test func rawBytesInitializerMatchesTextInitializer() {
        let f = RenderedFile(contents: Data("abc\n".utf8), mode: 0o600)
        #expect(f == RenderedFile("abc\n", mode: 0o600))
        #expect(f.sha256 == "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb")
    }

    // MARK: Path safety

    @Test(arguments: ["../x", "/etc/passwd", "a/../../b", "a//b", "", "./a", "a/.", "a/", "a\\b", "a\0b", "..",
                      String(repeating: "a", count: PathSafety.maxLength + 1)])
    func unsafePathsAreRefused(_ path: String) {
        #expect(throws: PathSafety.Violation.self) { try PathSafety.validate(path) }
        #expect(!PathSafety.isSafe(path))
    }

    @Test func violationsNameThePath() throws {
        #expect(throws: PathSafety.Violation.traversal("a/../../b")) { try PathSafety.validate("a/../../b") }
        #expect(throws: PathSafety.Violation.absolute("/etc/passwd")) { try PathSafety.validate("/etc/passwd") }
        #expect(throws: PathSafety.Violation.emptyComponent("a//b")) { try PathSafety.validate("a//b") }
        #expect(throws: PathSafety.Violation.empty) { try PathSafety.validate("") }
        #expect(PathSafety.Violation.traversal("../x").description.contains("\"../x\""))
        #expect(PathSafety.Violation.absolute("/etc/passwd").description.contains("/etc/passwd"))
    }

    @Test(arguments: ["nginx.conf", "servers/port-80.conf", "certs/default-gw.key", "a..b/c", ".hidden", "a/...",
                      String(repeating: "a", count: PathSafety.maxLength)])
    func safePathsAreAccepted(_ path: String) throws {
        try PathSafety.validate(path)
        #expect(PathSafety.isSafe(path))
    }

    @Test func privateKeyDetection() {
        #expect(PathSafety.isPrivateKey("certs/default-gw.key"))
        #expect(!PathSafety.isPrivateKey("certs/default-gw.crt"))
        #expect(!PathSafety.isPrivateKey("keys.conf"))
    }

    // MARK: History

    @Test func historyKeepsTheNewestFifty() throws {
        var h = SnapshotHistory(gateway: "default/gw")
        #expect(h.capacity == 50)
        for i in 1...51 {
            let s = try Self.published(&h, files: Self.set(["n.conf": "v\(i)"]), inputs: ["Gateway default/gw": Int64(i)],
                                           trigger: "change \(i)", at: Self.t0.addingTimeInterval(Double(i)))
            #expect(s.version == UInt64(i))
            #expect(s.gateway == "default/gw")
        }
        #expect(h.all.count == 50)
        #expect(h.all.first?.version == 2)
        #expect(h.latest?.version == 51)
        #expect(h.snapshot(version: 1) == nil)
        #expect(h.snapshot(version: 2)?.trigger == "change 2")
        #expect(h.snapshot(version: 51)?.inputGenerations == ["Gateway default/gw": 51])
        #expect(h.snapshot(version: 51)?.createdAt == Self.t0.addingTimeInterval(51))
        #expect(zip(h.all, h.all.dropFirst()).allSatisfy { $0.version < $1.version })
    }

    @Test func evictionDropsReportsOfEvictedVersions() {
        var h = SnapshotHistory(gateway: "default/gw", capacity: 2)
        h.publish(files: Self.set(["n.conf": "1"]), trigger: "t", at: Self.t0)
        h.record(agentID: "a", version: 1, outcome: .rejected, message: "bad")
        #expect(h.isRejected(version: 1))
        h.publish(files: Self.set(["n.conf": "2"]), trigger: "t", at: Self.t0)
        h.publish(files: Self.set(["n.conf": "3"]), trigger: "t", at: Self.t0)
        #expect(h.all.map(\.version) == [2, 3])
        #expect(h.reports(version: 1).isEmpty)
        #expect(!h.isRejected(version: 1))
    }

    @Test func equalDigestPublishesNothing() throws {
        var h = SnapshotHistory(gateway: "default/gw")
        let first = try Self.published(&h, files: Self.set(["n.conf": "same"]), trigger: "initial", at: Self.t0)
        #expect(first.version == 1)
        #expect(first.digest == Self.set(["n.conf": "same"]).digest)
        #expect(h.publish(files: Self.set(["n.conf": "same"]), trigger: "resync", at: Self.t0.addingTimeInterval(5)) == nil)
        #expect(h.all.count == 1)
        #expect(h.latest?.trigger == "initial")
        // Going back to an older digest is a change relative to the latest, so it is a new version.
        let second = try Self.published(&h, files: Self.set(["n.conf": "other"]), trigger: "t", at: Self.t0)
        let third = try Self.published(&h, files: Self.set(["n.conf": "same"]), trigger: "t", at: Self.t0)
        #expect([second.version, third.version] == [2, 3])
    }

    @Test func raiseFloorContinuesAboveReportedVersions() throws {
        var h = SnapshotHistory(gateway: "default/gw")
        h.raiseFloor(to: 41)
        let s = try Self.published(&h, files: Self.set(["n.conf": "a"]), trigger: "restart", at: Self.t0)
        #expect(s.version == 42)
        h.raiseFloor(to: 10)  // never lowers
        let t = try Self.published(&h, files: Self.set(["n.conf": "b"]), trigger: "t", at: Self.t0)
        #expect(t.version == 43)
        h.raiseFloor(to: 100)
        let u = try Self.published(&h, files: Self.set(["n.conf": "c"]), trigger: "t", at: Self.t0)
        #expect(u.version == 101)
    }

    @Test func rejectedTracking() throws {
        var h = SnapshotHistory(gateway: "default/gw")
        let v1 = try Self.published(&h, files: Self.set(["n.conf": "good"]), trigger: "t", at: Self.t0).version
        let v2 = try Self.published(&h, files: Self.set(["n.conf": "bad"]), trigger: "t", at: Self.t0).version
        h.record(agentID: "agent-b", version: v1, outcome: .applied, message: "", dryRun: false)
        h.record(agentID: "agent-a", version: v1, outcome: .dryRunOK, message: "", dryRun: true)
        h.record(agentID: "agent-b", version: v2, outcome: .rejected,
                 message: "nginx: [emerg] unknown directive \"bogus\"", dryRun: false)
        #expect(!h.isRejected(version: v1))
        #expect(h.isRejected(version: v2))
        #expect(h.reports(version: v1).map(\.agentID) == ["agent-a", "agent-b"])
        #expect(h.reports(version: v1).map(\.outcome) == [.dryRunOK, .applied])
        #expect(h.reports(version: v2).first?.message.contains("bogus") == true)
        // A dry-run rejection counts too; unknown versions record nothing.
        let v3 = try Self.published(&h, files: Self.set(["n.conf": "bad2"]), trigger: "t", at: Self.t0).version
        h.record(agentID: "agent-a", version: v3, outcome: .dryRunRejected, message: "x", dryRun: true)
        #expect(h.isRejected(version: v3))
        h.record(agentID: "agent-a", version: 999, outcome: .rejected)
        #expect(h.reports(version: 999).isEmpty)
        // A later report from the same agent replaces its earlier one.
        h.record(agentID: "agent-b", version: v2, outcome: .applied)
        #expect(!h.isRejected(version: v2))
        #expect(h.reports(version: v2).count == 1)
    }

    // MARK: Unified diff

    static let httpV1 = """
        worker_processes 1;
        events {}
        http {
            server {
                listen 80;
                location / {
                    return 200;
                }
            }
        }

        """

    static let httpV2 = """
        worker_processes 1;
        events {}
        http {
            server {
                listen 8080;
                location / {
                    return 200;
                }
                location /tea {
                    proxy_pass http://tea;
                }
            }
        }

        """

    /// Checked against `diff -u --label a/… --label b/…` (and `/dev/null` for added/removed files).
    @Test func unifiedDiffMatchesDiffU() {
        let old = Self.set([
            "http.conf": (Self.httpV1, 0o644),
            "maps.conf": ("map $host $x {\n}\n", 0o644),
            "nginx.conf": ("include http.conf;\n", 0o644),
            "tail.conf": ("x\ny", 0o644),
        ])
        let new = Self.set([
            "http.conf": (Self.httpV2, 0o644),
            "nginx.conf": ("include http.conf;\n", 0o640),
            "tail.conf": ("x\nz", 0o644),
            "upstreams.conf": ("upstream tea {\n    server 10.0.0.1:80;\n}\n", 0o644),
        ])
        let expected = """
            --- a/http.conf
            +++ b/http.conf
            @@ -2,9 +2,12 @@
             events {}
             http {
                 server {
            -        listen 80;
            +        listen 8080;
                     location / {
                         return 200;
                     }
            +        location /tea {
            +            proxy_pass http://tea;
            +        }
                 }
             }
            --- a/maps.conf
            +++ /dev/null
            @@ -1,2 +0,0 @@
            -map $host $x {
            -}
            Mode of nginx.conf changed from 0644 to 0640
            --- a/tail.conf
            +++ b/tail.conf
            @@ -1,2 +1,2 @@
             x
            -y
            \\ No newline at end of file
            +z
            \\ No newline at end of file
            --- /dev/null
            +++ b/upstreams.conf
            @@ -0,0 +1,3 @@
            +upstream tea {
            +    server 10.0.0.1:80;
            +}

            """
        #expect(UnifiedDiff.files(from: old, to: new, redactKeys: true) == expected)
        #expect(UnifiedDiff.files(from: new, to: new, redactKeys: true) == "")
    }

    @Test func unifiedDiffSplitsDistantChangesIntoHunks() {
        let a = (1...20).map { "line \($0)\n" }.joined()
        var lines = (1...20).map { "line \($0)\n" }
        lines[1] = "changed 2\n"
        lines[18] = "changed 19\n"
        let b = lines.joined()
        let diff = UnifiedDiff.text(from: a, to: b, oldName: "a/f", newName: "b/f")
        #expect(diff == """
            --- a/f
            +++ b/f
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +changed 2
             line 3
             line 4
             line 5
            @@ -16,5 +16,5 @@
             line 16
             line 17
             line 18
            -line 19
            +changed 19
             line 20

            """)
    }

    @Test func privateKeysAreRedacted() {
        let secretOld = "-----BEGIN PRIVATE KEY-----\nOLDSECRETBYTES\n-----END PRIVATE KEY-----\n"
        let secretNew = "-----BEGIN PRIVATE KEY-----\nNEWSECRETBYTES\n-----END PRIVATE KEY-----\n"
        let old = Self.set(["certs/gw.key": (secretOld, 0o600), "certs/old.key": (secretOld, 0o600),
                            "certs/gw.crt": ("CERT1\n", 0o644)])
        let new = Self.set(["certs/gw.key": (secretNew, 0o600), "certs/new.key": (secretNew, 0o600),
                            "certs/gw.crt": ("CERT2\n", 0o644)])
        let diff = UnifiedDiff.files(from: old, to: new, redactKeys: true)
        #expect(diff.contains("Private key certs/gw.key changed (contents redacted)\n"))
        #expect(diff.contains("Private key certs/new.key added (contents redacted)\n"))
        #expect(diff.contains("Private key certs/old.key removed (contents redacted)\n"))
        #expect(!diff.contains("SECRET"))
        #expect(!diff.contains("PRIVATE KEY-----"))
        #expect(diff.contains("-CERT1\n+CERT2\n"))  // non-key files still diffed

        // Unchanged keys are not mentioned; without redaction the key is diffed like any file.
        #expect(UnifiedDiff.files(from: old, to: old, redactKeys: true) == "")
        #expect(UnifiedDiff.files(from: old, to: new, redactKeys: false).contains("+NEWSECRETBYTES"))
    }

    @Test func binaryFilesAreNotPrinted() {
        let old = FileSet(files: ["blob.bin": RenderedFile(contents: Data([0, 1, 2]), mode: 0o644)])
        let new = FileSet(files: ["blob.bin": RenderedFile(contents: Data([0, 1, 3]), mode: 0o644)])
        #expect(UnifiedDiff.files(from: old, to: new, redactKeys: true) == "Binary files a/blob.bin and b/blob.bin differ\n")
    }

    @Test func lineDiffHandlesLargeRewrites() {
        // Whole-file replacement and a big file with one change stay correct (and fast).
        let a = (0..<3000).map { "a\($0)\n" }.joined()
        let b = (0..<3000).map { "b\($0)\n" }.joined()
        let diff = UnifiedDiff.text(from: a, to: b, oldName: "a/f", newName: "b/f")
        #expect(diff.hasPrefix("--- a/f\n+++ b/f\n@@ -1,3000 +1,3000 @@\n-a0\n"))
        #expect(diff.split(separator: "\n").filter { $0.hasPrefix("-a") }.count == 3000)
        #expect(diff.split(separator: "\n").filter { $0.hasPrefix("+b") }.count == 3000)

        var lines = (0..<5000).map { "l\($0)\n" }
        lines[2500] = "x\n"
        let one = UnifiedDiff.text(from: (0..<5000).map { "l\($0)\n" }.joined(), to: lines.joined(), oldName: "a/f", newName: "b/f")
        #expect(one.contains("@@ -2498,7 +2498,7 @@\n"))
        #expect(one.split(separator: "\n").count == 2 + 1 + 7 + 1)
    }
}
