import ArgumentParser
import Foundation
import TollgateControlPlane
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx
import TollgateProto
import TollgateSnapshot

/// Issue 9, targets 2 and 3: how long `ControllerCore.update` takes to publish a one-route change
/// among many routes, and how many bytes the delta an agent receives has. Printed next to the
/// same run's baselines: a from-scratch graph build and render, and the first (full) reconcile.
/// Figures only; nothing asserts on them.
struct IncrementalBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-incremental",
        abstract: "Measure a one-route change: reconcile-to-published time and the delta's wire size.",
        shouldDisplay: false)

    @Option(help: "HTTPRoutes (spread over the Gateways as `tollgate benchmark` does).") var routes = 10_000
    @Option(help: "Gateways the routes are spread over.") var gateways = 10
    @Option(help: "Distinct hostnames per Gateway.") var hostnames = 50
    @Option(help: "One-route edits to measure.") var edits = 20
    @Flag(help: "Persist histories in a temporary state directory (HistoryStore), as the controller does.")
    var historyStore = false

    func run() async throws {
        let yaml = GeneratedRoutes.manifests(routes: routes, gateways: gateways, hostnames: hostnames)
        let decoded = ManifestDecoder().decode(text: yaml, file: "generated.yaml")
        guard decoded.errors.isEmpty else { throw ValidationError("generated manifests must decode: \(decoded.errors.prefix(3))") }
        var store = Store()
        for (o, _) in decoded.objects { store.upsert(o) }

        // Baselines: a from-scratch graph build and a fresh render of every Gateway.
        var t = ContinuousClock.now
        let graph = GraphBuilder().build(store, now: Date())
        let graphMs = Self.ms(since: t)
        t = ContinuousClock.now
        var fresh = GatewayRenderer()
        let files = fresh.render(graph)
        let renderMs = Self.ms(since: t)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let core = ControllerCore(historyStore: historyStore ? HistoryStore(directory: dir) : nil)
        t = ContinuousClock.now
        let fullCPU = Self.cpuMs()
        await core.update(store: store, changed: Set(store.allKeys))
        let fullMs = Self.ms(since: t)
        let fullCPUMs = Self.cpuMs() - fullCPU

        // An agent for the Gateway of the edited route, holding the published version.
        let keys = store.httpRoutes.keys.sorted()
        let edited = keys[keys.count / 2]
        let gwName = store.httpRoutes[edited]!.spec.parentRefs![0].name
        let gw = GatewayRef(ObjectKey(kind: .gateway, namespace: edited.namespace, name: gwName))
        guard let history = await core.history(gateway: gw), let latest = history.latest else {
            throw ValidationError("\(gw) was not published")
        }
        let hello = AgentHello(gateway: gw, agentID: "bench", appliedVersion: latest.version, appliedDigest: latest.digest,
                               fileHashes: history.fileHashes(version: latest.version) ?? latest.files.fileHashes)
        let (session, stream) = await core.connect(hello: hello)
        var deliveries = stream.makeAsyncIterator()

        var times: [Double] = [], cpuTimes: [Double] = []
        var wire: [Int] = []
        var upserts: [Int] = []
        var versionsElsewhere = 0
        for i in 0..<edits {
            let before = await Self.latestVersions(core)
            var route = store.httpRoutes[edited]!
            route.spec.rules![0].matches![0].path!.value = "/changed/\(i)"
            route.metadata.generation = (route.metadata.generation ?? 1) + 1
            store.httpRoutes[edited] = route
            t = ContinuousClock.now
            let cpu = Self.cpuMs()
            await core.update(store: store, changed: [edited])
            times.append(Self.ms(since: t))
            cpuTimes.append(Self.cpuMs() - cpu)
            let after = await Self.latestVersions(core)
            versionsElsewhere += after.filter { $0.key != gw && before[$0.key] != $0.value }.count
            guard let d = await deliveries.next() else { throw ValidationError("no delivery for edit \(i)") }
            wire.append(try AgentWire.messages(d).reduce(0) { $0 + (try $1.serializedData().count) })
            upserts.append(d.upserts.count)
            await core.result(session: session, ApplyReport(version: d.version, outcome: .applied))
        }
        await core.disconnect(session: session)

        // The same kind of edits through the pure stages alone, to show where the time goes.
        var graphs = IncrementalGraphBuilder()
        var renderer = GatewayRenderer()
        _ = renderer.render(graphs.build(store, now: Date()))
        var graphTimes: [Double] = [], renderTimes: [Double] = []
        for i in 0..<edits {
            store.httpRoutes[edited]!.spec.rules![0].matches![0].path!.value = "/stage/\(i)"
            t = ContinuousClock.now
            let g = graphs.build(store, now: Date())
            graphTimes.append(Self.ms(since: t))
            t = ContinuousClock.now
            _ = renderer.render(g)
            renderTimes.append(Self.ms(since: t))
        }

        let bytes = files.values.reduce(0) { $0 + $1.files.values.reduce(0) { $0 + $1.contents.count } }
        print("routes \(routes), gateways \(gateways), hostnames/gateway \(hostnames), rendered bytes \(bytes), history store \(historyStore ? "on" : "off")")
        print(String(format: "baseline: graph from scratch %.1f ms, fresh render %.1f ms, first full reconcile (update) %.1f ms", graphMs, renderMs, fullMs))
        let sorted = times.sorted()
        print(String(format: "one-route update → published: median %.2f ms, min %.2f, max %.2f over %d edits",
                     sorted[sorted.count / 2], sorted.first!, sorted.last!, edits))
        print(String(format: "CPU time of the process (robust to other load): full reconcile %.1f ms, one-route update median %.2f ms",
                     fullCPUMs, cpuTimes.sorted()[edits / 2]))
        print("delta on the wire: median \(wire.sorted()[wire.count / 2]) bytes, max \(wire.max()!) bytes; upserted files per edit: \(Set(upserts).sorted())")
        print("new versions of other Gateways during the edits: \(versionsElsewhere)")
        print(String(format: "of which (pure stages alone, medians): incremental graph %.2f ms, render %.2f ms",
                     graphTimes.sorted()[edits / 2], renderTimes.sorted()[edits / 2]))
    }

    static func latestVersions(_ core: ControllerCore) async -> [GatewayRef: UInt64] {
        var out: [GatewayRef: UInt64] = [:]
        for g in await core.gatewayNames { out[g] = await core.history(gateway: g)?.latest?.version }
        return out
    }

    /// CPU time this process has used, in milliseconds.
    static func cpuMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    static func ms(since t: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
