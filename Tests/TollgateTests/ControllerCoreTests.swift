import Foundation
import Testing
import TollgateControlPlane
import TollgateManifests
import TollgateModel
import TollgateProto
import TollgateSnapshot

/// The controller core driven directly (no network): versions, deltas, results and status.
@Suite struct ControllerCoreTests {
    static let gw = "default/gateway"

    func store() throws -> Store {
        try DirectoryLoader().load(roots: [Fixtures.golden.appendingPathComponent("shared").path,
                                           Fixtures.golden.appendingPathComponent("backend-mtls-guide/input").path]).store
    }

    func hello(version: UInt64 = 0, digest: String = "", hashes: [String: String] = [:], dryRun: Bool = false, id: String = "a1") -> Tollgate_V1_Hello {
        var h = Tollgate_V1_Hello()
        h.gateway = Self.gw
        h.agentID = id
        h.appliedVersion = version
        h.appliedDigest = digest
        h.fileHashes = hashes
        h.dryRun = dryRun
        return h
    }

    func result(_ version: UInt64, _ outcome: Tollgate_V1_ApplyResult.Outcome, _ message: String = "") -> Tollgate_V1_ApplyResult {
        var r = Tollgate_V1_ApplyResult()
        r.version = version
        r.outcome = outcome
        r.message = message
        return r
    }

    /// Everything a session's outbox received, after the session is closed.
    func drain(_ core: ControllerCore, _ session: Int, _ outbox: AsyncStream<Tollgate_V1_ControllerMessage>) async -> [Tollgate_V1_Snapshot] {
        await core.disconnect(session: session)
        var out: [Tollgate_V1_Snapshot] = []
        for await m in outbox { if case .snapshot(let s)? = m.kind { out.append(s) } }
        return out
    }

    func programmed(_ core: ControllerCore) async -> Condition? {
        for d in await core.statusDocuments() {
            if case .gateway(let st) = d.status, d.metadata.name == "gateway" { return st.conditions.first(ofType: ConditionType.programmed) }
        }
        return nil
    }

    @Test("a hostile agent cannot crash the controller or touch another Gateway: absurd versions, names and paths are refused")
    func hostileAgentHello() async throws {
        let s = try store()
        let core = ControllerCore()
        await core.update(store: s, changed: Set(s.allKeys))
        var refused: [Tollgate_V1_Hello] = []
        var h = hello(version: UInt64.max); refused.append(h)
        h = hello(); h.gateway = "default/gate\nway"; refused.append(h)
        h = hello(); h.gateway = "../etc"; refused.append(h)
        h = hello(); h.agentID = "a\nINFO forged log line"; refused.append(h)
        h = hello(hashes: ["../../etc/passwd": String(repeating: "0", count: 64)]); refused.append(h)
        h = hello(hashes: ["nginx.conf": "not-a-digest"]); refused.append(h)
        for bad in refused {
            await #expect(throws: HelloRefusal.self) { _ = try await core.connect(hello: bad) }
        }
        // The highest acceptable version: numbering saturates instead of overflowing.
        let (a, out) = try await core.connect(hello: hello(version: SnapshotHistory.maxVersion))
        var changed = s
        let key = ObjectKey(kind: .httpRoute, namespace: "default", name: "secure-app")
        changed.httpRoutes[key]?.spec.hostnames = ["other.example.com"]
        await core.update(store: changed, changed: [key])
        let history = await core.history(gateway: Self.gw)
        #expect((history?.latest?.version ?? 0) <= SnapshotHistory.maxVersion)
        _ = await drain(core, a, out)
    }

    @Test("apply, reject with NGINX's line, no re-send, dry-run never programs, same digest sends nothing")
    func lifecycle() async throws {
        var s = try store()
        let core = ControllerCore()
        await core.update(store: s, changed: Set(s.allKeys))
        #expect(await programmed(core)?.reason == Reason.pending)

        // First contact: the full set of version 1.
        let (a, outA) = try await core.connect(hello: hello())
        await core.result(session: a, result(1, .applied))
        let sentA = await drain(core, a, outA)
        #expect(sentA.count == 1 && sentA[0].version == 1 && sentA[0].full)
        let v1 = sentA[0]
        #expect(await programmed(core)?.isTrue == true)
        let v1Hashes = Dictionary(uniqueKeysWithValues: v1.upserts.map { ($0.path, $0.sha256) })

        // Generation 2 of the Gateway: a delta; the agent rejects it with NGINX's line.
        let key = ObjectKey(kind: .gateway, namespace: "default", name: "gateway")
        s.gateways[key]!.metadata.generation = 2
        s.gateways[key]!.spec.listeners[0].port = 8081
        let (b, outB) = try await core.connect(hello: hello(version: 1, digest: v1.digest, hashes: v1Hashes))
        await core.update(store: s, changed: [key])
        await core.result(session: b, result(2, .rejected, "[emerg] unknown directive \"x\" in http.conf:3"))
        let sentB = await drain(core, b, outB)
        #expect(sentB.map(\.version) == [2] && !sentB[0].full)
        #expect(Set(sentB[0].upserts.map(\.path)) == ["http.conf", "servers/port-8081.conf"] && sentB[0].removals == ["servers/port-8080.conf"])
        let rejected = await programmed(core)
        #expect(rejected?.reason == Reason.invalid && rejected?.observedGeneration == 2)
        #expect(rejected?.message.contains("[emerg] unknown directive") == true)

        // The rejected version is not sent again, not even on a new stream.
        let (c, outC) = try await core.connect(hello: hello(version: 1, digest: v1.digest, hashes: v1Hashes))
        #expect(await drain(core, c, outC).isEmpty)

        // A dry-run agent gets version 2 but never makes the Gateway Programmed.
        s.gateways[key]!.metadata.generation = 3
        s.gateways[key]!.spec.listeners[0].port = 8082
        await core.update(store: s, changed: [key])
        let (d, outD) = try await core.connect(hello: hello(dryRun: true, id: "dry"))
        await core.result(session: d, result(3, .dryRunOk))
        #expect(await drain(core, d, outD).map(\.version) == [3])
        #expect(await programmed(core)?.isTrue == false)

        // An agent already holding the latest digest gets nothing and counts as applied.
        let latest = try #require(await core.history(gateway: Self.gw)?.latest)
        let (e, outE) = try await core.connect(hello: hello(version: 3, digest: latest.digest, hashes: latest.files.fileHashes, id: "e"))
        #expect(await drain(core, e, outE).isEmpty)
        let ok = await programmed(core)
        #expect(ok?.isTrue == true && ok?.observedGeneration == 3)
    }

    @Test("versions continue above what agents report")
    func floor() async throws {
        let s = try store()
        let core = ControllerCore()
        let (a, outA) = try await core.connect(hello: hello(version: 41, digest: String(repeating: "a", count: 64), hashes: ["nginx.conf": String(repeating: "0", count: 64)]))
        await core.update(store: s, changed: Set(s.allKeys))
        let sent = await drain(core, a, outA)
        #expect(sent.map(\.version) == [42])
    }
}
