import Foundation
import KubeAPIServerDouble
import Testing

extension ExamplePortsTests {
/// `tollgate controller --provider kubernetes` against the in-test API server, driven like a
/// cluster: objects applied with the real kubectl, status read back with kubectl, real agents
/// over mutual TLS with certificates from the CA Secret, real NGINX, curl as the client.
@Suite(.serialized) struct KubernetesModeTests {
    static let agentPort = 16_400

    /// The examples applied to a running double, plus the controller and agents started on it.
    final class Cluster: @unchecked Sendable {
        let env: ExampleEnvironment
        let double: KubeAPIServerDouble
        var kubeconfig: String { env.root.appendingPathComponent("kubeconfig").path }
        var state: URL { env.root.appendingPathComponent("state") }
        private(set) var controllers: [TollgateProcess] = []
        private(set) var agents: [String: TollgateProcess] = [:]

        init() async throws {
            env = try ExampleEnvironment()
            double = KubeAPIServerDouble()
            do { try await prepare() } catch {
                try? await double.stop()
                env.stop()
                throw error
            }
        }

        private func prepare() async throws {
            try await double.start()
            try double.writeKubeconfig(to: kubeconfig)
            try env.write("tollgate-system.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tollgate-system\n")
            // The frontend guide works in `default`, as the guide does (the example keeps it in its own namespace).
            for file in Fixtures.files(under: env.root.appendingPathComponent("frontend-mtls")) where file.hasSuffix(".yaml") {
                let url = env.root.appendingPathComponent("frontend-mtls").appendingPathComponent(file)
                let text = try String(contentsOf: url, encoding: .utf8)
                try text.replacingOccurrences(of: "namespace: frontend-mtls", with: "namespace: default").write(to: url, atomically: true, encoding: .utf8)
            }
            // Namespaces first, as on a real cluster (kubectl applies a directory's files in name order).
            for path in ["tollgate-system.yaml", "frontend-mtls/namespace.yaml", "backend-mtls/namespace.yaml", "frontend-mtls", "backend-mtls"] {
                let r = try kubectl(["apply", "-R", "-f", env.root.appendingPathComponent(path).path])
                guard r.status == 0 else { throw TestFailure("kubectl apply \(path): \(r.stderr)") }
            }
        }

        func kubectl(_ args: [String]) throws -> Processes.Output {
            try Processes.run("kubectl", ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + args)
        }

        @discardableResult
        func startController(_ extra: [String] = [], state: URL? = nil, log: String = "controller") throws -> TollgateProcess {
            let p = try TollgateProcess(["controller", "--provider", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", "tollgate-system",
                                         "--listen", "127.0.0.1:\(KubernetesModeTests.agentPort)", "--metrics-address", "off", "--state-dir", (state ?? self.state).path] + extra,
                                        log: env.root.appendingPathComponent(log + ".log"))
            controllers.append(p)
            return p
        }

        /// An agent for `gateway` with a certificate issued from the CA Secret (for `certifiedAs`,
        /// another Gateway, when given).
        @discardableResult
        func startAgent(_ gateway: String, certifiedAs: String? = nil, log: String? = nil) throws -> TollgateProcess {
            let name = log ?? "agent-" + gateway.replacingOccurrences(of: "/", with: "_")
            let certs = env.root.appendingPathComponent("certs-" + name).path
            let issued = try tollgate(["certs", "issue-agent", "--gateway", certifiedAs ?? gateway, "--kubeconfig", kubeconfig,
                                       "--namespace", "tollgate-system", "--out", certs])
            guard issued.status == 0 else { throw TestFailure("issue-agent: \(issued.stderr)") }
            let p = try TollgateProcess(["agent", "--controller", "https://127.0.0.1:\(KubernetesModeTests.agentPort)", "--gateway", gateway,
                                         "--config-root", env.root.appendingPathComponent("root-" + name).path, "--nginx", "spawn",
                                         "--tls-cert", certs + "/agent.crt", "--tls-key", certs + "/agent.key", "--tls-ca", certs + "/ca.crt"],
                                        log: env.root.appendingPathComponent(name + ".log"))
            agents[name] = p
            return p
        }

        func object(_ kind: String, _ namespace: String?, _ name: String) throws -> [String: Any] {
            let r = try kubectl(["get", kind, name, "-o", "json"] + (namespace.map { ["-n", $0] } ?? []))
            guard r.status == 0 else { throw TestFailure("kubectl get \(kind) \(name): \(r.stderr)") }
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        /// The condition of `type` in the object's status (first parent/ancestor for routes and policies).
        func condition(_ kind: String, _ namespace: String, _ name: String, _ type: String) throws -> [String: Any]? {
            let status = try object(kind, namespace, name)["status"] as? [String: Any]
            let conditions: [[String: Any]]
            switch kind {
            case "httproute": conditions = ((status?["parents"] as? [[String: Any]])?.first?["conditions"] as? [[String: Any]]) ?? []
            case "backendtlspolicy": conditions = ((status?["ancestors"] as? [[String: Any]])?.first?["conditions"] as? [[String: Any]]) ?? []
            default: conditions = (status?["conditions"] as? [[String: Any]]) ?? []
            }
            return conditions.first { $0["type"] as? String == type }
        }

        func programmed(_ namespace: String, generation: Int? = nil) throws -> Bool {
            guard let c = try condition("gateway", namespace, "gateway", "Programmed"), c["status"] as? String == "True" else { return false }
            return generation == nil || c["observedGeneration"] as? Int == generation
        }

        /// PUTs to a `/status` subresource so far.
        var statusWrites: [String] {
            double.requestLog.filter { $0.method == "PUT" && $0.path.hasSuffix("/status") && $0.status < 300 }.map(\.path)
        }

        var logs: String {
            (controllers.map(\.log) + agents.values.map(\.log)).map { "==> \($0.lastPathComponent) <==\n\((Fixtures.read($0) ?? "").suffix(3000))" }
                .joined(separator: "\n")
        }

        func wait(_ what: String, timeout: Double = 60, _ condition: () throws -> Bool) throws {
            do { try eventually(what, timeout: timeout, condition) } catch { throw TestFailure("\(error)\n\(logs)") }
        }

        func stop() async {
            for a in agents.values { a.stop() }
            for c in controllers { c.stop() }
            try? await double.stop()
            env.stop()
        }
    }

    func withCluster(_ body: (Cluster) async throws -> Void) async throws {
        let c = try await Cluster()
        do { try await body(c) } catch {
            await c.stop()
            throw error
        }
        await c.stop()
    }

    static let resolve8443 = "cafe.example.com:8443:127.0.0.1"
    static let resolve9443 = "cafe.example.com:9443:127.0.0.1"

    @Test("both guides applied with kubectl (the frontend guide in default, as the guide does): status as the guides show it, Programmed after the agents' acks, traffic served; status written once; a restart reloads nothing")
    func guidesThroughKubectl() async throws {
        try await withCluster { c in
            try c.startController()
            try c.wait("Gateways Accepted (before any agent)") {
                try c.condition("gateway", "default", "gateway", "Accepted")?["status"] as? String == "True"
                    && c.condition("gateway", "backend-mtls", "gateway", "Accepted")?["status"] as? String == "True"
            }
            // No agent yet: the data plane is not programmed, and status says so.
            #expect(try c.condition("gateway", "default", "gateway", "Programmed")?["status"] as? String == "False")
            let classStatus = try c.object("gatewayclass", nil, "nginx")["status"] as? [String: Any]
            #expect(((classStatus?["conditions"] as? [[String: Any]]) ?? []).contains { $0["type"] as? String == "Accepted" && $0["status"] as? String == "True" }, "\(String(describing: classStatus))")
            #expect(((classStatus?["supportedFeatures"] as? [[String: Any]]) ?? []).contains { $0["name"] as? String == "HTTPRoute" })

            // An agent whose certificate names another Gateway gets nothing.
            let impostor = try c.startAgent("default/gateway", certifiedAs: "backend-mtls/gateway", log: "impostor")
            try c.wait("the impostor is refused") { impostor.output.contains("permissionDenied") || impostor.output.contains("names Gateway") }
            impostor.stop()
            #expect(try !c.programmed("default"))

            try c.startAgent("default/gateway")
            try c.startAgent("backend-mtls/gateway")
            try c.wait("both Gateways Programmed") { try c.programmed("default") && c.programmed("backend-mtls") }

            // The guides' checks.
            let d = (c.env.pem("frontend-mtls", "nginx-secret-default.crt"), c.env.pem("frontend-mtls", "nginx-secret-default.key"))
            let p = (c.env.pem("frontend-mtls", "nginx-secret-per-port.crt"), c.env.pem("frontend-mtls", "nginx-secret-per-port.key"))
            let coffee = try Curl.get("https://cafe.example.com:8443/coffee", resolve: Self.resolve8443, cert: d.0, key: d.1)
            #expect(coffee.status == "200" && coffee.body.contains("Server name: coffee"), "\(coffee)")
            let tea = try Curl.get("https://cafe.example.com:9443/tea", resolve: Self.resolve9443, cert: p.0, key: p.1)
            #expect(tea.status == "200" && tea.body.contains("Server name: tea"), "\(tea)")
            #expect(try Curl.get("https://cafe.example.com:9443/tea", resolve: Self.resolve9443).transportFailure)
            let secure = try Curl.get("http://secure-app.example.com:8080/", resolve: "secure-app.example.com:8080:127.0.0.1")
            #expect(secure.body == "hello from pod secure-app\n", "\(secure)")

            // Status as kubectl shows it.
            let route = try c.object("httproute", "default", "coffee")
            let parents = ((route["status"] as? [String: Any])?["parents"] as? [[String: Any]]) ?? []
            #expect(parents.first?["controllerName"] as? String == "tollgate.dev/gateway-controller", "\(route)")
            #expect(try c.condition("httproute", "default", "coffee", "Accepted")?["status"] as? String == "True")
            #expect(try c.condition("backendtlspolicy", "backend-mtls", "backend-tls", "Accepted")?["status"] as? String == "True")
            let programmed = try #require(try c.condition("gateway", "default", "gateway", "Programmed"))
            #expect((programmed["lastTransitionTime"] as? String)?.hasSuffix("Z") == true)
            let describe = try c.kubectl(["describe", "gateway", "gateway", "-n", "default"])
            #expect(describe.status == 0 && describe.stdout.contains("Programmed") && describe.stdout.contains("Listeners:"), "\(describe.stdout)")

            // Converged: nothing more is written while nothing changes. (First let writes that
            // were already under way land: two quiet seconds in a row.)
            var last = c.statusWrites.count, quietSince = Date()
            try c.wait("status writes settle", timeout: 20) {
                let now = c.statusWrites.count
                if now != last { last = now; quietSince = Date() }
                return Date().timeIntervalSince(quietSince) >= 2
            }
            let settled = c.statusWrites.count
            try await Task.sleep(for: .seconds(3))
            #expect(c.statusWrites.count == settled, "status writes kept coming: \(c.statusWrites.suffix(10))")

            // A controller restart with unchanged objects reloads no NGINX and writes no status.
            let applied = c.agents.values.map { $0.output.components(separatedBy: ": applied").count }
            c.controllers.last!.stop()
            try c.startController(log: "controller-2")
            try c.wait("agents reconnected") { c.controllers.last!.output.components(separatedBy: "connected for").count > 2 }
            try await Task.sleep(for: .seconds(2))
            #expect(c.agents.values.map { $0.output.components(separatedBy: ": applied").count } == applied, "\(c.logs)")
            #expect(try c.programmed("default") && c.programmed("backend-mtls"))
            #expect(c.statusWrites.count == settled, "a restart rewrote status: \(c.statusWrites.suffix(10))")
        }
    }
}
}
