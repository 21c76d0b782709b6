import Foundation

/// The pipeline part file (bench/README.md): one entry per figure with its same-run baseline and
/// target, and markdown tables.
struct PipelineReport {
    var figures: [PipelineBenchmark.Figures]
    var oneRoute: PipelineBenchmark.OneRoute?
    var seconds: Double
    /// The size label and error of a one-route measurement that failed.
    var oneRouteFailure: (label: String, error: String)?

    init(figures: [PipelineBenchmark.Figures], oneRoute: PipelineBenchmark.OneRoute?, seconds: Double) {
        self.figures = figures
        self.oneRoute = oneRoute
        self.seconds = seconds
    }

    static var build: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    static func bareWhat(_ format: String) -> String {
        format == "json" ? "JSONSerialization.jsonObject of the same text" : "libyaml bare parse (events only) of the same text"
    }

    var entries: [[String: Any]] {
        var out: [[String: Any]] = []
        for f in figures {
            let w = f.workload
            let e2e = Stats(f.runs.map(\.endToEnd))
            let bare = f.median(\.bareParse)
            let is10k = f.label == "10k"
            var e = Self.entry(id: "pipeline-\(w.format)-\(f.label)", targetNo: 1,
                               what: "decode + admission + graph + render + snapshot (ControllerCore.update), \(w.routes) HTTPRoutes, \(w.format.uppercased()), \(w.files.count) files",
                               value: e2e.median, unit: "s", baseline: bare, baselineWhat: Self.bareWhat(w.format),
                               target: is10k ? "value < 1 s" : nil, met: is10k ? e2e.median < 1 : nil, stats: e2e.json)
            e["per_route_us"] = e2e.median / Double(max(w.routes, 1)) * 1e6
            e["stages"] = ["decode": f.median(\.decode), "admission": f.median(\.admission), "reconcile": f.median(\.reconcile),
                           "graph": f.graph, "render": f.render, "snapshot": f.snapshot]
            out.append(e)
            if is10k {
                let decode = Stats(f.runs.map(\.decode))
                out.append(Self.entry(id: "decode-\(w.format)-10k", targetNo: 1,
                                      what: "ManifestDecoder.decode of every file (text → typed objects), \(w.routes) HTTPRoutes, \(w.format.uppercased())",
                                      value: decode.median, unit: "s", baseline: bare, baselineWhat: Self.bareWhat(w.format),
                                      target: "ratio <= 2", met: bare > 0 ? decode.median / bare <= 2 : nil, stats: decode.json))
            }
        }
        if let o = oneRoute {
            let publish = Stats(o.publish)
            var p = Self.entry(id: "one-route-publish-\(o.label)", targetNo: 2,
                               what: "ControllerCore.update with one HTTPRoute changed until its Gateway's new version is published, \(o.routes) routes",
                               value: publish.median, unit: "s", baseline: o.firstReconcile,
                               baselineWhat: "the first (full) reconcile of the same store, same run",
                               target: "value < 0.05 s", met: publish.median < 0.05, stats: publish.json)
            // Target 2 also asks that unaffected Gateways stay untouched.
            p["other_gateway_versions"] = o.otherGatewayVersions
            out.append(p)
            let wire = Stats(o.wireBytes.map(Double.init))
            var d = Self.entry(id: "one-route-delta-\(o.label)", targetNo: 3,
                               what: "bytes on the wire (serialized snapshot messages) an agent holding the previous version receives for that change",
                               value: wire.median, unit: "bytes", baseline: nil, baselineWhat: nil,
                               target: "value < 16384", met: wire.median < 16384, stats: wire.json)
            d["upserted_files"] = Stats(o.upsertFiles.map(Double.init)).median
            d["upserted_bytes"] = Stats(o.upsertBytes.map(Double.init)).median
            d["gateway_files"] = o.filesPerGateway
            out.append(d)
        }
        if let (label, error) = oneRouteFailure {
            for (id, no, target) in [("one-route-publish-\(label)", 2, "value < 0.05 s"), ("one-route-delta-\(label)", 3, "value < 16384")] {
                var e = Self.entry(id: id, targetNo: no, what: "one-route change failed: \(error)", value: 0, unit: no == 2 ? "s" : "bytes",
                                   baseline: nil, baselineWhat: nil, target: target, met: false, stats: [:])
                e["value"] = NSNull()
                e["error"] = error
                out.append(e)
            }
        }
        return out
    }

    static func entry(id: String, targetNo: Int, what: String, value: Double, unit: String, baseline: Double?,
                      baselineWhat: String?, target: String?, met: Bool?, stats: [String: Any]) -> [String: Any] {
        let ratio: Double? = baseline.flatMap { $0 > 0 ? value / $0 : nil }
        return ["id": id, "target_no": targetNo, "what": what, "value": value, "unit": unit,
                "baseline": baseline ?? NSNull(), "baseline_what": baselineWhat ?? NSNull(), "ratio": ratio ?? NSNull(),
                "target": target ?? NSNull(), "met": met ?? NSNull(), "stats": stats]
    }

    func json() throws -> Data {
        let part: [String: Any] = ["part": "pipeline", "build": Self.build, "seconds": seconds, "benchmarks": entries,
                                   "markdown": markdown]
        return try JSONSerialization.data(withJSONObject: part, options: [.prettyPrinted, .sortedKeys])
    }

    var markdown: String {
        var md = "### End to end, in process (\(Self.build) build)\n\n"
        md += "Text already in memory → `ManifestDecoder` → admission → store → a fresh `ControllerCore.update` (graph, render, versioned snapshots), the directory provider's steps: files are decoded and admitted, routes resolved and Gateways rendered on all \(ProcessInfo.processInfo.activeProcessorCount) cores. Baseline: a bare parse of the same text in the same run, on one core.\n\n"
        md += "| workload | files | MB | end to end, median | p90 | min–max | runs | µs/route | bare parse | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n"
        for f in figures {
            let s = Stats(f.runs.map(\.endToEnd))
            let bare = f.median(\.bareParse)
            md += "| \(f.workload.format) \(f.label) | \(f.workload.files.count) | \(Self.f(Double(f.workload.bytes) / 1e6, 1)) | \(Self.secs(s.median)) | \(Self.secs(s.percentile(90))) | \(Self.secs(s.sorted.first ?? 0))–\(Self.secs(s.sorted.last ?? 0)) | \(s.sorted.count) | \(Self.f(s.median / Double(max(f.workload.routes, 1)) * 1e6, 1)) | \(Self.secs(bare)) | \(Self.f(bare > 0 ? s.median / bare : 0, 1))× |\n"
        }
        md += "\n### Stages (median; µs per route in parentheses)\n\n"
        md += "`reconcile` is the core's `update` (graph + render + snapshot + bookkeeping); graph, render and snapshot are also timed apart, once.\n\n"
        md += "| workload | decode | admission | reconcile | graph | render | snapshot |\n|---|---|---|---|---|---|---|\n"
        for f in figures {
            let n = Double(max(f.workload.routes, 1))
            func cell(_ x: Double) -> String { "\(Self.secs(x)) (\(Self.f(x / n * 1e6, 1)))" }
            md += "| \(f.workload.format) \(f.label) | \(cell(f.median(\.decode))) | \(cell(f.median(\.admission))) | \(cell(f.median(\.reconcile))) | \(cell(f.graph)) | \(cell(f.render)) | \(cell(f.snapshot)) |\n"
        }
        md += "\n### Decode against a bare parse (target 1: ratio ≤ 2)\n\n| workload | decode, median | bare parse | ratio |\n|---|---|---|---|\n"
        for f in figures {
            let d = f.median(\.decode), b = f.median(\.bareParse)
            md += "| \(f.workload.format) \(f.label) | \(Self.secs(d)) | \(Self.secs(b)) (\(Self.bareWhat(f.workload.format))) | \(Self.f(b > 0 ? d / b : 0, 2))× |\n"
        }
        if let (label, error) = oneRouteFailure {
            md += "\n### One-route change at \(label) routes (targets 2 and 3)\n\n**Failed:** \(error)\n"
        }
        if let o = oneRoute {
            let p = Stats(o.publish), w = Stats(o.wireBytes.map(Double.init)), u = Stats(o.upsertBytes.map(Double.init))
            md += "\n### One-route change at \(o.label) routes (targets 2 and 3)\n\n"
            md += "| figure | median | p90 | p99 | min–max | runs | baseline | ratio |\n|---|---|---|---|---|---|---|---|\n"
            md += "| update → published | \(Self.secs(p.median)) | \(Self.secs(p.percentile(90))) | \(Self.secs(p.percentile(99))) | \(Self.secs(p.sorted.first ?? 0))–\(Self.secs(p.sorted.last ?? 0)) | \(p.sorted.count) | first full reconcile \(Self.secs(o.firstReconcile)) | \(Self.f(p.median / max(o.firstReconcile, 1e-9), 3))× |\n"
            md += "| delta on the wire | \(Int(w.median)) B | \(Int(w.percentile(90))) B | \(Int(w.percentile(99))) B | \(Int(w.sorted.first ?? 0))–\(Int(w.sorted.last ?? 0)) B | \(w.sorted.count) | | |\n"
            md += "| upserted paths + contents | \(Int(u.median)) B | | | \(Int(u.sorted.first ?? 0))–\(Int(u.sorted.last ?? 0)) B | \(u.sorted.count) | | |\n\n"
            md += "Upserted files per edit: \(Set(o.upsertFiles).sorted().map(String.init).joined(separator: ", ")) of the Gateway's \(o.filesPerGateway); new versions of other Gateways during the edits: \(o.otherGatewayVersions). The edited file is not decoded again here (the process part's edit-to-served covers that).\n"
        }
        return md
    }

    static func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    /// Seconds with a unit that keeps three significant digits readable.
    static func secs(_ x: Double) -> String {
        if x >= 1 { return String(format: "%.2f s", x) }
        if x >= 0.001 { return String(format: "%.1f ms", x * 1000) }
        return String(format: "%.0f µs", x * 1e6)
    }
}
