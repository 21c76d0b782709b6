import Foundation
import Logging
import TollgateControlPlane
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx
import TollgateSnapshot

/// The in-process part of the benchmark suite (bench/README.md, targets 1–3): for each generated
/// workload directory, text → typed objects → admission → store → `ControllerCore.update` (graph,
/// render, versioned snapshots), timed end to end and per stage, next to a bare parse of the same
/// text in the same run (libyaml events for YAML, `JSONSerialization` for JSON). At 10k routes,
/// also a one-route change through the core and the delta an agent holding the previous version
/// receives. Figures only.
struct PipelineBenchmark {
    /// One workload directory, read into memory before anything is timed.
    struct Workload {
        var directory: String
        var format: String
        var files: [DirectoryLoader.Text]
        var bytes: Int
        /// Route count from the first decode; set by `measure`.
        var routes = 0

        init(directory: String) throws {
            self.directory = directory
            let paths = try DirectoryLoader().manifestFiles(root: directory)
            var files: [DirectoryLoader.Text] = []
            for p in paths {
                guard let data = FileManager.default.contents(atPath: p), let text = String(data: data, encoding: .utf8) else {
                    throw BenchmarkFailure("\(p): unreadable or not UTF-8")
                }
                files.append(DirectoryLoader.Text(path: p, text: text))
            }
            guard !files.isEmpty else { throw BenchmarkFailure("\(directory): no manifest files") }
            self.files = files
            bytes = files.reduce(0) { $0 + $1.text.utf8.count }
            let jsonFiles = paths.filter { $0.hasSuffix(".json") }.count
            format = jsonFiles * 2 > paths.count ? "json" : "yaml"
        }
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Seconds of each stage of one run.
    struct Run {
        var decode = 0.0, admission = 0.0, reconcile = 0.0, endToEnd = 0.0, bareParse = 0.0
    }

    /// Medians of a workload's runs, and the stages measured apart (graph, render, snapshot).
    struct Figures {
        var workload: Workload
        var runs: [Run]
        var graph = 0.0, render = 0.0, snapshot = 0.0
        var objects = 0
        var label: String { PipelineBenchmark.label(workload.routes) }
        func median(_ k: KeyPath<Run, Double>) -> Double { Stats(runs.map { $0[keyPath: k] }).median }
    }

    /// The one-route change at the largest size.
    struct OneRoute {
        var label: String
        var routes: Int
        var publish: [Double]
        var wireBytes: [Int]
        var upsertBytes: [Int]
        var upsertFiles: [Int]
        var filesPerGateway: Int
        var firstReconcile: Double
        var otherGatewayVersions: Int
    }

    var quick: Bool
    var edits: Int

    /// A core as the controller makes it, logging only warnings (its info lines, a few per
    /// reconcile, would fill the part's log).
    static func core() -> ControllerCore {
        var logger = Logger(label: "tollgate.benchmark")
        logger.logLevel = .warning
        return ControllerCore(logger: logger)
    }

    // MARK: Measurement

    /// Runs of a workload: decode → admission → store → a fresh core's first update, and a bare
    /// parse of the same text. The last run's core and store are returned for the one-route change.
    func measure(_ w: inout Workload) async throws -> (Figures, ControllerCore, Store) {
        var runs: [Run] = []
        var core = Self.core()
        var store = Store()
        var objects = 0
        let count = runCount(bytes: w.bytes)
        for _ in 0..<count {
            var run = Run()
            // A fresh core, made (and the previous one freed) before the clock starts.
            core = Self.core()
            // The directory provider's steps: files decoded, then admitted, each on all cores.
            let start = ContinuousClock.now
            let decoded = DirectoryLoader.decode(w.files)
            let decodedAt = ContinuousClock.now
            var loaded = DirectoryLoader.Result()
            for admitted in DirectoryLoader.admit(decoded) {
                loaded.errors += admitted.errors
                for (o, l) in admitted.objects { DirectoryLoader.add(o, l, to: &loaded) }
            }
            let admittedAt = ContinuousClock.now
            await core.update(store: loaded.store, changed: Set(loaded.store.allKeys))
            let end = ContinuousClock.now
            guard loaded.errors.isEmpty else {
                throw BenchmarkFailure("\(w.directory): \(loaded.errors.count) errors, first: \(loaded.errors[0])")
            }
            run.decode = Self.seconds(decodedAt - start)
            run.admission = Self.seconds(admittedAt - decodedAt)
            run.reconcile = Self.seconds(end - admittedAt)
            run.endToEnd = Self.seconds(end - start)
            run.bareParse = bareParse(w)
            runs.append(run)
            store = loaded.store
            objects = loaded.sources.count
        }
        w.routes = store.httpRoutes.count
        var figures = Figures(workload: w, runs: runs, objects: objects)
        try await stages(store, core: core, into: &figures)
        return (figures, core, store)
    }

    /// Graph, render and snapshot publication measured one after the other (the core does the
    /// same steps inside `update`); checks every Gateway was published.
    private func stages(_ store: Store, core: ControllerCore, into f: inout Figures) async throws {
        let now = Date()
        var t = ContinuousClock.now
        let graph = GraphBuilder().build(store, now: now)
        f.graph = Self.seconds(ContinuousClock.now - t)
        var renderer = GatewayRenderer()
        t = ContinuousClock.now
        let rendered = renderer.render(graph)
        f.render = Self.seconds(ContinuousClock.now - t)
        t = ContinuousClock.now
        for (key, files) in rendered {
            var history = SnapshotHistory(gateway: GatewayRef(key).description)
            _ = history.publish(files: files, inputs: [:], trigger: "bench", at: now)
        }
        f.snapshot = Self.seconds(ContinuousClock.now - t)
        let published = await core.gatewayNames.count
        guard published == store.gateways.count, published == rendered.count else {
            throw BenchmarkFailure("\(f.workload.directory): \(store.gateways.count) Gateways, \(rendered.count) rendered, \(published) published")
        }
    }

    /// The same text through the bare parser of its format, in seconds.
    private func bareParse(_ w: Workload) -> Double {
        let start = ContinuousClock.now
        var sink = 0
        for f in w.files {
            if w.format == "json" {
                let object = try? JSONSerialization.jsonObject(with: Data(f.text.utf8))
                sink += object == nil ? 0 : 1
            } else {
                sink += LibYAMLBaseline.eventCount(f.text)
            }
        }
        precondition(sink > 0)
        return Self.seconds(ContinuousClock.now - start)
    }

    /// `edits` one-route changes through `core` (which holds the first reconcile of `store`): the
    /// time `update` takes to publish, and what an agent holding the previous version receives.
    func oneRoute(core: ControllerCore, store initial: Store, firstReconcile: Double) async throws -> OneRoute {
        var store = initial
        let keys = store.httpRoutes.keys.sorted()
        let edited = keys[keys.count / 2]
        guard let parent = store.httpRoutes[edited]?.spec.parentRefs?.first else { throw BenchmarkFailure("\(edited) has no parent") }
        let gw = GatewayRef(ObjectKey(kind: .gateway, namespace: parent.namespace ?? edited.namespace, name: parent.name))
        guard let history = await core.history(gateway: gw), let latest = history.latest else {
            throw BenchmarkFailure("\(gw) was not published")
        }
        // An agent of this build: it rebuilds spliced upserts from the files it holds.
        let hello = AgentHello(gateway: gw, agentID: "bench", appliedVersion: latest.version, appliedDigest: latest.digest,
                               fileHashes: history.fileHashes(version: latest.version) ?? latest.files.fileHashes,
                               acceptsSplices: true)
        let (session, stream) = await core.connect(hello: hello)
        var deliveries = stream.makeAsyncIterator()
        var out = OneRoute(label: Self.label(store.httpRoutes.count), routes: store.httpRoutes.count, publish: [], wireBytes: [],
                           upsertBytes: [], upsertFiles: [], filesPerGateway: latest.files.files.count,
                           firstReconcile: firstReconcile, otherGatewayVersions: 0)
        for i in 0..<edits {
            let before = await Self.latestVersions(core)
            var route = store.httpRoutes[edited]!
            route.spec.rules![0].matches![0].path!.value = "/edited/\(i)"
            route.metadata.generation = (route.metadata.generation ?? 1) + 1
            store.httpRoutes[edited] = route
            let t = ContinuousClock.now
            await core.update(store: store, changed: [edited])
            out.publish.append(Self.seconds(ContinuousClock.now - t))
            let after = await Self.latestVersions(core)
            guard after[gw] != before[gw] else { throw BenchmarkFailure("edit \(i) published no new version of \(gw)") }
            out.otherGatewayVersions += after.filter { $0.key != gw && before[$0.key] != $0.value }.count
            guard let d = await deliveries.next() else { throw BenchmarkFailure("no delivery for edit \(i)") }
            guard !d.full else { throw BenchmarkFailure("edit \(i): the agent holding the previous version got a full set") }
            out.wireBytes.append(try AgentWire.messages(d).reduce(0) { $0 + (try $1.serializedData().count) })
            out.upsertBytes.append(d.upserts.reduce(0) { $0 + $1.path.utf8.count + $1.file.contents.count })
            out.upsertFiles.append(d.upserts.count)
            await core.result(session: session, ApplyReport(version: d.version, outcome: .applied))
        }
        await core.disconnect(session: session)
        return out
    }

    static func latestVersions(_ core: ControllerCore) async -> [GatewayRef: UInt64] {
        var out: [GatewayRef: UInt64] = [:]
        for g in await core.gatewayNames { out[g] = await core.history(gateway: g)?.latest?.version }
        return out
    }

    /// More runs for small inputs, so their medians mean something; one at 50k.
    private func runCount(bytes: Int) -> Int {
        switch bytes {
        case ..<1_000_000: return quick ? 5 : 9
        case ..<10_000_000: return quick ? 2 : 3
        default: return quick ? 1 : 2
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// 100 → "100", 1000 → "1k", 10000 → "10k", 50000 → "50k".
    static func label(_ routes: Int) -> String {
        routes >= 1000 && routes % 1000 == 0 ? "\(routes / 1000)k" : "\(routes)"
    }
}

/// Median, percentiles and range of a sample.
struct Stats {
    var sorted: [Double]
    init(_ xs: [Double]) { sorted = xs.sorted() }
    var median: Double {
        guard !sorted.isEmpty else { return 0 }
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
    /// Nearest-rank percentile.
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
    var json: [String: Any] {
        ["median": median, "p90": percentile(90), "p99": percentile(99), "min": sorted.first ?? 0,
         "max": sorted.last ?? 0, "runs": sorted.count]
    }
}
