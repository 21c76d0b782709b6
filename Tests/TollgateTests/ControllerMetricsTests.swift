import Foundation
import KubeAPIServerDouble
import Testing
import TollgateKubernetes

/// The controller's `/metrics`, `/healthz` and `/readyz` in Kubernetes mode, against the API
/// server double: probes after the first sync, readiness following leadership, and the metrics
/// text — reconciles, status writes, and the remaining lifetime of a listener's certificate.
@Suite(.serialized) struct ControllerMetricsTests {
    /// Certificates made here are valid this long.
    static let certificateDays = 90

    @Test("one replica: /healthz and /readyz 200 after sync; /metrics counts reconciles and status writes, and the HTTPS listener's certificate lifetime")
    func singleReplica() async throws {
        let h = try await KubernetesFaultTests.Harness()
        do {
            try Self.applyHTTPSListener(h)
            let address = "127.0.0.1:16410"
            try h.startController(["--metrics-address", address])
            try h.wait("/healthz answers 200 after the first sync") { Self.get(address, "/healthz")?.status == 200 }
            let ready = Self.get(address, "/readyz")
            #expect(ready?.status == 200, "a single replica leads and is ready: \(String(describing: ready))")

            var samples: [String: Double] = [:]
            try h.wait("/metrics shows the Gateway's status written and its HTTPS listener's certificate") {
                samples = try Self.samples(Self.get(address, "/metrics")?.body ?? "")
                return (samples[#"tollgate_status_writes_total{kind="Gateway"}"#] ?? 0) >= 1
                    && samples[#"tollgate_certificate_expiry_seconds{gateway="infra/gw",listener="https"}"#] != nil
            }
            #expect((samples["tollgate_reconcile_total"] ?? 0) > 0)
            #expect((samples["tollgate_reconcile_duration_seconds_count"] ?? 0) == samples["tollgate_reconcile_total"])
            #expect(samples["tollgate_leader"] == 1)
            #expect((samples[#"tollgate_snapshot_version{gateway="infra/gw"}"#] ?? 0) >= 1)
            #expect(samples[#"tollgate_agent_connections{gateway="infra/gw"}"#] == 0)
            #expect(samples["tollgate_status_write_failures_total"] == 0)
            #expect(samples[#"tollgate_watch_restarts_total{resource="gateways"}"#] != nil)
            #expect(samples[#"tollgate_relists_total{resource="secrets"}"#] != nil)
            #expect(samples[#"tollgate_watch_errors_total{resource="httproutes"}"#] != nil)
            #expect(samples[#"tollgate_certificate_expiry_seconds{gateway="infra/gw",listener="http"}"#] == nil, "no certificate on HTTP")
            // openssl made the certificate valid for 90 days from its creation, moments ago.
            let lifetime = Double(Self.certificateDays * 86_400)
            let expiry = samples[#"tollgate_certificate_expiry_seconds{gateway="infra/gw",listener="https"}"#] ?? 0
            #expect(expiry <= lifetime + 5 && expiry > lifetime - 600, "expiry \(expiry) s, certificate lifetime \(lifetime) s")

            let metrics = Self.get(address, "/metrics")
            try? metrics?.body.write(to: h.directory.appendingPathComponent("metrics.txt"), atomically: true, encoding: .utf8)   // beside the logs
            #expect(metrics?.contentType.hasPrefix("text/plain; version=0.0.4") == true, "\(String(describing: metrics?.contentType))")
            #expect(Self.get(address, "/nothing")?.status == 404)
            #expect(Self.get(address, "/metrics", method: "POST")?.status == 405)
        } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    @Test("two replicas with --leader-elect: both healthy, exactly one ready (the leader); the follower's /readyz says why")
    func readinessFollowsLeadership() async throws {
        let h = try await KubernetesFaultTests.Harness()
        do {
            let election = ["--leader-elect", "--leader-elect-lease-duration", "4", "--leader-elect-renew-deadline", "3",
                            "--leader-elect-retry-period", "0.5"]
            let addresses = ["127.0.0.1:16411", "127.0.0.1:16412"]
            for (i, address) in addresses.enumerated() {
                try h.startController(election + ["--leader-elect-identity", "replica-\(i)", "--metrics-address", address], name: "replica-\(i)")
            }
            try h.wait("both replicas healthy") { addresses.allSatisfy { Self.get($0, "/healthz")?.status == 200 } }
            try h.wait("one replica ready") { addresses.contains { Self.get($0, "/readyz")?.status == 200 } }
            try await Task.sleep(for: .seconds(1))
            let answers = addresses.compactMap { Self.get($0, "/readyz") }
            #expect(answers.filter { $0.status == 200 }.count == 1, "\(answers)")
            let follower = answers.first { $0.status != 200 }
            #expect(follower?.status == 503 && follower?.body.contains("not leading") == true, "\(String(describing: follower))")
            let leaders = try addresses.map { try Self.samples(Self.get($0, "/metrics")?.body ?? "")["tollgate_leader"] }
            #expect(leaders.sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 1], "\(leaders)")
        } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    @Test("--metrics-address: HOST:PORT, [IPv6]:PORT, or off")
    func addressParsing() throws {
        #expect(try MetricsAddress.parse("0.0.0.0:9113") == MetricsAddress(host: "0.0.0.0", port: 9113))
        #expect(try MetricsAddress.parse("[::]:9113") == MetricsAddress(host: "::", port: 9113))
        #expect(try MetricsAddress.parse("off") == nil)
        #expect(try MetricsAddress.parse("") == nil)
        for bad in ["9113", "host", ":9113", "host:99999", "::1:9113"] {
            #expect(throws: MetricsAddressError.self, "\(bad)") { try MetricsAddress.parse(bad) }
        }
    }

    @Test("a metrics address in use is a startup error that names it")
    func addressInUse() async throws {
        let h = try await KubernetesFaultTests.Harness()
        do {
            let address = "127.0.0.1:16413"
            let first = try h.startController(["--metrics-address", address], name: "first")
            try h.wait("the first controller serves") { Self.get(address, "/healthz") != nil }
            let second = try h.startController(["--metrics-address", address], name: "second")
            try h.wait("the second controller exits") { !second.process.isRunning }
            #expect(second.process.terminationStatus != 0)
            #expect(second.output.contains("cannot serve /metrics, /healthz and /readyz on \(address)"), "\(second.output.suffix(2000))")
            #expect(first.process.isRunning)
        } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    // MARK: Helpers

    struct Reply: CustomStringConvertible {
        var status: Int
        var contentType: String
        var body: String
        var description: String { "\(status) \(body.prefix(300))" }
    }

    /// One request with curl; nil when nothing answers.
    static func get(_ address: String, _ path: String, method: String = "GET") -> Reply? {
        guard let r = try? Processes.run("curl", ["-s", "-X", method, "--max-time", "5", "-o", "-",
                                                  "-w", "\n%{http_code} %{content_type}", "http://\(address)\(path)"]),
              r.status == 0, let last = r.stdout.range(of: "\n", options: .backwards) else { return nil }
        let trailer = r.stdout[last.upperBound...].split(separator: " ", maxSplits: 1)
        guard let code = trailer.first.flatMap({ Int($0) }) else { return nil }
        return Reply(status: code, contentType: trailer.count > 1 ? String(trailer[1]) : "", body: String(r.stdout[..<last.lowerBound]))
    }

    /// Parses Prometheus text format 0.0.4: every sample line is `NAME{LABELS} VALUE` of a family
    /// declared by a `# TYPE` line. Keys are `NAME{LABELS}` as written.
    static func samples(_ text: String) throws -> [String: Double] {
        var types: [String: String] = [:]
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw TestFailure("bad TYPE line: \(line)")
                }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " ") else { throw TestFailure("not a sample: \(line)") }
            let series = String(line[..<space])
            guard let value = Double(line[line.index(after: space)...]) else { throw TestFailure("bad value: \(line)") }
            let name = series.prefix { $0 != "{" }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }), !name.isEmpty,
                  series == name || (series.hasSuffix("}") && series.contains("=\"")) else {
                throw TestFailure("bad series: \(line)")
            }
            let family = ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) && types[String(name.dropLast($0.count))] == "histogram" }
                .map { String(name.dropLast($0.count)) } ?? String(name)
            guard types[family] != nil else { throw TestFailure("no TYPE line for \(family)") }
            out[series] = value
        }
        return out
    }

    /// A `kubernetes.io/tls` Secret made with openssl (valid `certificateDays`), and the
    /// Gateway with an HTTPS listener using it.
    static func applyHTTPSListener(_ h: KubernetesFaultTests.Harness) throws {
        let crt = h.directory.appendingPathComponent("tls.crt").path, key = h.directory.appendingPathComponent("tls.key").path
        let made = try Processes.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "\(certificateDays)",
                                                 "-subj", "/CN=app.example.com", "-keyout", key, "-out", crt])
        guard made.status == 0 else { throw TestFailure("openssl: \(made.stderr)") }
        let b64 = { (path: String) in (FileManager.default.contents(atPath: path) ?? Data()).base64EncodedString() }
        try h.apply("""
            apiVersion: v1
            kind: Secret
            metadata: {name: app-tls, namespace: infra}
            type: kubernetes.io/tls
            data: {tls.crt: \(b64(crt)), tls.key: \(b64(key))}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: infra}
            spec:
              gatewayClassName: tollgate
              listeners:
              - {name: http, port: 18480, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
              - name: https
                port: 18483
                protocol: HTTPS
                hostname: app.example.com
                tls: {mode: Terminate, certificateRefs: [{name: app-tls}]}
                allowedRoutes: {namespaces: {from: All}}
            """)
    }
}
