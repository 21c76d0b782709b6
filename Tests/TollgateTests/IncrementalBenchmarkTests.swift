import Foundation
import Testing
import TollgateControlPlane
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx
import TollgateSnapshot

/// A one-route change through `ControllerCore.update` with an agent connected that holds the
/// previous version: only the route's Gateway gets a new version, and the delta it receives is
/// the one server file of the route's hostname. With `TOLLGATE_INCREMENTAL_BENCH=1` it runs the
/// benchmark's shape at 10,000 routes and prints the times next to a full reconcile of the same
/// run (debug builds are 3–10× slower; `tollgate bench-incremental` gives the release figure).
@Suite struct IncrementalBenchmarkTests {
    static var benchmark: Bool { ProcessInfo.processInfo.environment["TOLLGATE_INCREMENTAL_BENCH"] == "1" }

    @Test("one-route change: one Gateway republished, the delta is one small server file")
    func oneRouteChange() async throws {
        let routes = Self.benchmark ? 10_000 : 400, gateways = Self.benchmark ? 10 : 4, hostnames = Self.benchmark ? 50 : 10
        let decoded = ManifestDecoder().decode(text: GeneratedRoutes.manifests(routes: routes, gateways: gateways, hostnames: hostnames), file: "bench.yaml")
        #expect(decoded.errors.isEmpty)
        var store = Store()
        for (o, _) in decoded.objects { store.upsert(o) }

        let core = ControllerCore()
        var t = ContinuousClock.now
        await core.update(store: store, changed: Set(store.allKeys))
        let full = ContinuousClock.now - t
        let edited = ObjectKey(kind: .httpRoute, namespace: "bench", name: "r\(routes / 2)")
        let gw = GatewayRef(ObjectKey(kind: .gateway, namespace: "bench", name: "gw\((routes / 2) % gateways)"))
        let history = try #require(await core.history(gateway: gw))
        let latest = try #require(history.latest)
        let (session, stream) = await core.connect(hello: AgentHello(
            gateway: gw, agentID: "bench", appliedVersion: latest.version, appliedDigest: latest.digest,
            fileHashes: history.fileHashes(version: latest.version) ?? latest.files.fileHashes))
        var deliveries = stream.makeAsyncIterator()
        let others = await Self.versions(core).filter { $0.key != gw }

        var times: [Duration] = []
        var sizes: [Int] = []
        for i in 0..<5 {
            store.httpRoutes[edited]!.spec.rules![0].matches![0].path!.value = "/changed/\(i)"
            t = ContinuousClock.now
            await core.update(store: store, changed: [edited])
            times.append(ContinuousClock.now - t)
            let d = try #require(await deliveries.next())
            #expect(!d.full && d.removals.isEmpty)
            #expect(d.upserts.map(\.path) == ["servers/port-\(10000 + (routes / 2) % gateways)/h\((routes / 2 / gateways) % hostnames).example.com.conf"])
            let bytes = try AgentWire.messages(d).reduce(0) { $0 + (try $1.serializedData().count) }
            #expect(bytes < 16 * 1024, "the delta is \(bytes) bytes")
            sizes.append(bytes)
            await core.result(session: session, ApplyReport(version: d.version, outcome: .applied))
        }
        // Unaffected Gateways get no new version.
        #expect(await Self.versions(core).filter { $0.key != gw } == others)
        await core.disconnect(session: session)
        if Self.benchmark {
            print("incremental benchmark (debug build): \(routes) routes, full reconcile \(full), one-route update median \(times.sorted()[2]), delta \(sizes.sorted()[2]) bytes")
        }
    }

    static func versions(_ core: ControllerCore) async -> [GatewayRef: UInt64] {
        var out: [GatewayRef: UInt64] = [:]
        for g in await core.gatewayNames { out[g] = await core.history(gateway: g)?.latest?.version }
        return out
    }
}
