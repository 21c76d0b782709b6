import Foundation
import Testing
@testable import TollgateControlPlane

/// The history index written without `JSONEncoder` is the document `JSONEncoder` writes: the
/// same bytes for ordinary values, and for awkward strings the same values read back.
@Suite struct HistoryIndexJSONTests {
    static func index(trigger: String, message: String, path: String) -> HistoryStore.Index {
        let t = Date(timeIntervalSince1970: 1_700_000_123)
        func entry(_ v: UInt64) -> HistoryStore.Entry {
            HistoryStore.Entry(
                version: v, digest: String(repeating: "ab", count: 32), createdAt: t.addingTimeInterval(Double(v)), trigger: trigger,
                inputGenerations: ["HTTPRoute ns/r\(v)": Int64(v), "Gateway ns/gw": 3, "Service ns/s": -1],
                files: [path: .init(sha256: String(repeating: "0f", count: 32), mode: 0o644),
                        "nginx.conf": .init(sha256: String(repeating: "e1", count: 32), mode: 0o600),
                        "servers/443-a.example.conf": .init(sha256: String(repeating: "77", count: 32), mode: 0o644)],
                reports: v == 2 ? [] : [.init(agentID: "agent-1", outcome: "applied", message: message, dryRun: false),
                                        .init(agentID: "agent-2", outcome: "dryRunRejected", message: "", dryRun: true)])
        }
        return HistoryStore.Index(gateway: "ns/gw", floor: 7, snapshots: [entry(1), entry(2), entry(UInt64(1) << 53)])
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    static func decode(_ data: Data) throws -> HistoryStore.Index {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try d.decode(HistoryStore.Index.self, from: data)
    }

    @Test("ordinary values: byte-identical to JSONEncoder with sorted keys and ISO 8601 dates")
    func sameBytes() throws {
        let index = Self.index(trigger: "HTTPRoute ns/r1 changed", message: "nginx: [emerg] bad", path: "certs/ns_tls.pem")
        let ours = HistoryIndexJSON.encode(index)
        let theirs = try Self.encoder().encode(index)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self))
    }

    @Test("quotes, backslashes, control characters and non-ASCII read back equal")
    func awkwardStrings() throws {
        let odd = "a\"b\\c/d\n\r\t\u{8}\u{c}\u{1}\u{1f} é ✓ 😀"
        let index = Self.index(trigger: odd, message: odd, path: "servers/\(odd).conf")
        let back = try Self.decode(HistoryIndexJSON.encode(index))
        let reference = try Self.decode(Self.encoder().encode(index))
        #expect(back.gateway == reference.gateway && back.floor == reference.floor)
        #expect(back.snapshots.count == 3)
        for (a, b) in zip(back.snapshots, reference.snapshots) {
            #expect(a.version == b.version && a.digest == b.digest && a.createdAt == b.createdAt && a.trigger == b.trigger)
            #expect(a.trigger == odd)
            #expect(a.inputGenerations == b.inputGenerations)
            #expect(a.files.mapValues { "\($0.sha256) \($0.mode)" } == b.files.mapValues { "\($0.sha256) \($0.mode)" })
            #expect(a.reports.map { "\($0.agentID)|\($0.outcome)|\($0.message)|\($0.dryRun)" }
                    == b.reports.map { "\($0.agentID)|\($0.outcome)|\($0.message)|\($0.dryRun)" })
        }
    }
}
