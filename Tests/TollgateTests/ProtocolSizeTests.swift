import Foundation
import GRPCNIOTransportHTTP2
import Testing
import TollgateAgent
import TollgateControlPlane
import TollgateProto

/// No stream message may approach gRPC's 4 MiB limit, whatever the Gateway's size; idle agent
/// streams must not be dropped by the server's keepalive policy.
@Suite struct ProtocolSizeTests {
    static func snapshot(files: [(String, Int)], removals: Int, rng: inout SplitMix64) -> Tollgate_V1_Snapshot {
        var s = Tollgate_V1_Snapshot()
        s.gateway = "default/gw"
        s.version = 7
        s.digest = String(repeating: "d", count: 64)
        s.full = removals == 0
        s.trigger = "test"
        s.upserts = files.map { path, size in
            var u = Tollgate_V1_FileUpsert()
            u.path = path
            u.contents = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            u.mode = 0o644
            u.sha256 = String(repeating: "a", count: 64)
            return u
        }
        s.removals = (0..<removals).map { "servers/removed-\($0).conf" }
        return s
    }

    @Test("a version of any size is sent in parts under 1.1 MiB each and reassembled exactly")
    func partsRoundTrip() throws {
        var rng = SplitMix64(seed: 11)
        let shapes: [([(String, Int)], Int)] = [
            ([], 0),
            ([("nginx.conf", 0)], 3),
            ([("big.conf", 9 << 20)], 0),                                            // one file over 4 MiB
            ((0..<3000).map { ("servers/f\($0).conf", 2500) }, 20_000),              // many files and removals
            ((0..<5).map { ("m\($0)", (1 << 20) + Int.random(in: -5...5, using: &rng)) }, 1),  // sizes around the part size
        ]
        for (files, removals) in shapes {
            let whole = Self.snapshot(files: files, removals: removals, rng: &rng)
            let parts = SnapshotParts.split(whole)
            #expect(parts.last?.more == false && parts.dropLast().allSatisfy(\.more))
            for p in parts {
                var m = Tollgate_V1_ControllerMessage()
                m.snapshot = p
                let size = try m.serializedBytes() as [UInt8]
                #expect(size.count < (1 << 20) + (100 << 10), "a part of \(size.count) bytes")
            }
            var assembler = SnapshotAssembler()
            var result: Tollgate_V1_Snapshot?
            for p in parts { result = try assembler.add(p) }
            #expect(result == whole, "reassembled version differs (\(files.count) files, \(removals) removals)")
        }
    }

    @Test("parts that do not fit together are refused: another version mid-way, a piece of another file, an unfinished file")
    func assemblerRefusesMismatches() throws {
        var rng = SplitMix64(seed: 12)
        let parts = SnapshotParts.split(Self.snapshot(files: [("a", 3 << 20), ("b", 10)], removals: 0, rng: &rng))
        #expect(parts.count >= 3)
        var other = parts[1]
        other.version = 8
        var a = SnapshotAssembler()
        _ = try a.add(parts[0])
        #expect(throws: AgentError.self) { _ = try a.add(other) }
        var wrongPath = parts[1]
        wrongPath.upserts[0].path = "b"
        var b = SnapshotAssembler()
        _ = try b.add(parts[0])
        #expect(throws: AgentError.self) { _ = try b.add(wrongPath) }
        var cut = parts[0]
        cut.more = false
        var c = SnapshotAssembler()
        #expect(throws: AgentError.self) { _ = try c.add(cut) }
    }

    @Test("a hello with many file hashes is split into messages under 1 MiB")
    func helloSplits() throws {
        var hello = Tollgate_V1_Hello()
        hello.gateway = "default/gw"
        hello.agentID = "a"
        for i in 0..<40_000 { hello.fileHashes["servers/some-long-file-name-\(i).conf"] = String(repeating: "b", count: 64) }
        let messages = AgentClient.helloMessages(hello)
        #expect(messages.count == 8)
        var merged: [String: String] = [:]
        for (i, m) in messages.enumerated() {
            #expect(try (m.serializedBytes() as [UInt8]).count < 1 << 20)
            switch m.kind {
            case .hello(let h)?: #expect(i == 0 && h.moreFileHashes); merged.merge(h.fileHashes) { a, _ in a }
            case .fileHashes(let f)?: #expect(f.more == (i < messages.count - 1)); merged.merge(f.fileHashes) { a, _ in a }
            default: Issue.record("unexpected message \(i)")
            }
        }
        #expect(merged == hello.fileHashes)
    }

    @Test("the server permits the agents' keepalive pings (at the default policy it closed idle streams after three)")
    func keepalivePolicy() {
        let permitted = ControllerServer.transportConfig.connection.keepalive.clientBehavior
        #expect(permitted.minPingIntervalWithoutCalls <= AgentKeepalive.interval)
        #expect(permitted.allowWithoutCalls)
    }
}

/// The agent reads NGINX's bind() failures itself and reports the port as a field.
@Suite struct UnbindablePortTests {
    @Test("bind() lines give their port; anything else gives none")
    func parse() {
        #expect(NginxErrorLine.unbindablePort(in: "[emerg] bind() to 127.0.0.1:8443 failed (98: Address already in use)") == 8443)
        #expect(NginxErrorLine.unbindablePort(in: "[emerg] bind() to [::1]:80 failed (98: Address already in use)") == 80)
        #expect(NginxErrorLine.unbindablePort(in: "[emerg] bind() to 127.0.0.1:99999 failed") == nil)
        #expect(NginxErrorLine.unbindablePort(in: "[emerg] bind() to 127.0.0.1:½ failed") == nil)
        #expect(NginxErrorLine.unbindablePort(in: "[emerg] unknown directive \"x\"") == nil)
    }
}
