import Foundation
import Testing
import TollgateAgent
import TollgateControlPlane
import TollgateManifests
import TollgateModel
import TollgateProto
import TollgateSnapshot

/// The controller core driven directly (no network): versions, deltas, results and status.
@Suite struct ControllerCoreTests {
    static let gw = "default/gateway"
    static let ref = GatewayRef(namespace: "default", name: "gateway")

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

    func result(_ version: UInt64, _ outcome: Tollgate_V1_ApplyResult.Outcome, _ message: String = "", unbindable: [UInt32] = []) -> Tollgate_V1_ApplyResult {
        var r = Tollgate_V1_ApplyResult()
        r.version = version
        r.outcome = outcome
        r.message = message
        r.unbindablePorts = unbindable
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
        let history = await core.history(gateway: Self.ref)
        #expect((history?.latest?.version ?? 0) <= SnapshotHistory.maxVersion)
        _ = await drain(core, a, out)
    }

    @Test("A→B→A while B is being applied: the newest version is sent although its digest equals what the agent reported")
    func revertDuringApply() async throws {
        let a = try store()
        let core = ControllerCore()
        await core.update(store: a, changed: Set(a.allKeys))
        let (session, outbox) = try await core.connect(hello: hello())
        await core.result(session: session, result(1, .applied))
        // Edit B is published and sent; the agent has not answered yet (SIGSTOPped, say).
        var b = a
        let key = ObjectKey(kind: .httpRoute, namespace: "default", name: "secure-app")
        b.httpRoutes[key]?.spec.hostnames = ["b.example.com"]
        b.httpRoutes[key]?.metadata.generation = 2
        await core.update(store: b, changed: [key])
        // Back to A: same files as version 1, which the agent reported holding.
        var a2 = a
        a2.httpRoutes[key]?.metadata.generation = 3
        await core.update(store: a2, changed: [key])
        let history = try #require(await core.history(gateway: Self.ref))
        #expect(history.latest?.version == 3 && history.latest?.digest == history.snapshot(version: 1)?.digest)
        // The agent finishes B, then gets version 3 and applies it.
        await core.result(session: session, result(2, .applied))
        await core.result(session: session, result(3, .applied))
        let sent = await drain(core, session, outbox)
        #expect(sent.map(\.version) == [1, 2, 3], "version 3 must reach the agent, or NGINX keeps serving B")
        let applied = await core.history(gateway: Self.ref)?.reports(version: 3).first?.outcome
        #expect(applied == .applied)
    }

    @Test("history survives a restart: versions, reports and diffs come back from the state directory; an unchanged digest keeps its version")
    func historyPersists() async throws {
        let dir = try Processes.temporaryDirectory("history")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try store()
        let key = ObjectKey(kind: .httpRoute, namespace: "default", name: "secure-app")
        var b = a
        b.httpRoutes[key]?.spec.hostnames = ["b.example.com"]
        b.httpRoutes[key]?.metadata.generation = 2
        do {
            let core = ControllerCore(historyStore: HistoryStore(directory: dir.path))
            await core.update(store: a, changed: Set(a.allKeys))
            let (session, outbox) = try await core.connect(hello: hello())
            await core.result(session: session, result(1, .applied))
            await core.update(store: b, changed: [key])
            await core.result(session: session, result(2, .rejected, "[emerg] something"))
            _ = await drain(core, session, outbox)
        }
        let before = try #require(await ControllerCore(historyStore: HistoryStore(directory: dir.path)).history(gateway: Self.ref))
        #expect(before.all.map(\.version) == [1, 2])
        #expect(before.reports(version: 1).map(\.outcome) == [.applied] && before.reports(version: 2).first?.message == "[emerg] something")
        // Blobs holding private keys are 0600; each content is stored once.
        let blobs = dir.appendingPathComponent("blobs")
        for name in try FileManager.default.contentsOfDirectory(atPath: blobs.path) {
            let mode = try FileManager.default.attributesOfItem(atPath: blobs.appendingPathComponent(name).path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        // A restarted controller publishing the same inputs adds no version; a change continues at 3.
        let core = ControllerCore(historyStore: HistoryStore(directory: dir.path))
        await core.update(store: b, changed: Set(b.allKeys))
        #expect(await core.history(gateway: Self.ref)?.latest?.version == 2)
        await core.update(store: a, changed: [key])
        let after = try #require(await core.history(gateway: Self.ref))
        #expect(after.all.map(\.version) == [1, 2, 3] && after.latest?.digest == before.snapshot(version: 1)?.digest)
    }

    @Test("a port NGINX cannot bind is retried with backoff; the listener's message says when; success starts over")
    func portRetry() async throws {
        let s = try store()
        let core = ControllerCore(portRetryPolicy: .init(initial: .milliseconds(50), maximum: .seconds(1)))
        await core.update(store: s, changed: Set(s.allKeys))
        let (session, outbox) = try await core.connect(hello: hello())
        var messages = outbox.makeAsyncIterator()
        func next() async -> Tollgate_V1_Snapshot? {
            while let m = await messages.next() { if case .snapshot(let snap)? = m.kind { return snap } }
            return nil
        }
        func listenerMessage() async -> String {
            for d in await core.statusDocuments() {
                if case .gateway(let st) = d.status { return st.listeners.first?.conditions.first(ofType: ConditionType.accepted)?.message ?? "" }
            }
            return ""
        }
        let bind = "nginx: [emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)"
        #expect(await next()?.version == 1)
        await core.result(session: session, result(1, .rejected, bind, unbindable: [8080]))
        // Without the listener (version 2), then after the backoff with it again (version 3).
        let withoutListener = await next()
        #expect(withoutListener?.version == 2)
        let first = await listenerMessage()
        #expect(first.contains("next try in 50ms"), "\(first)")
        await core.result(session: session, result(2, .applied))
        let retry = await next()
        #expect(retry?.version == 3 && retry?.trigger.contains("retrying port 8080") == true)
        // Still taken: the next delay doubles. Version 4 (without the listener) has the digest the
        // agent already serves after its rollback, so nothing is sent for it.
        await core.result(session: session, result(3, .rejected, bind, unbindable: [8080]))
        let second = await listenerMessage()
        #expect(second.contains("next try in 100ms"), "\(second)")
        #expect(await core.history(gateway: Self.ref)?.reports(version: 4).first?.message == "already serving this digest")
        // Free now: the retry applies and the listener is accepted again.
        let third = await next()
        #expect(third?.version == 5 && third?.trigger.contains("retrying port 8080 (retry 2)") == true)
        await core.result(session: session, result(5, .applied))
        let last = await listenerMessage()
        #expect(!last.contains("could not be bound"), "\(last)")
        await core.disconnect(session: session)
    }

    @Test("an agent whose NGINX is down makes the Gateway Programmed=False/Pending until it serves again")
    func nginxDownInStatus() async throws {
        let s = try store()
        let core = ControllerCore()
        await core.update(store: s, changed: Set(s.allKeys))
        let (session, outbox) = try await core.connect(hello: hello())
        await core.result(session: session, result(1, .applied))
        #expect(await programmed(core)?.status == "True")
        await core.health(session: session, serving: false, reason: "NGINX cannot be started again: bind() failed")
        let down = await programmed(core)
        #expect(down?.status == "False" && down?.reason == Reason.pending && down?.message.contains("bind() failed") == true)
        await core.health(session: session, serving: true, reason: "")
        #expect(await programmed(core)?.status == "True")
        _ = await drain(core, session, outbox)
    }

    @Test("NGINX events become the serving state an agent reports")
    func servingState() async {
        let state = ServingState()
        var values = await state.watch().makeAsyncIterator()
        #expect(await values.next()?.serving == true)
        await state.note(.exited(pid: 7, status: 9))
        let down = await values.next()
        #expect(down?.serving == false && down?.reason.contains("pid 7") == true)
        await state.note(.restartFailed(message: "[emerg] bind() to 127.0.0.1:80 failed"))
        #expect(await values.next()?.reason.contains("cannot be started again") == true)
        await state.note(.started(pid: 8))
        #expect(await values.next()?.serving == true)
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
        #expect(Set(sentB[0].upserts.map(\.path)) == ["http.conf", "servers/port-8081.conf", "servers/port-8081/_default.conf", "servers/port-8081/secure-app.example.com.conf"]
                && Set(sentB[0].removals) == ["servers/port-8080.conf", "servers/port-8080/_default.conf", "servers/port-8080/secure-app.example.com.conf"])
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
        let latest = try #require(await core.history(gateway: Self.ref)?.latest)
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
