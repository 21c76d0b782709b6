/// One kind of object the double serves, as a CustomResourceDefinition or a built-in API group
/// would declare it: where it lives on the wire and which server behaviours apply to it.
///
/// The same stored object is served at every version in `versions` (Gateway API versions share a
/// schema, so no conversion is done beyond rewriting `apiVersion`). Removing a type from the
/// double's list is how a test says "this CRD is not installed".
public struct ResourceType: Sendable, Hashable {
    /// Built-in kinds follow their own registry strategy; custom resources follow the CRD rules.
    public enum Origin: Sendable, Hashable {
        /// A kind compiled into kube-apiserver: its registry strategy's rules (most keep no
        /// `metadata.generation`), strategic merge patch allowed.
        case builtIn
        /// A CRD-defined kind: `generation` bumps on any change outside `metadata` and `status`,
        /// strategic merge patch is refused with 415, DELETE returns the object.
        case custom
    }

    /// API group, "" for the core group.
    public var group: String
    /// Served versions; the first one is the preferred (storage) version.
    public var versions: [String]
    public var kind: String
    /// Lower-case plural used in URLs, e.g. `httproutes`.
    public var plural: String
    public var singular: String
    public var namespaced: Bool
    /// Whether a `status` subresource exists: then PUT/PATCH on the object ignore `status`, and only
    /// `PLURAL/NAME/status` writes it.
    public var hasStatus: Bool
    public var shortNames: [String]
    public var categories: [String]
    public var origin: Origin

    public init(group: String, versions: [String], kind: String, plural: String, singular: String? = nil,
                namespaced: Bool, hasStatus: Bool, shortNames: [String] = [], categories: [String] = [], origin: Origin)
    {
        precondition(!versions.isEmpty, "a resource type needs at least one served version")
        self.group = group
        self.versions = versions
        self.kind = kind
        self.plural = plural
        self.singular = singular ?? kind.lowercased()
        self.namespaced = namespaced
        self.hasStatus = hasStatus
        self.shortNames = shortNames
        self.categories = categories
        self.origin = origin
    }

    /// The same type served at other versions only (e.g. ReferenceGrant at `v1beta1` alone).
    public func serving(versions: [String]) -> ResourceType {
        var copy = self
        precondition(!versions.isEmpty, "a resource type needs at least one served version")
        copy.versions = versions
        return copy
    }

    /// `gateways.gateway.networking.k8s.io`, or `secrets` for the core group: the name the real
    /// server uses in error messages.
    public var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// `Gateway.gateway.networking.k8s.io`, or `Secret`: the name used in Invalid errors.
    var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }

    func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }

    /// Whether the server maintains `metadata.generation`: CRDs do, and of the served built-in
    /// kinds only EndpointSlice (Secrets, ConfigMaps, Services, Namespaces, Leases and Events have none).
    var tracksGeneration: Bool { origin == .custom || (group == "discovery.k8s.io" && kind == "EndpointSlice") }

    var isNamespace: Bool { group.isEmpty && kind == "Namespace" }

    /// Identity of the stored collection: objects are shared by every served version.
    var storageKey: String { "\(group)/\(plural)" }
}

extension ResourceType {
    static let gatewayAPIGroup = "gateway.networking.k8s.io"

    public static let namespaces = ResourceType(group: "", versions: ["v1"], kind: "Namespace", plural: "namespaces",
                                                namespaced: false, hasStatus: true, shortNames: ["ns"], origin: .builtIn)
    public static let secrets = ResourceType(group: "", versions: ["v1"], kind: "Secret", plural: "secrets",
                                             namespaced: true, hasStatus: false, origin: .builtIn)
    public static let configMaps = ResourceType(group: "", versions: ["v1"], kind: "ConfigMap", plural: "configmaps",
                                                namespaced: true, hasStatus: false, shortNames: ["cm"], origin: .builtIn)
    public static let services = ResourceType(group: "", versions: ["v1"], kind: "Service", plural: "services",
                                              namespaced: true, hasStatus: true, shortNames: ["svc"], categories: ["all"], origin: .builtIn)
    public static let events = ResourceType(group: "", versions: ["v1"], kind: "Event", plural: "events",
                                            namespaced: true, hasStatus: false, shortNames: ["ev"], origin: .builtIn)
    public static let endpointSlices = ResourceType(group: "discovery.k8s.io", versions: ["v1"], kind: "EndpointSlice", plural: "endpointslices",
                                                    namespaced: true, hasStatus: false, origin: .builtIn)
    public static let leases = ResourceType(group: "coordination.k8s.io", versions: ["v1"], kind: "Lease", plural: "leases",
                                            namespaced: true, hasStatus: false, origin: .builtIn)
    public static let gatewayClasses = ResourceType(group: gatewayAPIGroup, versions: ["v1"], kind: "GatewayClass", plural: "gatewayclasses",
                                                    namespaced: false, hasStatus: true, shortNames: ["gc"], categories: ["gateway-api"], origin: .custom)
    public static let gateways = ResourceType(group: gatewayAPIGroup, versions: ["v1"], kind: "Gateway", plural: "gateways",
                                              namespaced: true, hasStatus: true, shortNames: ["gtw"], categories: ["gateway-api"], origin: .custom)
    public static let httpRoutes = ResourceType(group: gatewayAPIGroup, versions: ["v1"], kind: "HTTPRoute", plural: "httproutes",
                                                namespaced: true, hasStatus: true, categories: ["gateway-api"], origin: .custom)
    /// Served at v1 and v1beta1, as Gateway API v1.1+ does; `serving(versions: ["v1beta1"])` for older releases.
    public static let referenceGrants = ResourceType(group: gatewayAPIGroup, versions: ["v1", "v1beta1"], kind: "ReferenceGrant", plural: "referencegrants",
                                                     namespaced: true, hasStatus: false, shortNames: ["refgrant"], categories: ["gateway-api"], origin: .custom)
    public static let backendTLSPolicies = ResourceType(group: gatewayAPIGroup, versions: ["v1"], kind: "BackendTLSPolicy", plural: "backendtlspolicies",
                                                        namespaced: true, hasStatus: true, shortNames: ["btlspolicy"], categories: ["gateway-api"], origin: .custom)
    public static let nginxProxies = ResourceType(group: "gateway.nginx.org", versions: ["v1alpha2"], kind: "NginxProxy", plural: "nginxproxies",
                                                  namespaced: true, hasStatus: false, categories: ["nginx-gateway-fabric"], origin: .custom)

    /// Everything Tollgate reads or writes. GatewayClass, Gateway and HTTPRoute are served at v1
    /// only (the standard-channel CRDs also serve v1beta1: `serving(versions: ["v1", "v1beta1"])`).
    public static let tollgateDefaults: [ResourceType] = [
        namespaces, secrets, configMaps, services, events, endpointSlices, leases,
        gatewayClasses, gateways, httpRoutes, referenceGrants, backendTLSPolicies, nginxProxies,
    ]
}
