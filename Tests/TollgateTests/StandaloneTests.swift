import Foundation
import Testing
import TollgateModel

extension ExamplePortsTests {
/// Both guides end to end through `tollgate standalone`: real controller, real agents (child
/// processes), real NGINX per Gateway, real backends, curl as the client.
@Suite(.serialized) struct StandaloneTests {
    /// The examples with certificates and backends, plus a running `tollgate standalone`.
    final class Standalone: @unchecked Sendable {
        let env: ExampleEnvironment
        let state: URL
        let extra: URL
        let process: TollgateProcess

        init() throws {
            env = try ExampleEnvironment()
            state = env.root.appendingPathComponent("state")
            extra = env.root.appendingPathComponent("extra")
            try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
            process = try TollgateProcess(["standalone", "--manifests", env.root.appendingPathComponent("frontend-mtls").path,
                                           "--manifests", env.root.appendingPathComponent("backend-mtls").path,
                                           "--manifests", extra.path, "--state-dir", state.path],
                                          log: env.root.appendingPathComponent("standalone.log"))
        }

        func stop() {
            process.stop()
            env.stop()
        }

        func status() throws -> [[String: Any]] {
            let r = try tollgate(["status", "--state-dir", state.path, "-o", "json"])
            guard r.status == 0 else { throw TestFailure("status failed: \(r.stderr)") }
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
        }

        func condition(_ kind: String, _ ns: String, _ name: String, _ type: String) throws -> [String: Any]? {
            let doc = try status().first { d in
                let m = d["metadata"] as? [String: Any]
                return d["kind"] as? String == kind && m?["namespace"] as? String == ns && m?["name"] as? String == name
            }
            let st = doc?["status"] as? [String: Any]
            let conditions: [[String: Any]]
            if kind == "BackendTLSPolicy" {
                conditions = ((st?["ancestors"] as? [[String: Any]])?.first?["conditions"] as? [[String: Any]]) ?? []
            } else if kind == "HTTPRoute" {
                conditions = ((st?["parents"] as? [[String: Any]])?.first?["conditions"] as? [[String: Any]]) ?? []
            } else {
                conditions = (st?["conditions"] as? [[String: Any]]) ?? []
            }
            return conditions.first { $0["type"] as? String == type }
        }

        func programmed(_ ns: String, _ name: String = "gateway", generation: Int? = nil) throws -> Bool {
            guard let c = try condition("Gateway", ns, name, "Programmed"), c["status"] as? String == "True" else { return false }
            return generation == nil || c["observedGeneration"] as? Int == generation
        }

        func snapshots(_ gateway: String) throws -> String {
            try tollgate(["snapshots", "list", "--gateway", gateway, "--state-dir", state.path]).stdout
        }

        func pem(_ name: String) -> String { env.pem("frontend-mtls", name) }
    }

    func withStandalone(_ body: (Standalone) throws -> Void) throws {
        let s = try Standalone()
        defer { s.stop() }
        try eventually("both Gateways Programmed") { try s.programmed("frontend-mtls") && s.programmed("backend-mtls") }
        try body(s)
    }

    static let resolve8443 = "cafe.example.com:8443:127.0.0.1"
    static let resolve9443 = "cafe.example.com:9443:127.0.0.1"

    @Test("both guides through standalone: frontend and backend mTLS, non-SNI client, status")
    func guides() throws {
        try withStandalone { s in
            let d = (s.pem("nginx-secret-default.crt"), s.pem("nginx-secret-default.key"))
            let p = (s.pem("nginx-secret-per-port.crt"), s.pem("nginx-secret-per-port.key"))
            let coffee = try Curl.get("https://cafe.example.com:8443/coffee", resolve: Self.resolve8443, cert: d.0, key: d.1)
            #expect(coffee.status == "200" && coffee.body.contains("Server name: coffee"), "\(coffee)")
            let wrongCA = try Curl.get("https://cafe.example.com:9443/tea", resolve: Self.resolve9443, cert: d.0, key: d.1)
            #expect(wrongCA.transportFailure && wrongCA.exitCode == 92, "\(wrongCA)")
            let tea = try Curl.get("https://cafe.example.com:9443/tea", resolve: Self.resolve9443, cert: p.0, key: p.1)
            #expect(tea.status == "200" && tea.body.contains("Server name: tea"), "\(tea)")
            #expect(try Curl.get("https://cafe.example.com:9443/tea", resolve: Self.resolve9443).transportFailure)
            let other = try Curl.get("https://cafe.example.com:8443/coffee", resolve: Self.resolve8443, cert: s.pem("other-ca-client.crt"), key: s.pem("other-ca-client.key"))
            #expect(other.transportFailure, "\(other)")
            let noSNI = try Curl.get("https://127.0.0.1:8443/coffee", host: "cafe.example.com", cert: d.0, key: d.1)
            #expect(noSNI.status == "200", "\(noSNI)")

            let secure = try Curl.get("http://secure-app.example.com:8080/", resolve: "secure-app.example.com:8080:127.0.0.1")
            #expect(secure.body == "hello from pod secure-app\n", "\(secure)")
            #expect(s.env.secureAppLog.contains("ssl_client_verify=SUCCESS ssl_client_subject=CN=gateway"))
            #expect(try s.condition("BackendTLSPolicy", "backend-mtls", "backend-tls", "Accepted")?["status"] as? String == "True")
            #expect(try s.condition("BackendTLSPolicy", "backend-mtls", "backend-tls", "ResolvedRefs")?["status"] as? String == "True")
            #expect(try s.snapshots("frontend-mtls/gateway").contains("applied"))
            // The agent socket is private to the user.
            let mode = try FileManager.default.attributesOfItem(atPath: s.state.appendingPathComponent("controller.sock").path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test("edits: fallback mode, 421 and disableSNIHostValidation, a changed route is a new served version with the new generation, a deleted route is 404")
    func edits() throws {
        try withStandalone { s in
            // AllowInsecureFallback on the per-port block.
            let gwFile = s.env.root.appendingPathComponent("frontend-mtls/gateway.yaml")
            let gw = try String(contentsOf: gwFile, encoding: .utf8)
            try gw.replacingOccurrences(of: "mode: AllowValidOnly", with: "mode: AllowInsecureFallback").write(to: gwFile, atomically: true, encoding: .utf8)
            try eventually("fallback served") {
                try Curl.get("https://cafe.example.com:9443/tea", resolve: Self.resolve9443).status == "200"
            }
            #expect(try s.condition("Gateway", "frontend-mtls", "gateway", "InsecureFrontendValidationMode")?["reason"] as? String == "ConfigurationChanged")
            try eventually("Programmed with generation 2") { try s.programmed("frontend-mtls", generation: 2) }

            // 421 on a Gateway with hostname listeners, then disableSNIHostValidation.
            try NginxIntegrationTests.sniGateway(disableSNIHostValidation: false, validation: false)
                .write(to: s.extra.appendingPathComponent("sni.yaml"), atomically: true, encoding: .utf8)
            try eventually("sni Gateway Programmed") { try s.programmed("frontend-mtls", "sni") }
            let cafe = "cafe.example.com:7443:127.0.0.1"
            #expect(try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "tea.example.com").status == "421")
            try NginxIntegrationTests.sniGateway(disableSNIHostValidation: true, validation: false)
                .write(to: s.extra.appendingPathComponent("sni.yaml"), atomically: true, encoding: .utf8)
            try eventually("421 check turned off") {
                try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "tea.example.com").body.contains("Server name: tea")
            }

            // A changed route: new version, served, listed, Programmed (route generation 2).
            let routes = s.env.root.appendingPathComponent("frontend-mtls/routes.yaml")
            let original = try String(contentsOf: routes, encoding: .utf8)
            try original.replacingOccurrences(of: "value: /coffee", with: "value: /espresso").write(to: routes, atomically: true, encoding: .utf8)
            let d = (s.pem("nginx-secret-default.crt"), s.pem("nginx-secret-default.key"))
            try eventually("/espresso served") {
                try Curl.get("https://cafe.example.com:8443/espresso", resolve: Self.resolve8443, cert: d.0, key: d.1).body.contains("Server name: coffee")
            }
            #expect(try Curl.get("https://cafe.example.com:8443/coffee", resolve: Self.resolve8443, cert: d.0, key: d.1).status == "404")
            let list = try s.snapshots("frontend-mtls/gateway")
            #expect(list.contains("HTTPRoute frontend-mtls/coffee changed"), "\(list)")
            #expect(try s.condition("HTTPRoute", "frontend-mtls", "coffee", "Accepted")?["observedGeneration"] as? Int == 2)

            // The other Gateway's inputs did not change: still its first and only version.
            let backend = try s.snapshots("backend-mtls/gateway")
            #expect(backend.split(separator: "\n").count == 2, "backend Gateway must not get new versions: \(backend)")

            // Deleting the route: 404.
            try original.components(separatedBy: "---").first!.write(to: routes, atomically: true, encoding: .utf8)
            try eventually("deleted route is 404") {
                try Curl.get("https://cafe.example.com:8443/espresso", resolve: Self.resolve8443, cert: d.0, key: d.1).status == "404"
            }
        }
    }

    @Test("a version NGINX rejects (port taken) keeps the previous one serving and shows NGINX's line in the Gateway status")
    func rejected() throws {
        try withStandalone { s in
            // Something else holds 127.0.0.1:7999.
            let blockerDir = s.env.root.appendingPathComponent("blocker")
            try FileManager.default.createDirectory(at: blockerDir, withIntermediateDirectories: true)
            let conf = blockerDir.appendingPathComponent("nginx.conf")
            try "pid \(blockerDir.path)/nginx.pid;\nevents {}\nhttp { access_log off; server { listen 127.0.0.1:7999; return 200 \"blocker\\n\"; } }\n"
                .write(to: conf, atomically: true, encoding: .utf8)
            let blocker = try RunningNginx.start(configFile: conf, prefix: blockerDir)
            defer { blocker.stop() }

            let gwFile = s.env.root.appendingPathComponent("backend-mtls/gateway.yaml")
            let gw = try String(contentsOf: gwFile, encoding: .utf8)
            try gw.replacingOccurrences(of: "    protocol: HTTP\n", with: "    protocol: HTTP\n  - name: taken\n    port: 7999\n    protocol: HTTP\n")
                .write(to: gwFile, atomically: true, encoding: .utf8)
            // NGINX cannot bind 7999: that version is rejected with NGINX's line, the previous one
            // keeps serving, then the controller serves the Gateway without the listener on the
            // taken port, whose status carries NGINX's line.
            func listener(_ name: String, _ type: String) throws -> [String: Any]? {
                let doc = try s.status().first { ($0["kind"] as? String) == "Gateway" && (($0["metadata"] as? [String: Any])?["namespace"] as? String) == "backend-mtls" }
                let listeners = ((doc?["status"] as? [String: Any])?["listeners"] as? [[String: Any]]) ?? []
                let l = listeners.first { $0["name"] as? String == name }
                return (l?["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == type }
            }
            try eventually("the taken port shows in the listener's status") {
                let c = try listener("taken", "Accepted")
                return c?["reason"] as? String == "PortUnavailable" && (c?["message"] as? String ?? "").contains("bind() to 127.0.0.1:7999 failed")
            }
            try eventually("the rest of the Gateway is Programmed for generation 2") { try s.programmed("backend-mtls", generation: 2) }
            #expect(try listener("http", "Programmed")?["status"] as? String == "True")
            let rejectedList = try s.snapshots("backend-mtls/gateway")
            #expect(rejectedList.contains("rejected ([emerg] bind() to 127.0.0.1:7999 failed"), "\(rejectedList)")
            #expect(rejectedList.contains("port 7999 unavailable"), "\(rejectedList)")
            let secure = try Curl.get("http://secure-app.example.com:8080/", resolve: "secure-app.example.com:8080:127.0.0.1")
            #expect(secure.body == "hello from pod secure-app\n", "\(secure)")
            #expect(try Curl.get("http://127.0.0.1:7999/").body == "blocker\n")
            // Routes are not flipped by the data-plane failure.
            #expect(try s.condition("HTTPRoute", "backend-mtls", "secure-app", "Accepted")?["status"] as? String == "True")
            // The rejected version is never re-sent; removing the listener is generation 3, which
            // renders the files already served: Programmed for generation 3 without a new version.
            try gw.write(to: gwFile, atomically: true, encoding: .utf8)
            try eventually("Programmed for generation 3") { try s.programmed("backend-mtls", generation: 3) }
            let list = try s.snapshots("backend-mtls/gateway")
            #expect(list.split(separator: "\n").count == 4 && list.hasSuffix("applied\n"), "\(list)")
        }
    }

    @Test("SIGTERM stops agents and NGINX; a second start reuses the state directory without a new version")
    func restartReusesState() throws {
        let first = try Standalone()
        var stopped = false
        defer { if !stopped { first.stop() } }
        try eventually("both Gateways Programmed") { try first.programmed("frontend-mtls") && first.programmed("backend-mtls") }
        let before = try first.snapshots("frontend-mtls/gateway")
        first.process.stop()
        #expect(!first.process.process.isRunning)
        #expect(pids(commandContaining: first.state.path).isEmpty, "agents and their NGINX stop with standalone")
        #expect(try Curl.get("http://secure-app.example.com:8080/", resolve: "secure-app.example.com:8080:127.0.0.1").transportFailure)

        let second = try TollgateProcess(["standalone", "--manifests", first.env.root.appendingPathComponent("frontend-mtls").path,
                                          "--manifests", first.env.root.appendingPathComponent("backend-mtls").path,
                                          "--manifests", first.extra.path, "--state-dir", first.state.path],
                                         log: first.env.root.appendingPathComponent("standalone-2.log"))
        defer { second.stop(); first.env.stop(); stopped = true }
        try eventually("Programmed after restart") { try first.programmed("frontend-mtls") && first.programmed("backend-mtls") }
        let after = try first.snapshots("frontend-mtls/gateway")
        let versionColumn = { (t: String) in t.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] } }
        #expect(versionColumn(after) == versionColumn(before), "same inputs keep the same version: \(before) vs \(after)")
        let secure = try Curl.get("http://secure-app.example.com:8080/", resolve: "secure-app.example.com:8080:127.0.0.1")
        #expect(secure.body == "hello from pod secure-app\n", "\(secure)")
    }

    @Test("kill -9 of an agent right after a change: NGINX keeps serving a whole version, the restarted agent resyncs")
    func killAgent() throws {
        try withStandalone { s in
            let routes = s.env.root.appendingPathComponent("frontend-mtls/routes.yaml")
            let original = try String(contentsOf: routes, encoding: .utf8)
            try original.replacingOccurrences(of: "value: /coffee", with: "value: /latte").write(to: routes, atomically: true, encoding: .utf8)
            let agent = pids(commandContaining: s.state.path).filter { pid in
                let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                return cmd.contains("agent\u{0}--controller") && cmd.contains("frontend-mtls/gateway")
            }
            #expect(agent.count == 1)
            for pid in agent { kill(pid, SIGKILL) }
            let d = (s.pem("nginx-secret-default.crt"), s.pem("nginx-secret-default.key"))
            // Whatever is live is a whole version: either the old route or the new one answers.
            let old = try Curl.get("https://cafe.example.com:8443/coffee", resolve: Self.resolve8443, cert: d.0, key: d.1)
            let new = try Curl.get("https://cafe.example.com:8443/latte", resolve: Self.resolve8443, cert: d.0, key: d.1)
            #expect((old.status == "200") != (new.status == "200") || old.transportFailure || new.transportFailure,
                    "exactly one version is served: /coffee \(old.status), /latte \(new.status)")
            try eventually("restarted agent serves the new version") {
                try Curl.get("https://cafe.example.com:8443/latte", resolve: Self.resolve8443, cert: d.0, key: d.1).body.contains("Server name: coffee")
            }
            try eventually("Programmed again") { try s.programmed("frontend-mtls") }
            let agents = pids(commandContaining: s.state.path).filter { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("agent\u{0}--controller")
            }
            #expect(agents.count == 2, "one agent per Gateway after the restart")
        }
    }
}
}
