import Foundation
import Testing

/// The `tollgate` binary as users run it.
@Suite struct CLITests {
    static var binary: String {
        let testBundle = URL(fileURLWithPath: CommandLine.arguments[0])
        var dir = testBundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tollgate").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("tollgate").path
    }

    var guide: String { Fixtures.golden.appendingPathComponent("frontend-mtls-guide/input").path }
    var shared: String { Fixtures.golden.appendingPathComponent("shared").path }

    @Test("version names the controller")
    func version() throws {
        let r = try Processes.run(Self.binary, ["version"])
        #expect(r.status == 0 && r.stdout.contains("controllerName: tollgate.dev/gateway-controller"))
    }

    @Test("render writes one directory per Gateway and a status table; unreadable input exits 2")
    func render() throws {
        let out = try Processes.temporaryDirectory("render")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try Processes.run(Self.binary, ["render", "--manifests", shared, "--manifests", guide, "--output", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("default/gateway/nginx.conf").path))
        #expect(r.stdout.contains("Gateway") && r.stdout.contains("listener https-2"))
        let missing = try Processes.run(Self.binary, ["render", "--manifests", "/nonexistent/dir", "--output", out.path])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/dir"))
    }

    @Test("render --output never writes outside OUT: a namespace .. is refused by admission and nothing leaves OUT")
    func renderStaysInsideOutput() throws {
        let base = try Processes.temporaryDirectory("render-escape")
        defer { try? FileManager.default.removeItem(at: base) }
        let out = base.appendingPathComponent("out"), input = base.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        // A sibling directory that a traversal would delete and rewrite.
        let victim = base.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try "keep".write(to: victim.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        try """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: nginx}
        spec: {controllerName: tollgate.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: victim, namespace: ".."}
        spec:
          gatewayClassName: nginx
          listeners: [{name: http, port: 8080, protocol: HTTP}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: fine, namespace: default}
        spec:
          gatewayClassName: nginx
          listeners: [{name: http, port: 8081, protocol: HTTP}]
        """.write(to: input.appendingPathComponent("gateways.yaml"), atomically: true, encoding: .utf8)
        let r = try Processes.run(Self.binary, ["render", "--manifests", input.path, "--output", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("field metadata.namespace") && r.stderr.contains("gateways.yaml (document 2)"), "\(r.stderr)")
        #expect(Fixtures.read(victim.appendingPathComponent("file")) == "keep", "a directory outside OUT was touched")
        #expect(!FileManager.default.fileExists(atPath: victim.appendingPathComponent("nginx.conf").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("default/fine/nginx.conf").path))
    }

    @Test("invalid manifests are reported on stderr but do not fail the command")
    func invalidInputIsStatusNotFailure() throws {
        let dir = Fixtures.golden.appendingPathComponent("decode-errors/input").path
        let r = try Processes.run(Self.binary, ["status", "--manifests", shared, "--manifests", dir])
        #expect(r.status == 0)
        #expect(r.stderr.contains("field spec.listeners[0].port: expected an integer"))
    }

    @Test("status -o json is a list of {apiVersion, kind, metadata, status}; -o yaml is a kubectl List")
    func statusFormats() throws {
        let json = try Processes.run(Self.binary, ["status", "--manifests", shared, "--manifests", guide, "-o", "json"])
        #expect(json.status == 0)
        let docs = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let gw = docs?.first { $0["kind"] as? String == "Gateway" }
        #expect(gw?["apiVersion"] as? String == "gateway.networking.k8s.io/v1")
        let meta = gw?["metadata"] as? [String: Any]
        #expect(meta?["namespace"] as? String == "default" && meta?["name"] as? String == "gateway" && meta?["generation"] as? Int == 1)
        let status = gw?["status"] as? [String: Any]
        #expect((status?["listeners"] as? [Any])?.count == 2)
        let yaml = try Processes.run(Self.binary, ["status", "--manifests", shared, "--manifests", guide, "-o", "yaml"])
        #expect(yaml.stdout.hasPrefix("apiVersion: v1\nkind: List\nitems:\n"))
        let bad = try Processes.run(Self.binary, ["status", "--manifests", guide, "-o", "xml"])
        #expect(bad.status != 0 && bad.stderr.contains("table, yaml, json"))
    }
}
