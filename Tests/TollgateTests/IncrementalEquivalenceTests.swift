import Foundation
import Testing
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

/// The incremental path (`IncrementalGraphBuilder` + a long-lived `GatewayRenderer`) must equal a
/// from-scratch `GraphBuilder().build` + a fresh `GatewayRenderer().render` after every edit of a
/// random sequence (fixed seed): routes added, changed and deleted, Services, EndpointSlices,
/// BackendTLSPolicies, Gateway listeners, Namespace labels, ReferenceGrants and Secrets changed.
@Suite struct IncrementalEquivalenceTests {
    static let steps = 300

    @Test("random edits: incremental graph and files equal a from-scratch build after each")
    func randomEditsMatchFromScratch() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["TOLLGATE_PROPERTY_SEED"] ?? "") ?? 0x1c2e_3a7d
        var rng = SplitMix64(seed: seed)
        let shared = try DirectoryLoader().load(root: Fixtures.golden.appendingPathComponent("shared").path).store
        var world = World()
        var incremental = IncrementalGraphBuilder()
        var renderer = GatewayRenderer()
        var routeOnlySteps = 0, reusedSteps = 0, edits: [String: Int] = [:]
        for step in 0...Self.steps {
            let edit = step == 0 ? "initial" : world.edit(&rng)
            edits[edit, default: 0] += 1
            let store = try world.store(shared: shared)
            // A clock that moves, as the controller's does.
            let now = Fixtures.defaultNow.addingTimeInterval(Double(step) * 3_600)
            let graph = incremental.build(store, now: now)
            let files = renderer.render(graph)
            let fresh = GraphBuilder().build(store, now: now)
            var freshRenderer = GatewayRenderer()
            let freshFiles = freshRenderer.render(fresh)
            let context = "seed \(seed) step \(step) (\(edit))"
            #expect(graph == fresh, "\(context): the incremental graph differs from a from-scratch build")
            #expect(graph.statuses == fresh.statuses, "\(context): statuses differ")
            #expect(files == freshFiles, "\(context): rendered files differ")
            #expect(renderer.lastRefusals.isEmpty && freshRenderer.lastRefusals.isEmpty, "\(context): refused \(freshRenderer.lastRefusals)")
            if edit.hasPrefix("route") {
                routeOnlySteps += 1
                // Only the edited route is resolved again.
                #expect(incremental.lastResolvedRoutes <= 1, "\(context): resolved \(incremental.lastResolvedRoutes) routes")
                if incremental.lastResolvedRoutes <= 1 { reusedSteps += 1 }
            }
            if graph != fresh || files != freshFiles { break }
        }
        // The property must have been exercised: every kind of edit, the incremental path taken.
        #expect(Set(edits.keys).isSuperset(of: World.editKinds), "edits made: \(edits)")
        #expect(reusedSteps > Self.steps / 4 && reusedSteps == routeOnlySteps, "route-only steps \(routeOnlySteps), reused \(reusedSteps)")
    }

    @Test("a route edit re-renders only its Gateway; the other keeps its files without a new IR")
    func unaffectedGatewayIsNotRendered() throws {
        let shared = try DirectoryLoader().load(root: Fixtures.golden.appendingPathComponent("shared").path).store
        var world = World()
        var incremental = IncrementalGraphBuilder()
        var renderer = GatewayRenderer()
        let before = renderer.render(incremental.build(try world.store(shared: shared), now: Fixtures.defaultNow))
        #expect(renderer.lastRenderCount == 2)
        // Route 0 is attached to gateway-a only.
        world.routes[0] = World.Route(namespace: "default", gateway: 0, section: nil, hostnames: ["a.example.com"], path: "/moved",
                                      exact: false, header: nil, backends: [(0, 80, 1)])
        let after = renderer.render(incremental.build(try world.store(shared: shared), now: Fixtures.defaultNow))
        #expect(incremental.lastResolvedRoutes == 1)
        #expect(renderer.lastRenderCount == 1)
        let a = ObjectKey(kind: .gateway, namespace: "default", name: "gateway-a")
        let b = ObjectKey(kind: .gateway, namespace: "other", name: "gateway-b")
        #expect(after[b] == before[b])
        // Only the server files of the route's hostname changed in gateway-a (its HTTP and HTTPS listeners).
        let changed = Set(after[a]!.files.keys).union(before[a]!.files.keys).filter { after[a]!.files[$0] != before[a]!.files[$0] }
        #expect(changed == ["servers/port-8080/a.example.com.conf", "servers/port-8443/a.example.com.conf"], "changed: \(changed.sorted())")
    }
}

/// A small cluster described by a few numbers and lists, written as manifests; `edit` changes
/// one thing at random.
struct World {
    struct Route {
        var namespace: String
        /// 0: gateway-a (default), 1: gateway-b (other).
        var gateway: Int
        var section: String?
        var hostnames: [String]
        var path: String
        var exact: Bool
        var header: String?
        /// (service index, port, weight)
        var backends: [(Int, Int, Int)]
    }

    static let editKinds: Set<String> = ["route add", "route change", "route delete", "service", "endpointslice", "backendtlspolicy",
                                         "gateway listener", "namespace label", "referencegrant", "secret"]
    static let hostPool = ["a.example.com", "b.example.com", "c.test", "deep.a.example.com"]
    static let pathPool = ["/", "/api", "/api/v1", "/shop", "/shop/", "/a%20b", "/x"]
    static let namespaces = ["default", "team", "other"]

    var routes: [Int: Route] = [
        0: Route(namespace: "default", gateway: 0, section: nil, hostnames: ["a.example.com"], path: "/", exact: false, header: nil, backends: [(0, 80, 1)]),
        1: Route(namespace: "team", gateway: 0, section: "http", hostnames: [], path: "/api", exact: false, header: "v1", backends: [(1, 80, 1)]),
        2: Route(namespace: "other", gateway: 1, section: nil, hostnames: ["b.example.com"], path: "/shop", exact: true, header: nil, backends: [(2, 443, 1)]),
    ]
    var nextRoute = 3
    /// Per Service (default/svc0, default/svc1, default/svc2 with a BackendTLSPolicy, team/svc3): has port 443 too.
    var serviceHTTPS = [false, false, true, false]
    var sliceAddresses = [["10.0.0.1"], ["10.0.0.2", "10.0.0.3"], ["10.0.0.4"], []]
    /// nil: no policy; otherwise the CA Secret it names and its hostname.
    var policy: (ca: String, hostname: String)? = ("ca-a", "svc2.example.com")
    var teamTier = "web"
    var grants = (routesToDefault: true, gatewayToSecret: true)
    /// Listeners: gateway-a's HTTPS hostname, its extra Selector listener, gateway-b's HTTPS certificate.
    var httpsHostname: String? = "*.example.com"
    var selectorListener = true
    var gatewayBCertificate = "cafe-tls"
    /// 0: default/cafe-tls as in the fixtures; 1: it holds the expiring certificate; 2: removed.
    var secretVariant = 0

    mutating func edit(_ rng: inout SplitMix64) -> String {
        let kind = Self.editKinds.sorted()[Int(rng.next() % UInt64(Self.editKinds.count))]
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        switch kind {
        case "route add", "route change":
            let id = kind == "route add" || routes.isEmpty ? nextRoute : pick(routes.keys.sorted())
            if id == nextRoute { nextRoute += 1 }
            let ns = pick(Self.namespaces)
            let hosts = (0..<Int(rng.next() % 3)).map { _ in pick(Self.hostPool) }
            let backends = (0..<(1 + Int(rng.next() % 2))).map { _ in (Int(rng.next() % 4), pick([80, 443, 81]), 1 + Int(rng.next() % 3)) }
            routes[id] = Route(namespace: ns, gateway: Int(rng.next() % 2), section: pick([nil, nil, "http", "https", "selected"]),
                               hostnames: Array(Set(hosts)).sorted(), path: pick(Self.pathPool), exact: rng.next() % 3 == 0,
                               header: pick([nil, nil, "v1", "v2"]), backends: backends)
        case "route delete":
            if !routes.isEmpty { routes[pick(routes.keys.sorted())] = nil }
        case "service": serviceHTTPS[Int(rng.next() % 4)].toggle()
        case "endpointslice":
            let i = Int(rng.next() % 4)
            sliceAddresses[i] = (0..<Int(rng.next() % 3)).map { _ in "10.0.1.\(rng.next() % 200 + 1)" }
        case "backendtlspolicy":
            policy = pick([nil, ("ca-a", "svc2.example.com"), ("ca-b", "svc2.example.com"), ("missing-ca", "svc2.example.com"), ("ca-a", "other.example.com")])
        case "gateway listener":
            switch rng.next() % 3 {
            case 0: httpsHostname = pick([nil, "*.example.com", "a.example.com"])
            case 1: selectorListener.toggle()
            default: gatewayBCertificate = pick(["cafe-tls", "malformed-tls", "expiring-tls"])
            }
        case "namespace label": teamTier = teamTier == "web" ? "db" : "web"
        case "referencegrant":
            if rng.next() % 2 == 0 { grants.routesToDefault.toggle() } else { grants.gatewayToSecret.toggle() }
        case "secret": secretVariant = (secretVariant + 1 + Int(rng.next() % 2)) % 3
        default: break
        }
        return kind
    }

    func store(shared: Store) throws -> Store {
        let decoded = ManifestDecoder().decode(text: yaml(), file: "world.yaml")
        guard decoded.errors.isEmpty else { throw WorldError(message: "\(decoded.errors)") }
        var store = shared
        for (o, _) in decoded.objects { store.upsert(o) }
        let cafe = ObjectKey(kind: .secret, namespace: "default", name: "cafe-tls")
        switch secretVariant {
        case 1:
            var s = shared.secrets[ObjectKey(kind: .secret, namespace: "default", name: "expiring-tls")]!
            s.metadata.name = "cafe-tls"
            store.secrets[cafe] = s
        case 2: store.secrets[cafe] = nil
        default: break
        }
        return store
    }

    struct WorldError: Error { var message: String }

    func yaml() -> String {
        var y = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: nginx}
        spec: {controllerName: tollgate.dev/gateway-controller}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: team, labels: {tier: \(teamTier)}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: other}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gateway-a, namespace: default}
        spec:
          gatewayClassName: nginx
          listeners:
          - {name: http, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
          - name: https
            port: 8443
            protocol: HTTPS
        \(httpsHostname.map { "    hostname: \"\($0)\"\n" } ?? "")    allowedRoutes: {namespaces: {from: All}}
            tls: {certificateRefs: [{name: cafe-tls}]}

        """
        if selectorListener {
            y += "  - {name: selected, port: 8081, protocol: HTTP, hostname: a.example.com, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {tier: web}}}}}\n"
        }
        y += """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gateway-b, namespace: other}
        spec:
          gatewayClassName: nginx
          listeners:
          - {name: http, port: 9090, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
          - {name: https, port: 9443, protocol: HTTPS, allowedRoutes: {namespaces: {from: Same}}, tls: {certificateRefs: [{name: \(gatewayBCertificate), namespace: default}]}}

        """
        var grantsFrom: [String] = []
        if grants.routesToDefault { grantsFrom.append("{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team}") }
        if grants.gatewayToSecret { grantsFrom.append("{group: gateway.networking.k8s.io, kind: Gateway, namespace: other}") }
        if !grantsFrom.isEmpty {
            y += """
            ---
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: grant, namespace: default}
            spec:
              from: [\(grantsFrom.joined(separator: ", "))]
              to: [{group: "", kind: Service}, {group: "", kind: Secret}]

            """
        }
        for i in 0..<4 {
            let ns = i == 3 ? "team" : "default"
            let ports = "{name: http, port: 80}" + (serviceHTTPS[i] ? ", {name: https, port: 443}" : "")
            y += """
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: svc\(i), namespace: \(ns)}
            spec: {ports: [\(ports)]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: svc\(i)-1, namespace: \(ns), labels: {kubernetes.io/service-name: svc\(i)}}
            addressType: IPv4
            ports: [{name: http, port: 8080}, {name: https, port: 8443}]
            endpoints: [{addresses: [\(sliceAddresses[i].joined(separator: ", "))]}]

            """
        }
        if let p = policy {
            y += """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: BackendTLSPolicy
            metadata: {name: tls, namespace: default}
            spec:
              targetRefs: [{group: "", kind: Service, name: svc2}]
              validation: {caCertificateRefs: [{group: "", kind: Secret, name: \(p.ca)}], hostname: \(p.hostname)}

            """
        }
        for id in routes.keys.sorted() {
            let r = routes[id]!
            let gw = r.gateway == 0 ? "{name: gateway-a, namespace: default" : "{name: gateway-b, namespace: other"
            let parent = gw + (r.section.map { ", sectionName: \($0)" } ?? "") + "}"
            let header = r.header.map { ", headers: [{name: X-Version, value: \($0)}]" } ?? ""
            let backends = r.backends.map { b in
                "{name: svc\(b.0), namespace: \(b.0 == 3 ? "team" : "default"), port: \(b.1), weight: \(b.2)}"
            }.joined(separator: ", ")
            y += """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r\(id), namespace: \(r.namespace)}
            spec:
              parentRefs: [\(parent)]
              hostnames: [\(r.hostnames.joined(separator: ", "))]
              rules:
              - matches: [{path: {type: \(r.exact ? "Exact" : "PathPrefix"), value: "\(r.path)"}\(header)}]
                backendRefs: [\(backends)]

            """
        }
        return y
    }
}
