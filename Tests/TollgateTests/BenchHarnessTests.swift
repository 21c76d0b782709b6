import Foundation
import Testing

/// The benchmark harness (bench/README.md) run for real at a tiny size: `bench/workload.py` writes
/// manifests that decode without errors, whose Gateways and routes are all accepted and whose
/// rendered configuration passes `nginx -t`; `tollgate benchmark --manifests` writes a part file
/// of the documented shape; `bench/aggregate.py` computes `met` from targets and reports failed
/// parts and figures not measured. No timing is asserted.
@Suite(.serialized) struct BenchHarnessTests {
    static let root = Fixtures.repositoryRoot

    /// Runs `bench/workload.py ARGS --out DIR --certs CERTS`.
    static func workload(_ args: [String], out: URL, certs: URL) throws {
        let r = try Processes.run("python3", ["-B", root.appendingPathComponent("bench/workload.py").path] + args
                                  + ["--out", out.path, "--certs", certs.path])
        #expect(r.status == 0, "workload.py: \(r.stderr)")
    }

    /// `tollgate status --manifests DIR -o json`, parsed.
    static func status(_ dir: URL) throws -> [[String: Any]] {
        let r = try Processes.run(CLITests.binary, ["status", "--manifests", dir.path, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("error"), "decode errors: \(r.stderr.prefix(2000))")
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    static func conditions(_ list: Any?) -> [String: String] {
        var out: [String: String] = [:]
        for c in (list as? [[String: Any]]) ?? [] { out[c["type"] as? String ?? ""] = c["status"] as? String }
        return out
    }

    /// Every Gateway Accepted with every listener Accepted, every HTTPRoute parent Accepted and
    /// ResolvedRefs, every BackendTLSPolicy ancestor Accepted; returns the count of each kind.
    static func expectAllAccepted(_ docs: [[String: Any]]) -> [String: Int] {
        var kinds: [String: Int] = [:]
        for d in docs {
            let kind = d["kind"] as? String ?? "", name = (d["metadata"] as? [String: Any])?["name"] as? String ?? ""
            kinds[kind, default: 0] += 1
            let status = d["status"] as? [String: Any] ?? [:]
            switch kind {
            case "Gateway":
                #expect(conditions(status["conditions"])["Accepted"] == "True", "Gateway \(name)")
                for l in (status["listeners"] as? [[String: Any]]) ?? [] {
                    #expect(conditions(l["conditions"])["Accepted"] == "True", "Gateway \(name) listener \(l["name"] ?? "")")
                    #expect(conditions(l["conditions"])["ResolvedRefs"] == "True", "Gateway \(name) listener \(l["name"] ?? "")")
                }
            case "HTTPRoute", "BackendTLSPolicy":
                let parents = (status[kind == "HTTPRoute" ? "parents" : "ancestors"] as? [[String: Any]]) ?? []
                #expect(!parents.isEmpty, "\(kind) \(name) has no parent status")
                for p in parents {
                    let c = conditions(p["conditions"])
                    #expect(c["Accepted"] == "True" && c["ResolvedRefs"] == "True", "\(kind) \(name): \(c)")
                }
            default: break
            }
        }
        return kinds
    }

    @Test("workload.py: the standard shape in YAML and JSON decodes, is accepted, renders the same files, and passes nginx -t")
    func standardShape() throws {
        let base = try Processes.temporaryDirectory("bench-workload")
        defer { try? FileManager.default.removeItem(at: base) }
        let certs = base.appendingPathComponent("certs")
        let args = ["--routes", "120", "--gateways", "2", "--namespaces", "3", "--https-listeners", "6"]
        try Self.workload(args, out: base.appendingPathComponent("yaml"), certs: certs)
        try Self.workload(args + ["--format", "json"], out: base.appendingPathComponent("json"), certs: certs)
        let files = try FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent("yaml").path).sorted()
        #expect(files == ["bench-0.yaml", "bench-1.yaml", "bench-2.yaml", "infra.yaml"])

        let kinds = Self.expectAllAccepted(try Self.status(base.appendingPathComponent("yaml")))
        #expect(kinds["Gateway"] == 2 && kinds["HTTPRoute"] == 120 && kinds["BackendTLSPolicy"] == 3, "\(kinds)")

        var rendered: [String: URL] = [:]
        for f in ["yaml", "json"] {
            let out = base.appendingPathComponent("out-\(f)")
            let r = try Processes.run(CLITests.binary, ["render", "--manifests", base.appendingPathComponent(f).path, "--output", out.path])
            #expect(r.status == 0, "\(r.stderr)")
            rendered[f] = out
        }
        // Same objects in both formats: the same files, byte for byte.
        let diff = try Processes.run("diff", ["-r", rendered["yaml"]!.path, rendered["json"]!.path])
        #expect(diff.status == 0, "\(diff.stdout.prefix(1000))")
        for g in ["gw-0", "gw-1"] {
            let dir = rendered["yaml"]!.appendingPathComponent("bench-gw/\(g)")
            #expect(try Processes.nginxTest(configDirectory: dir) == nil)
        }
        // Deterministic: a second run writes the same bytes.
        try Self.workload(args, out: base.appendingPathComponent("again"), certs: certs)
        let same = try Processes.run("diff", ["-r", base.appendingPathComponent("yaml").path, base.appendingPathComponent("again").path])
        #expect(same.status == 0)
    }

    @Test("workload.py --ngf: one file per namespace, three routes each on one TLS Gateway behind a ReferenceGrant, all accepted")
    func ngfShape() throws {
        let base = try Processes.temporaryDirectory("bench-ngf")
        defer { try? FileManager.default.removeItem(at: base) }
        let out = base.appendingPathComponent("ngf")
        try Self.workload(["--ngf", "--namespaces", "4"], out: out, certs: base.appendingPathComponent("certs"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(files.count == 5)
        let kinds = Self.expectAllAccepted(try Self.status(out))
        #expect(kinds["HTTPRoute"] == 12 && kinds["Gateway"] == 1, "\(kinds)")
        // The listener's certificate is in another namespace: ResolvedRefs (checked above) needs the grant.
        let infra = try String(contentsOf: out.appendingPathComponent("infra.yaml"), encoding: .utf8)
        #expect(infra.contains("kind: ReferenceGrant") && infra.contains("namespace: certificate"))
    }

    @Test("tollgate benchmark --manifests writes the pipeline part: every figure with its baseline, target and met")
    func pipelinePart() throws {
        let base = try Processes.temporaryDirectory("bench-pipeline")
        defer { try? FileManager.default.removeItem(at: base) }
        let certs = base.appendingPathComponent("certs")
        let args = ["--routes", "40", "--gateways", "2", "--namespaces", "2", "--https-listeners", "2"]
        try Self.workload(args, out: base.appendingPathComponent("yaml"), certs: certs)
        try Self.workload(args + ["--format", "json"], out: base.appendingPathComponent("json"), certs: certs)
        let part = base.appendingPathComponent("pipeline.json")
        let r = try Processes.run(CLITests.binary, ["benchmark", "--manifests", base.appendingPathComponent("yaml").path,
                                                    "--manifests", base.appendingPathComponent("json").path,
                                                    "--quick", "--edits", "3", "--format", "json", "--out", part.path])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: part)) as? [String: Any] ?? [:]
        #expect(json["part"] as? String == "pipeline")
        let entries = json["benchmarks"] as? [[String: Any]] ?? []
        let ids = entries.compactMap { $0["id"] as? String }
        #expect(ids == ["pipeline-yaml-40", "pipeline-json-40", "one-route-publish-40", "one-route-delta-40"], "\(ids)")
        for e in entries {
            #expect((e["value"] as? Double ?? 0) > 0, "\(e)")
            #expect(e["stats"] is [String: Any])
        }
        let yaml = entries[0]
        #expect((yaml["baseline"] as? Double ?? 0) > 0 && (yaml["ratio"] as? Double ?? 0) > 0)
        let delta = entries[3]
        #expect(delta["target"] as? String == "value < 16384" && delta["unit"] as? String == "bytes")
        #expect(delta["met"] as? Bool == ((delta["value"] as? Double ?? .infinity) < 16384))
        #expect((json["markdown"] as? String ?? "").contains("One-route change"))
    }

    @Test("aggregate.py: met from each target (units converted), ratios filled in, failed parts and missing figures reported")
    func aggregate() throws {
        let base = try Processes.temporaryDirectory("bench-aggregate")
        defer { try? FileManager.default.removeItem(at: base) }
        let parts = base.appendingPathComponent("parts")
        try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
        let pipeline: [String: Any] = ["part": "pipeline", "build": "debug", "seconds": 3.0, "markdown": "### pipeline tables\n", "benchmarks": [
            ["id": "pipeline-yaml-10k", "value": 0.8, "unit": "s", "target": "value < 1 s", "met": false],
            ["id": "one-route-publish-10k", "value": 60.0, "unit": "ms", "target": "value < 0.05 s", "met": true],
            ["id": "decode-yaml-10k", "value": 0.5, "unit": "s", "baseline": 0.2, "target": "ratio <= 2"],
            ["id": "one-route-delta-10k", "value": 9000, "unit": "bytes", "target": "value < 16384"],
            ["id": "controller-like", "value": 140, "unit": "MiB", "target": "value < 150 MiB"],
        ]]
        try JSONSerialization.data(withJSONObject: pipeline).write(to: parts.appendingPathComponent("pipeline.json"))
        try "ok\n".write(to: parts.appendingPathComponent("pipeline.status"), atomically: true, encoding: .utf8)
        try "exited with status 3\n".write(to: parts.appendingPathComponent("process.status"), atomically: true, encoding: .utf8)
        let r = try Processes.run("python3", ["-B", Self.root.appendingPathComponent("bench/aggregate.py").path,
                                              "--parts", parts.path, "--out", base.path, "--quick", "--commit", "abc1234"])
        #expect(r.status == 1, "a failed part makes the exit status 1: \(r.stdout) \(r.stderr)")
        let latest = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathComponent("latest.json"))) as? [String: Any] ?? [:]
        #expect(latest["commit"] as? String == "abc1234" && latest["quick"] as? Bool == true)
        #expect(latest["build"] as? String == "debug", "a debug part's figures are labelled debug")
        #expect((latest["machine"] as? String ?? "").contains("CPUs"))
        var met: [String: Bool] = [:]
        var ratio: [String: Double] = [:]
        for e in latest["benchmarks"] as? [[String: Any]] ?? [] {
            met[e["id"] as! String] = e["met"] as? Bool
            ratio[e["id"] as! String] = e["ratio"] as? Double
        }
        #expect(met == ["pipeline-yaml-10k": true, "one-route-publish-10k": false, "decode-yaml-10k": false,
                        "one-route-delta-10k": true, "controller-like": true])
        #expect(abs((ratio["decode-yaml-10k"] ?? 0) - 2.5) < 1e-9)
        let parts2 = latest["parts"] as? [String: [String: Any]] ?? [:]
        #expect(parts2["pipeline"]?["status"] as? String == "ok")
        #expect(parts2["process"]?["status"] as? String == "exited with status 3")
        #expect(parts2["dataplane"]?["status"] as? String == "no result file")
        let missing = (latest["not_measured"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(missing.contains("edit-to-served-1k") && missing.contains("dataplane-mtls-p99") && missing.contains("pipeline-json-10k"))
        #expect(!missing.contains("pipeline-yaml-50k"), "quick runs do not measure 50k")
        let md = try String(contentsOf: base.appendingPathComponent("latest.md"), encoding: .utf8)
        #expect(md.contains("- build: **debug**"))
        #expect(md.contains("| pipeline | ok |") && md.contains("**Failed:** exited with status 3") && md.contains("### pipeline tables"))
        #expect(md.contains("| 1 | pipeline-yaml-10k |") || md.contains("| — | pipeline-yaml-10k |"))
    }
}
