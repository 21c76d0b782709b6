import Foundation
import Testing
import TollgateAdmission
import TollgateModel

/// Valid objects of every kind (as JSON, the way a manifest decodes), and helpers to decode edited
/// copies and review them. Shared by the `Admission*Tests` suites.
enum AdmissionSamples {
    static let gatewayClass = #"""
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
     "metadata": {"name": "nginx", "labels": {"app.kubernetes.io/name": "tollgate"}},
     "spec": {"controllerName": "tollgate.dev/gateway-controller", "description": "Tollgate",
              "parametersRef": {"group": "gateway.tollgate.dev", "kind": "NginxProxy", "name": "proxy", "namespace": "default"}}}
    """#

    static let gateway = #"""
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
     "metadata": {"name": "gateway", "namespace": "default", "generation": 3,
                  "creationTimestamp": "2025-01-02T03:04:05Z",
                  "labels": {"app": "gateway"}, "annotations": {"example.com/note": "anything goes here"}},
     "spec": {
       "gatewayClassName": "nginx",
       "listeners": [
         {"name": "https", "hostname": "*.example.com", "port": 443, "protocol": "HTTPS",
          "tls": {"mode": "Terminate",
                  "certificateRefs": [{"group": "", "kind": "Secret", "name": "cafe", "namespace": "default"}],
                  "options": {"example.com/ciphers": "HIGH"}},
          "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "a"}}},
                            "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]}},
         {"name": "http", "port": 80, "protocol": "HTTP"}
       ],
       "addresses": [{"type": "IPAddress", "value": "10.0.0.1"}, {"type": "Hostname", "value": "gw.example.com"}],
       "infrastructure": {"labels": {"team": "a"}, "annotations": {"example.com/owner": "b"},
                          "parametersRef": {"group": "gateway.tollgate.dev", "kind": "NginxProxy", "name": "proxy"}},
       "tls": {"frontend": {"default": {"validation": {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca", "namespace": "default"}],
                                                       "mode": "AllowValidOnly"}},
                            "perPort": [{"port": 443, "tls": {"validation": {"caCertificateRefs": [{"group": "", "kind": "Secret", "name": "ca-443"}],
                                                                             "mode": "AllowInsecureFallback"}}}]},
               "backend": {"clientCertificateRef": {"group": "", "kind": "Secret", "name": "client", "namespace": "default"}}}}}
    """#

    static let httpRoute = #"""
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
     "metadata": {"name": "coffee", "namespace": "default"},
     "spec": {
       "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gateway", "namespace": "default",
                       "sectionName": "https", "port": 443}],
       "hostnames": ["cafe.example.com"],
       "rules": [
         {"name": "coffee",
          "matches": [{"path": {"type": "PathPrefix", "value": "/coffee"},
                       "headers": [{"type": "Exact", "name": "x-env", "value": "canary build"}],
                       "queryParams": [{"type": "Exact", "name": "q", "value": "1"}],
                       "method": "GET"}],
          "filters": [{"type": "RequestHeaderModifier"}],
          "backendRefs": [{"group": "", "kind": "Service", "name": "coffee", "namespace": "default", "port": 80, "weight": 1,
                           "filters": [{"type": "ResponseHeaderModifier"}]}],
          "timeouts": {"request": "10s", "backendRequest": "5s"}}
       ]}}
    """#

    static let backendTLSPolicy = #"""
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "BackendTLSPolicy",
     "metadata": {"name": "secure", "namespace": "default"},
     "spec": {
       "targetRefs": [{"group": "", "kind": "Service", "name": "secure-app", "sectionName": "https"}],
       "validation": {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}],
                      "hostname": "secure-app.example.com",
                      "subjectAltNames": [{"type": "Hostname", "hostname": "secure-app.example.com"},
                                          {"type": "URI", "uri": "spiffe://cluster.local/ns/default/sa/secure"}]},
       "options": {"example.com/option": "value"}}}
    """#

    static let referenceGrant = #"""
    {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
     "metadata": {"name": "grant", "namespace": "default"},
     "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "other"}],
              "to": [{"group": "", "kind": "Service", "name": "coffee"}]}}
    """#

    static let namespace = #"""
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"team": "a"}}}
    """#

    static let secret = #"""
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cafe", "namespace": "default"},
     "type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}, "stringData": {"ca.crt": "pem"}}
    """#

    static let configMap = #"""
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ca", "namespace": "default"},
     "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n"}, "binaryData": {"blob.bin": "AAEC"}}
    """#

    static let service = #"""
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "coffee", "namespace": "default"},
     "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10",
              "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"},
                        {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]}}
    """#

    static let endpointSlice = #"""
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "coffee-1", "namespace": "default", "labels": {"kubernetes.io/service-name": "coffee"}},
     "addressType": "IPv4",
     "endpoints": [{"addresses": ["127.0.0.1", "10.1.2.3"], "conditions": {"ready": true}}],
     "ports": [{"name": "http", "port": 18080, "protocol": "TCP"}]}
    """#

    static let nginxProxy = #"""
    {"apiVersion": "gateway.tollgate.dev/v1alpha1", "kind": "NginxProxy",
     "metadata": {"name": "proxy", "namespace": "default"},
     "spec": {"disableSNIHostValidation": true, "workerProcesses": 4}}
    """#

    static let all = [gatewayClass, gateway, httpRoute, backendTLSPolicy, referenceGrant, namespace, secret,
                      configMap, service, endpointSlice, nginxProxy]

    /// The base sample of a kind.
    static func sample(_ kind: ObjectKind) -> String {
        switch kind {
        case .gatewayClass: return gatewayClass
        case .gateway: return gateway
        case .httpRoute: return httpRoute
        case .backendTLSPolicy: return backendTLSPolicy
        case .referenceGrant: return referenceGrant
        case .namespace: return namespace
        case .secret: return secret
        case .configMap: return configMap
        case .service: return service
        case .endpointSlice: return endpointSlice
        case .nginxProxy: return nginxProxy
        }
    }

    struct UnknownKind: Error { var kind: String }
    private struct Head: Decodable { var kind: String }

    /// Decodes JSON into the model object of its `kind`.
    static func decode(_ data: Data) throws -> AnyKubeObject {
        let kindName = try JSONDecoder().decode(Head.self, from: data).kind
        guard let kind = ObjectKind(rawValue: kindName) else { throw UnknownKind(kind: kindName) }
        let d = JSONDecoder()
        switch kind {
        case .namespace: return .namespace(try d.decode(Namespace.self, from: data))
        case .gatewayClass: return .gatewayClass(try d.decode(GatewayClass.self, from: data))
        case .gateway: return .gateway(try d.decode(Gateway.self, from: data))
        case .httpRoute: return .httpRoute(try d.decode(HTTPRoute.self, from: data))
        case .backendTLSPolicy: return .backendTLSPolicy(try d.decode(BackendTLSPolicy.self, from: data))
        case .referenceGrant: return .referenceGrant(try d.decode(ReferenceGrant.self, from: data))
        case .secret: return .secret(try d.decode(Secret.self, from: data))
        case .configMap: return .configMap(try d.decode(ConfigMap.self, from: data))
        case .service: return .service(try d.decode(Service.self, from: data))
        case .endpointSlice: return .endpointSlice(try d.decode(EndpointSlice.self, from: data))
        case .nginxProxy: return .nginxProxy(try d.decode(NginxProxy.self, from: data))
        }
    }

    /// The model object encoded back to JSON (what the model keeps of a manifest).
    static func encode(_ object: AnyKubeObject) throws -> Data {
        let e = JSONEncoder()
        switch object {
        case .namespace(let o): return try e.encode(o)
        case .gatewayClass(let o): return try e.encode(o)
        case .gateway(let o): return try e.encode(o)
        case .httpRoute(let o): return try e.encode(o)
        case .backendTLSPolicy(let o): return try e.encode(o)
        case .referenceGrant(let o): return try e.encode(o)
        case .secret(let o): return try e.encode(o)
        case .configMap(let o): return try e.encode(o)
        case .service(let o): return try e.encode(o)
        case .endpointSlice(let o): return try e.encode(o)
        case .nginxProxy(let o): return try e.encode(o)
        }
    }

    /// Violations of a JSON object.
    static func review(_ json: String) throws -> [FieldViolation] {
        Admission.review(try decode(Data(json.utf8)))
    }

    /// A sample with one edit applied: `edit` receives the JSON tree as dictionaries and arrays.
    static func edited(_ json: String, _ edit: (inout [String: Any]) -> Void) throws -> [FieldViolation] {
        guard var tree = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw UnknownKind(kind: "not an object")
        }
        edit(&tree)
        return Admission.review(try decode(try JSONSerialization.data(withJSONObject: tree)))
    }

    /// The fields named by the violations of an edited sample, each once, in order.
    static func fields(_ json: String, _ edit: (inout [String: Any]) -> Void) throws -> [String] {
        var seen: Set<String> = []
        return try edited(json, edit).map(\.field).filter { seen.insert($0).inserted }
    }
}

/// Editing helpers for `[String: Any]` JSON trees: `tree[path: "spec.listeners[0].port"] = 0`.
extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        get { JSONPath(path).get(self) }
        set { self = JSONPath(path).set(self, newValue) as? [String: Any] ?? self }
    }
}

/// A dotted path with `[i]` indexes and `[key]` map keys into a JSON tree; setting creates what is
/// missing (objects for names, one-element arrays for indexes).
struct JSONPath {
    enum Step { case name(String), index(Int) }
    var steps: [Step] = []

    init(_ text: String) {
        var name = ""
        var rest = Substring(text)
        while let c = rest.first {
            rest = rest.dropFirst()
            switch c {
            case ".":
                if !name.isEmpty { steps.append(.name(name)); name = "" }
            case "[":
                if !name.isEmpty { steps.append(.name(name)); name = "" }
                let inner = rest.prefix { $0 != "]" }
                rest = rest.dropFirst(inner.count + 1)
                steps.append(Int(inner).map(Step.index) ?? .name(String(inner)))
            default:
                name.append(c)
            }
        }
        if !name.isEmpty { steps.append(.name(name)) }
    }

    func get(_ root: Any) -> Any? {
        var node: Any? = root
        for step in steps {
            switch step {
            case .name(let n): node = (node as? [String: Any])?[n]
            case .index(let i):
                guard let a = node as? [Any], a.indices.contains(i) else { return nil }
                node = a[i]
            }
        }
        return node
    }

    func set(_ root: Any, _ value: Any?) -> Any? { set(root, value, ArraySlice(steps)) }

    private func set(_ node: Any?, _ value: Any?, _ steps: ArraySlice<Step>) -> Any? {
        guard let step = steps.first else { return value }
        let rest = steps.dropFirst()
        switch step {
        case .name(let n):
            var d = node as? [String: Any] ?? [:]
            d[n] = set(d[n], value, rest)
            return d
        case .index(let i):
            var a = node as? [Any] ?? []
            if rest.isEmpty, value == nil {
                if a.indices.contains(i) { a.remove(at: i) }   // setting nil removes the item
                return a
            }
            while a.count <= i { a.append([String: Any]()) }
            a[i] = set(a[i], value, rest) ?? NSNull()
            return a
        }
    }
}

@Suite struct AdmissionSamplesTests {
    @Test("every sample object is admitted", arguments: ObjectKind.allCases)
    func samplesAreValid(kind: ObjectKind) throws {
        let violations = try AdmissionSamples.review(AdmissionSamples.sample(kind))
        #expect(violations == [], "\(kind): \(violations)")
    }

    @Test("the JSON path helper reads, writes and creates")
    func jsonPath() throws {
        var tree: [String: Any] = ["spec": ["listeners": [["port": 80]]]]
        #expect(tree[path: "spec.listeners[0].port"] as? Int == 80)
        tree[path: "spec.listeners[0].port"] = 81
        tree[path: "spec.tls.frontend.perPort[0].port"] = 443
        tree[path: "metadata.labels[a/b]"] = "c"
        tree[path: "metadata.annotations[example.com/x.y]"] = "d"
        #expect(tree[path: "spec.listeners[0].port"] as? Int == 81)
        #expect(tree[path: "spec.tls.frontend.perPort[0].port"] as? Int == 443)
        #expect(tree[path: "metadata.labels[a/b]"] as? String == "c")
        #expect((tree[path: "metadata.annotations"] as? [String: Any])?.keys.sorted() == ["example.com/x.y"])
    }
}
