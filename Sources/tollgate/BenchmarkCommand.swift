import ArgumentParser
import Foundation
import TollgateControlPlane
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

/// Without `--manifests`: prints how long the pure stages take for generated inputs (decode,
/// graph, render, unchanged re-render, one-route change), then how long decoding takes for large
/// objects and a large multi-document file, each also at half size so that linearity shows.
/// With `--manifests DIR` (repeatable, directories written by `bench/workload.py`): the pipeline
/// part of the benchmark suite (`PipelineBenchmark`), as a table or as the part file
/// (`--format json --out FILE`). Figures only; nothing asserts on them.
struct BenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measure decode, graph and render time for generated Gateways and HTTPRoutes.")

    @Option(help: "Route counts to measure, comma-separated.") var routes = "1000,10000"
    @Option(help: "Gateways the routes are spread over.") var gateways = 10
    @Option(help: "Distinct hostnames per Gateway.") var hostnames = 50
    @Option(help: "Size in MB of the generated multi-document manifest file for the decode figures (0 skips them).")
    var decodeMegabytes = 50
    @Option(help: "A workload directory written by bench/workload.py (repeatable): measure the pipeline on it.")
    var manifests: [String] = []
    @Option(help: "With --manifests: text (a table) or json (the benchmark suite's part file).")
    var format = "text"
    @Option(help: "With --format json: the file to write (default: standard output).")
    var out: String?
    @Flag(help: "With --manifests: fewer runs per size.") var quick = false
    @Option(help: "With --manifests: one-route edits to measure.") var edits: Int?
    @Option(help: "With --manifests: the workload (one of them) the one-route change is measured on (default: the largest).")
    var oneRoute: String?

    func run() async throws {
        if !manifests.isEmpty { return try await runWorkloads() }
        try runGenerated()
    }

    /// The pipeline part: every workload in order and, right after the `--one-route` workload (or
    /// the largest), a one-route change through that workload's core. With
    /// `--out`, the part file is rewritten after each step, so a run stopped at its time budget
    /// keeps what it measured.
    private func runWorkloads() async throws {
        guard format == "text" || format == "json" else { throw ValidationError("--format must be text or json") }
        let started = ContinuousClock.now
        let bench = PipelineBenchmark(quick: quick, edits: edits ?? (quick ? 10 : 30))
        var workloads = try manifests.map { try PipelineBenchmark.Workload(directory: $0) }
        let oneRouteAt = try oneRouteWorkload(workloads)
        var report = PipelineReport(figures: [], oneRoute: nil, seconds: 0)
        var oneRouteError: String?
        for i in workloads.indices {
            FileHandle.standardError.write(Data("benchmark: \(workloads[i].directory) (\(workloads[i].format), \(workloads[i].bytes / 1000) kB)\n".utf8))
            let (f, core, store) = try await bench.measure(&workloads[i])
            report.figures.append(f)
            if i == oneRouteAt, store.httpRoutes.count > 0 {
                // A failing one-route measurement is reported (its figures not met) with the
                // others, and makes the command fail at the end.
                do {
                    report.oneRoute = try await bench.oneRoute(core: core, store: store, firstReconcile: f.runs.last!.reconcile)
                } catch {
                    oneRouteError = "\(error)"
                    report.oneRouteFailure = (f.label, "\(error)")
                }
            }
            report.seconds = PipelineBenchmark.seconds(ContinuousClock.now - started)
            if format == "json", let out { try report.json().write(to: URL(fileURLWithPath: out)) }
        }
        if format == "json" {
            if out == nil { FileHandle.standardOutput.write(try report.json()) }
        } else {
            print(report.markdown)
        }
        if let oneRouteError { throw ValidationError("one-route change: \(oneRouteError)") }
    }

    /// The workload the one-route change is measured on: `--one-route`, else the one with the
    /// most bytes.
    func oneRouteWorkload(_ workloads: [PipelineBenchmark.Workload]) throws -> Int? {
        guard let oneRoute else { return workloads.indices.max { workloads[$0].bytes < workloads[$1].bytes } }
        guard let i = manifests.firstIndex(of: oneRoute) else { throw ValidationError("--one-route must be one of the --manifests directories") }
        return i
    }

    private func runGenerated() throws {
        let counts = routes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        print("routes  gateways  decode_ms  graph_ms  render_ms  rerender_unchanged_ms(rendered)  one_route_changed_ms(rendered)  nginx_bytes")
        for n in counts {
            let yaml = GeneratedRoutes.manifests(routes: n, gateways: gateways, hostnames: hostnames)
            var t = Date()
            let decoded = ManifestDecoder().decode(text: yaml, file: "generated.yaml")
            var store = Store()
            for (o, _) in decoded.objects { store.upsert(o) }
            let decodeMs = ms(since: t)
            precondition(decoded.errors.isEmpty, "generated manifests must decode: \(decoded.errors.prefix(3))")

            t = Date()
            let graph = GraphBuilder().build(store, now: Date())
            let graphMs = ms(since: t)

            var renderer = GatewayRenderer()
            t = Date()
            let files = renderer.render(graph)
            let renderMs = ms(since: t)
            let bytes = files.values.reduce(0) { $0 + $1.files.values.reduce(0) { $0 + $1.contents.count } }

            t = Date()
            _ = renderer.render(GraphBuilder().build(store, now: Date()))
            let unchangedMs = ms(since: t)
            let unchangedCount = renderer.lastRenderCount

            // Change one route's path: only its Gateway is rendered again.
            let key = store.httpRoutes.keys.sorted().first!
            store.httpRoutes[key]!.spec.rules![0].matches![0].path!.value = "/changed"
            t = Date()
            _ = renderer.render(GraphBuilder().build(store, now: Date()))
            let changedMs = ms(since: t)
            print(String(format: "%6d  %8d  %9.1f  %8.1f  %9.1f  %24.1f(%d)  %23.1f(%d)  %11d",
                         n, gateways, decodeMs, graphMs, renderMs, unchangedMs, unchangedCount, changedMs, renderer.lastRenderCount, bytes))
        }
        if decodeMegabytes > 0 { try decodeFigures() }
    }

    /// Decode time for a ~1 MiB ConfigMap (~10k keys), a Namespace with 10k labels and a
    /// `decodeMegabytes` MB multi-document file, each also at half size.
    private func decodeFigures() throws {
        let mib = 1_048_576
        let inputs: [(name: String, text: String)] = [
            ("configmap 0.5 MiB", Self.configMap(bytes: mib / 2)),
            ("configmap 1 MiB", Self.configMap(bytes: mib)),
            ("namespace 5k labels", Self.namespace(labels: 5_000)),
            ("namespace 10k labels", Self.namespace(labels: 10_000)),
            ("manifests \(decodeMegabytes / 2) MB", Self.manifestFile(bytes: decodeMegabytes * 1_000_000 / 2)),
            ("manifests \(decodeMegabytes) MB", Self.manifestFile(bytes: decodeMegabytes * 1_000_000)),
        ]
        print("")
        print("decode_input              bytes  objects  decode_ms  ms_per_MB")
        for (name, text) in inputs {
            let t = Date()
            let decoded = ManifestDecoder().decode(text: text, file: "generated.yaml")
            let decodeMs = ms(since: t)
            guard decoded.errors.isEmpty else {
                throw ValidationError("generated \(name) must decode: \(decoded.errors.prefix(3))")
            }
            let megabytes = Double(text.utf8.count) / Double(mib)
            print(name.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + String(format: "  %9d  %7d  %9.1f  %9.1f", text.utf8.count, decoded.objects.count, decodeMs, decodeMs / megabytes))
        }
    }

    private func ms(since t: Date) -> Double { Date().timeIntervalSince(t) * 1000 }

    /// A ConfigMap of about `bytes` bytes: one ~100-byte key per line (about 10k keys per MiB).
    static func configMap(bytes: Int) -> String {
        var y = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: bench}\ndata:\n"
        var i = 0
        while y.utf8.count < bytes {
            y += "  key-\(i).conf: \"value \(i) \(String(repeating: "v", count: 70))\"\n"
            i += 1
        }
        return y
    }

    /// A Namespace with `labels` labels.
    static func namespace(labels: Int) -> String {
        var y = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wide\n  labels:\n"
        for i in 0..<labels { y += "    example.com/label-\(i): value-\(i)\n" }
        return y
    }

    /// A Service, an EndpointSlice and an HTTPRoute per step, one document each, until the text
    /// has about `bytes` bytes.
    static func manifestFile(bytes: Int) -> String {
        var y = ""
        var i = 0
        while y.utf8.count < bytes {
            y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc\(i), namespace: bench}\nspec: {ports: [{name: http, port: 80, targetPort: 8080}]}\n"
            y += "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: svc\(i)-1, namespace: bench, labels: {kubernetes.io/service-name: svc\(i)}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints: [{addresses: [10.0.\(i / 250 % 250).\(i % 250 + 1)], conditions: {ready: true}}]\n"
            y += "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r\(i), namespace: bench}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [h\(i % 50).example.com]\n  rules:\n  - matches:\n    - path: {type: PathPrefix, value: /api/r\(i)}\n    - path: {type: Exact, value: /x/r\(i)}\n      headers: [{name: X-Version, value: v\(i % 3)}]\n    backendRefs: [{name: svc\(i), port: 80}]\n"
            i += 1
        }
        return y
    }
}
