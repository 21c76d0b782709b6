/// The kinds Tollgate understands, with their API group and version.
public enum ObjectKind: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    case namespace = "Namespace"
    case gatewayClass = "GatewayClass"
    case gateway = "Gateway"
    case httpRoute = "HTTPRoute"
    case backendTLSPolicy = "BackendTLSPolicy"
    case referenceGrant = "ReferenceGrant"
    case secret = "Secret"
    case configMap = "ConfigMap"
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case nginxProxy = "NginxProxy"

    /// The API group ("" for the core group).
    public var group: String {
        switch self {
        case .namespace, .secret, .configMap, .service: return ""
        case .gatewayClass, .gateway, .httpRoute, .backendTLSPolicy, .referenceGrant:
            return GatewayAPI.group
        case .endpointSlice: return "discovery.k8s.io"
        case .nginxProxy: return Tollgate.apiGroup
        }
    }

    /// The `apiVersion` Tollgate writes when it prints objects.
    public var apiVersion: String {
        switch self {
        case .namespace, .secret, .configMap, .service: return "v1"
        case .gatewayClass, .gateway, .httpRoute, .backendTLSPolicy: return "\(GatewayAPI.group)/v1"
        case .referenceGrant: return "\(GatewayAPI.group)/v1beta1"
        case .endpointSlice: return "discovery.k8s.io/v1"
        case .nginxProxy: return "\(Tollgate.apiGroup)/\(Tollgate.apiVersion)"
        }
    }

    /// Versions of the group accepted when decoding.
    public var acceptedVersions: Set<String> {
        switch self {
        case .namespace, .secret, .configMap, .service: return ["v1"]
        case .gatewayClass, .gateway, .httpRoute: return ["v1", "v1beta1"]
        case .backendTLSPolicy: return ["v1", "v1alpha3"]
        case .referenceGrant: return ["v1beta1", "v1alpha2", "v1"]
        case .endpointSlice: return ["v1"]
        case .nginxProxy: return [Tollgate.apiVersion]
        }
    }

    public var isNamespaced: Bool {
        switch self {
        case .namespace, .gatewayClass: return false
        default: return true
        }
    }

    /// Order used for stable output: cluster-scoped first, then in pipeline order.
    private var rank: Int { ObjectKind.allCases.firstIndex(of: self)! }
    public static func < (a: ObjectKind, b: ObjectKind) -> Bool { a.rank < b.rank }
}

/// Identity of an object: kind, namespace ("" for cluster-scoped) and name.
public struct ObjectKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var namespace: String
    public var name: String

    public init(kind: ObjectKind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = kind.isNamespaced ? namespace : ""
        self.name = name
    }

    /// `kind ns/name`, or `kind name` for cluster-scoped objects.
    public var description: String {
        namespace.isEmpty ? "\(kind.rawValue) \(name)" : "\(kind.rawValue) \(namespace)/\(name)"
    }

    /// `ns/name` (or `name`).
    public var namespacedName: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.kind, a.namespace, a.name) < (b.kind, b.namespace, b.name)
    }
}
