import Foundation
import KubeAPIServerDouble
import Testing

/// The Kubernetes controller while the API server misbehaves: watches dropped, resourceVersions
/// expired (410), the server restarted, 5xx answers for a while. After each, the controller must
/// converge and write each changed status exactly once. Other controllers' status entries and
/// kinds the server does not serve are checked here too. No NGINX: status only.
@Suite(.serialized) struct KubernetesFaultTests {
    final class Harness: @unchecked Sendable {
        let directory: URL
        let double: KubeAPIServerDouble
        var kubeconfig: String { directory.appendingPathComponent("kubeconfig").path }
        private(set) var controllers: [TollgateProcess] = []

        /// `gatewayPort`: the HTTP listener's port; suites that start agents (and so NGINX) in
        /// parallel need distinct ones.
        init(resources: [ResourceType] = ResourceType.tollgateDefaults, gatewayPort: Int = 18_480) async throws {
            directory = try Processes.temporaryDirectory("kube-faults")
            double = KubeAPIServerDouble(resources: resources)
            try await double.start()
            try double.writeKubeconfig(to: kubeconfig)
            try apply(Self.base(gatewayPort: gatewayPort))
        }

        @discardableResult
        func apply(_ yaml: String) throws -> Processes.Output {
            let file = directory.appendingPathComponent("apply-\(UUID().uuidString).yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let r = try kubectl(["apply", "-f", file.path])
            guard r.status == 0 else { throw TestFailure("kubectl apply: \(r.stderr)") }
            return r
        }

        func kubectl(_ args: [String]) throws -> Processes.Output {
            try Processes.run("kubectl", ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + args)
        }

        @discardableResult
        func startController(_ extra: [String] = [], listen: String = "127.0.0.1:0", name: String = "controller") throws -> TollgateProcess {
            let p = try TollgateProcess(["controller", "--provider", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", "tollgate-system",
                                         "--listen", listen, "--metrics-address", "off", "--state-dir", directory.appendingPathComponent("state-" + name).path] + extra,
                                        log: directory.appendingPathComponent(name + ".log"))
            controllers.append(p)
            return p
        }

        /// A spawn-mode agent for infra/gw on `port`, with a certificate issued into `certs` from
        /// the CA Secret.
        func startAgent(port: Int, certs: String) throws -> TollgateProcess {
            let issued = try tollgate(["certs", "issue-agent", "--gateway", "infra/gw", "--kubeconfig", kubeconfig,
                                       "--namespace", "tollgate-system", "--out", certs])
            guard issued.status == 0 else { throw TestFailure("issue-agent: \(issued.stderr)") }
            return try TollgateProcess(["agent", "--controller", "https://127.0.0.1:\(port)", "--gateway", "infra/gw",
                                        "--config-root", directory.appendingPathComponent("root").path, "--nginx", "spawn",
                                        "--tls-cert", certs + "/agent.crt", "--tls-key", certs + "/agent.key", "--tls-ca", certs + "/ca.crt"],
                                       log: directory.appendingPathComponent("agent.log"))
        }

        /// The object as the double holds it.
        func route(_ name: String = "app") -> JSONValue? {
            double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "team", name: name)
        }

        /// observedGeneration of the route's Accepted condition for Tollgate's parent entry.
        func observedGeneration(_ name: String = "app") -> Int? {
            let parents = route(name)?[path: ["status", "parents"]]?.arrayValue ?? []
            let ours = parents.first { $0["controllerName"]?.stringValue == "tollgate.dev/gateway-controller" }
            return ours?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Accepted" }?["observedGeneration"]?.intValue
        }

        func generation(_ name: String = "app") -> Int? { route(name)?[path: ["metadata", "generation"]]?.intValue }

        /// Successful status writes to `path` (a suffix such as `httproutes/app/status`).
        func writes(_ suffix: String) -> Int {
            double.requestLog.filter { $0.method == "PUT" && $0.path.hasSuffix(suffix) && $0.status < 300 }.count
        }

        var logs: String {
            controllers.map { "==> \($0.log.lastPathComponent) <==\n\((Fixtures.read($0.log) ?? "").suffix(4000))" }.joined(separator: "\n")
        }

        func wait(_ what: String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
            do { try eventually(what, timeout: timeout, condition) } catch { throw TestFailure("\(error)\n\(logs)") }
        }

        func stop() async {
            for c in controllers { c.stop() }
            try? await double.stop()
        }

        static func routeYAML(_ path: String, name: String = "app") -> String {
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: \(name), namespace: team}
            spec:
              parentRefs: [{name: gw, namespace: infra}]
              rules:
              - matches: [{path: {type: PathPrefix, value: \(path)}}]
                backendRefs: [{name: app, port: 80}]
            """
        }

        static func base(gatewayPort: Int) -> String {
            """
            apiVersion: v1
            kind: Namespace
            metadata: {name: tollgate-system}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: infra}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: team}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: tollgate}
            spec: {controllerName: tollgate.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: infra}
            spec:
              gatewayClassName: tollgate
              listeners:
              - {name: http, port: \(gatewayPort), protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: app, namespace: team}
            spec: {ports: [{port: 80}]}
            ---
            \(routeYAML("/v1"))
            """
        }
    }

    func withHarness(resources: [ResourceType] = ResourceType.tollgateDefaults, _ body: (Harness) async throws -> Void) async throws {
        let h = try await Harness(resources: resources)
        do { try await body(h) } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    /// Edits the route to `path` (generation +1), waits for its status to follow, and checks
    /// that the change cost exactly one write of the route's status and none of the Gateway's.
    func editAndConverge(_ h: Harness, path: String, edit: (() throws -> Void)? = nil, during fault: String) throws {
        let routeWrites = h.writes("httproutes/app/status"), gatewayWrites = h.writes("gateways/gw/status")
        let before = h.generation() ?? 0
        if let edit { try edit() } else { try h.apply(Harness.routeYAML(path)) }
        try h.wait("\(fault): the route's status follows generation \(before + 1)") { h.observedGeneration() == before + 1 }
        Thread.sleep(forTimeInterval: 1.5)
        #expect(h.writes("httproutes/app/status") == routeWrites + 1, "\(fault): route status writes \(routeWrites) → \(h.writes("httproutes/app/status"))\n\(h.logs)")
        #expect(h.writes("gateways/gw/status") == gatewayWrites, "\(fault): the Gateway's unchanged status was written again")
    }

    /// What a logged API error is about: the informer's `resource=…`, or the object of a status
    /// write (`status of KIND NS/NAME`), else the whole line.
    static func cause(of line: Substring) -> String {
        if let r = line.firstRange(of: "resource=") {
            return String(line[r.upperBound...].prefix { $0 != " " })
        }
        if let r = line.firstRange(of: "status of ") {
            return String(line[r.upperBound...].prefix { $0 != ":" })
        }
        return String(line)
    }

    @Test("watches dropped, resourceVersions expired, the API server restarted, 5xx for a while: converges, each changed status written once")
    func apiServerFaults() async throws {
        try await withHarness { h in
            try h.startController()
            try h.wait("initial status") { h.observedGeneration() == 1 }
            try await Task.sleep(for: .milliseconds(1500))

            h.double.dropWatches()
            try editAndConverge(h, path: "/v2", during: "watches dropped")

            h.double.compact()
            h.double.dropWatches()
            try editAndConverge(h, path: "/v3", during: "410 Expired")

            try await h.double.stop()
            try await Task.sleep(for: .seconds(1))
            try await h.double.start(port: h.double.port)
            try editAndConverge(h, path: "/v4", during: "API server restarted")

            // 5xx for a while: the edit goes to the store directly (every HTTP request fails).
            h.double.failRequests(status: 503)
            try editAndConverge(h, path: "/v5", edit: {
                var route = try #require(h.route())
                route["spec"] = try JSONValue(parsing: """
                    {"parentRefs": [{"name": "gw", "namespace": "infra"}],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/v5"}}], "backendRefs": [{"name": "app", "port": 80}]}]}
                    """)
                _ = try h.double.update(route)
                usleep(3_000_000)
                h.double.clearFailures()
            }, during: "503 for 3 s")
            // Someone overwrites the Gateway's status: it is repaired as soon as the watch shows it.
            var gw = try #require(h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "infra", name: "gw"))
            gw["status"] = try JSONValue(parsing: #"{"conditions": []}"#)
            _ = try h.double.updateStatus(gw)
            try h.wait("the Gateway's status repaired", timeout: 10) {
                let conditions = h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "infra", name: "gw")?[path: ["status", "conditions"]]?.arrayValue ?? []
                return conditions.contains { $0["type"]?.stringValue == "Accepted" && $0["status"]?.stringValue == "True" }
            }
            // Errors are logged once per cause (a watched resource, an object's status), not per
            // retry; how many informers meet the 3 s of 503s depends on the machine's load.
            var causes: [String: Int] = [:]
            for line in h.controllers[0].output.split(separator: "\n") where line.contains("HTTP 503") {
                causes[Self.cause(of: line), default: 0] += 1
            }
            #expect(causes.values.allSatisfy { $0 == 1 }, "errors are logged once per cause, not per retry: \(causes)\n\(h.logs)")
        }
    }

    @Test("route parents and policy ancestors of other controllers stay as they are; a route that leaves loses only Tollgate's entry")
    func otherControllersEntries() async throws {
        try await withHarness { h in
            // Another controller's entry, written before Tollgate starts.
            var route = try #require(h.route())
            route["status"] = try JSONValue(parsing: """
                {"parents": [{"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra", "name": "other"},
                  "controllerName": "example.com/other", "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                  "message": "theirs", "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}]}
                """)
            _ = try h.double.updateStatus(route)
            try h.startController()
            try h.wait("Tollgate's entry added") { h.observedGeneration() == 1 }
            let parents = h.route()?[path: ["status", "parents"]]?.arrayValue ?? []
            #expect(parents.count == 2, "\(parents)")
            let theirs = parents.first { $0["controllerName"]?.stringValue == "example.com/other" }
            #expect(theirs?["conditions"]?.arrayValue?.first?["message"]?.stringValue == "theirs")
            #expect(theirs?["conditions"]?.arrayValue?.first?["lastTransitionTime"]?.stringValue == "2026-01-01T00:00:00Z")

            // The route now points at a Gateway that is not Tollgate's: Tollgate takes back its entry only.
            try h.apply(Harness.routeYAML("/v1").replacingOccurrences(of: "name: gw, namespace: infra", with: "name: other, namespace: infra"))
            try h.wait("Tollgate's entry removed") {
                let p = h.route()?[path: ["status", "parents"]]?.arrayValue ?? []
                return p.count == 1 && p.first?["controllerName"]?.stringValue == "example.com/other"
            }
        }
    }

    @Test("a kind the API server does not serve (BackendTLSPolicy) is a warning and empty; ReferenceGrant served only as v1beta1 is read")
    func missingKinds() async throws {
        let resources = ResourceType.tollgateDefaults
            .filter { $0.kind != "BackendTLSPolicy" }
            .map { $0.kind == "ReferenceGrant" ? $0.serving(versions: ["v1beta1"]) : $0 }
        try await withHarness(resources: resources) { h in
            // The route's backend in another namespace, allowed by a v1beta1 ReferenceGrant.
            try h.apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: shared, namespace: infra}
                spec: {ports: [{port: 80}]}
                ---
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: team-to-shared, namespace: infra}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team}]
                  to: [{group: "", kind: Service}]
                """)
            try h.apply(Harness.routeYAML("/v1").replacingOccurrences(of: "backendRefs: [{name: app, port: 80}]",
                                                                        with: "backendRefs: [{name: shared, namespace: infra, port: 80}]"))
            let c = try h.startController()
            try h.wait("the route's refs resolve through the v1beta1 grant") {
                let parents = h.route()?[path: ["status", "parents"]]?.arrayValue ?? []
                let resolved = parents.first?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "ResolvedRefs" }
                return resolved?["status"]?.stringValue == "True"
            }
            #expect(c.output.contains("does not serve BackendTLSPolicy"), "\(h.logs)")
            // Secrets that can never hold a certificate are left out by the server, not filtered here.
            let secretReads = h.double.requestLog.filter { $0.path == "/api/v1/secrets" }
            #expect(!secretReads.isEmpty && secretReads.allSatisfy {
                ($0.query["fieldSelector"] ?? "").contains("type!=kubernetes.io/service-account-token")
                    && ($0.query["fieldSelector"] ?? "").contains("type!=helm.sh/release.v1")
            }, "\(secretReads)")
            #expect(c.process.isRunning)
        }
    }

    @Test("--gateway-class and --watch-namespace: another instance's class and objects outside the namespaces are neither read nor written")
    func scoping() async throws {
        try await withHarness { h in
            try h.apply("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: other-instance}
                spec: {controllerName: tollgate.dev/gateway-controller}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: theirs, namespace: infra}
                spec:
                  gatewayClassName: other-instance
                  listeners: [{name: http, port: 18481, protocol: HTTP}]
                """)
            try h.startController(["--gateway-class", "tollgate", "--watch-namespace", "infra"])
            let gateway = { h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "infra", name: "gw") }
            try h.wait("our Gateway Accepted") {
                let c = gateway()?[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == "Accepted" }
                return c?["status"]?.stringValue == "True"
            }
            try await Task.sleep(for: .seconds(2))
            // The route lives in `team`, outside --watch-namespace: it does not attach and is not written.
            #expect(gateway()?[path: ["status", "listeners"]]?.arrayValue?.first?["attachedRoutes"]?.intValue == 0)
            #expect(h.writes("httproutes/app/status") == 0)
            #expect(h.writes("gateways/theirs/status") == 0)
            #expect(h.writes("gatewayclasses/other-instance/status") == 0)
            #expect(h.writes("gatewayclasses/tollgate/status") == 1)
        }
    }
}
