import Foundation
import Testing
import TollgateGraph
import TollgateManifests
import TollgateNginx

/// The SNI/Host agreement check (421) in each of its rendered forms, served by the real NGINX and
/// checked with curl: a port with one listener (no check rendered: the handshake already limits
/// the SNI to that listener), a port with exact and wildcard hostname listeners, and a port with a
/// hostname-less listener next to a hostname one. Ports 18943-18946.
@Suite struct SNICheckNginxTests {
    static let gateway = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: nginx}
        spec: {controllerName: tollgate.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec:
          gatewayClassName: nginx
          addresses: [{type: IPAddress, value: 127.0.0.1}]
          listeners:
          - {name: solo, port: 18943, protocol: HTTPS, hostname: solo.example.com, tls: {certificateRefs: [{name: cert}]}}
          - {name: exact, port: 18944, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: cert}]}}
          - {name: wild, port: 18944, protocol: HTTPS, hostname: "*.example.com", tls: {certificateRefs: [{name: cert}]}}
          - {name: org, port: 18944, protocol: HTTPS, hostname: b.example.org, tls: {certificateRefs: [{name: cert}]}}
          - {name: any, port: 18945, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}
          - {name: a2, port: 18945, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: cert}]}}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: app, namespace: default}
        spec:
          parentRefs: [{name: gw}]
          rules: [{backendRefs: [{name: app, port: 80}]}]
        ---
        \(TestManifests.loopbackService(backendPort: 18946))
        """

    /// `curl https://SNI:PORT/` with the SNI `sni` (nil: connect to 127.0.0.1, no SNI) and Host `host`.
    static func get(port: Int, sni: String?, host: String) throws -> CurlResult {
        guard let sni else { return try Curl.get("https://127.0.0.1:\(port)/", host: host, http1: true) }
        return try Curl.get("https://\(sni):\(port)/", resolve: "\(sni):\(port):127.0.0.1", host: host, http1: true)
    }

    @Test("421 only when the SNI selects another listener: none on a one-listener port, both directions with exact, wildcard and hostname-less listeners")
    func sniHostAgreement() throws {
        let dir = try Processes.temporaryDirectory("sni-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        let crt = dir.appendingPathComponent("tls.crt").path, key = dir.appendingPathComponent("tls.key").path
        let r = try Processes.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=solo.example.com",
                                              "-addext", "subjectAltName=DNS:solo.example.com,DNS:*.example.com,DNS:b.example.org",
                                              "-keyout", key, "-out", crt])
        guard r.status == 0, let c = Fixtures.read(URL(fileURLWithPath: crt)), let k = Fixtures.read(URL(fileURLWithPath: key)) else {
            throw TestFailure("openssl req failed: \(r.stderr)")
        }
        let manifests = dir.appendingPathComponent("manifests")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        try (Self.gateway + """
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: cert, namespace: default}
            type: kubernetes.io/tls
            data:
              tls.crt: \(Data(c.utf8).base64EncodedString())
              tls.key: \(Data(k.utf8).base64EncodedString())

            """).write(to: manifests.appendingPathComponent("gw.yaml"), atomically: true, encoding: .utf8)
        let load = try DirectoryLoader().load(roots: [manifests.path])
        #expect(load.errors.isEmpty, "\(load.errors)")
        var renderer = GatewayRenderer()
        let rendered = renderer.render(GraphBuilder().build(load.store, now: Date()))
        let files = try #require(rendered.values.first, "the Gateway is not rendered")
        let text = { (path: String) in files.files[path].map { String(decoding: $0.contents, as: UTF8.self) } ?? "" }
        // The forms: no check on the one-listener port, one refuse map per listener elsewhere.
        #expect(!text("servers/port-18943.conf").contains("map ") && !text("servers/port-18943/solo.example.com.conf").contains("421"))
        #expect(text("servers/port-18944.conf").components(separatedBy: "map $ssl_server_name").count == 4)
        #expect(text("servers/port-18945/_default.conf").contains("if ($tg_sni_refuse_18945_1) { return 421; }"))

        let config = dir.appendingPathComponent("config")
        try files.write(to: config.path)
        let backend = try RunningNginx.textBackend(port: 18946, directory: dir.appendingPathComponent("backend"))
        defer { backend.stop() }
        let nginx = try RunningNginx.start(configDirectory: config, prefix: dir.appendingPathComponent("run"))
        defer { nginx.stop() }

        // One listener with a hostname: no 421 can arise; unknown Host is 404, a missing or
        // unknown SNI is refused at the handshake.
        var res = try Self.get(port: 18943, sni: "solo.example.com", host: "solo.example.com")
        #expect(res.status == "200" && res.body == "backend\n", "\(res)")
        res = try Self.get(port: 18943, sni: "solo.example.com", host: "unknown.example.net")
        #expect(res.status == "404", "\(res)")
        res = try Self.get(port: 18943, sni: "solo.example.com", host: "a.example.com")
        #expect(res.status == "404", "\(res)")
        res = try Self.get(port: 18943, sni: nil, host: "solo.example.com")
        #expect(res.transportFailure, "no SNI must be refused at the handshake: \(res)")
        res = try Self.get(port: 18943, sni: "unknown.example.net", host: "solo.example.com")
        #expect(res.transportFailure, "an unknown SNI must be refused at the handshake: \(res)")

        // Exact, wildcard and another domain's listener on one port: 421 in both directions.
        let cases18944: [(sni: String?, host: String, status: String)] = [
            ("a.example.com", "a.example.com", "200"),
            ("a.example.com", "c.example.com", "421"),       // exact SNI, Host of the wildcard listener
            ("c.example.com", "a.example.com", "421"),       // wildcard SNI, Host of the exact listener
            ("c.example.com", "d.example.com", "200"),       // both under the wildcard listener
            ("x.y.example.com", "a.example.com", "421"),     // multi-label name under the wildcard
            ("b.example.org", "c.example.com", "421"),
            ("c.example.com", "b.example.org", "421"),
            ("a.example.com", "unknown.example.net", "404"), // Host of no listener: the default server
        ]
        for t in cases18944 {
            res = try Self.get(port: 18944, sni: t.sni, host: t.host)
            #expect(res.status == t.status, "port 18944, SNI \(t.sni ?? "none"), Host \(t.host): \(res)")
        }
        res = try Self.get(port: 18944, sni: nil, host: "a.example.com")
        #expect(res.transportFailure, "no SNI without a hostname-less listener is refused: \(res)")

        // A hostname-less listener next to a hostname one: no SNI is never refused.
        let cases18945: [(sni: String?, host: String, status: String)] = [
            (nil, "a.example.com", "200"),
            (nil, "z.example.net", "200"),
            ("z.example.net", "a.example.com", "421"),       // SNI selects the hostname-less listener
            ("a.example.com", "z.example.net", "421"),       // Host selects the hostname-less listener
            ("z.example.net", "y.example.net", "200"),
            ("a.example.com", "a.example.com", "200"),
        ]
        for t in cases18945 {
            res = try Self.get(port: 18945, sni: t.sni, host: t.host)
            #expect(res.status == t.status, "port 18945, SNI \(t.sni ?? "none"), Host \(t.host): \(res)")
        }
    }
}
