import TollgateKube
import TollgateModel

/// Which API resource serves each kind Tollgate reads, in the versions this cluster serves.
public struct KubernetesKinds: Sendable {
    /// Resource per kind; a kind whose group serves none of its versions keeps its preferred
    /// version (its informer then reports it not served and looks again later).
    public private(set) var resources: [ObjectKind: ResourceType]

    /// Versions Tollgate can read, preferred first (all are decoded the same way).
    static func candidates(_ kind: ObjectKind) -> [String] {
        switch kind {
        case .namespace, .secret, .configMap, .service, .endpointSlice: return ["v1"]
        case .gatewayClass, .gateway, .httpRoute: return ["v1", "v1beta1"]
        case .referenceGrant: return ["v1", "v1beta1"]
        case .backendTLSPolicy: return ["v1", "v1alpha3"]
        case .nginxProxy: return [Tollgate.apiVersion]
        }
    }

    static func plural(_ kind: ObjectKind) -> String {
        switch kind {
        case .namespace: return "namespaces"
        case .gatewayClass: return "gatewayclasses"
        case .gateway: return "gateways"
        case .httpRoute: return "httproutes"
        case .backendTLSPolicy: return "backendtlspolicies"
        case .referenceGrant: return "referencegrants"
        case .secret: return "secrets"
        case .configMap: return "configmaps"
        case .service: return "services"
        case .endpointSlice: return "endpointslices"
        case .nginxProxy: return "nginxproxies"
        }
    }

    /// The resource for `kind` at `version`.
    public static func resource(_ kind: ObjectKind, version: String) -> ResourceType {
        ResourceType(group: kind.group, version: version, plural: plural(kind), kind: kind.rawValue, namespaced: kind.isNamespaced)
    }

    /// Preferred versions, without asking the server.
    public init() {
        resources = Dictionary(uniqueKeysWithValues: ObjectKind.allCases.map { ($0, Self.resource($0, version: Self.candidates($0)[0])) })
    }

    /// Asks the server which versions of each group it serves and picks, per kind, the first
    /// candidate it serves. Returns the kinds served in none of their versions.
    public mutating func negotiate(with client: KubeClient) async -> [ObjectKind] {
        var served: [String: [String]] = [:]
        var missing: [ObjectKind] = []
        for kind in ObjectKind.allCases {
            if served[kind.group] == nil {
                served[kind.group] = kind.group.isEmpty ? ["v1"] : (try? await client.servedVersions(group: kind.group)) ?? []
            }
            let versions = served[kind.group] ?? []
            var found = false
            for v in Self.candidates(kind) where versions.contains(v) {
                let listed = kind.group.isEmpty ? true : await Self.serves(client, kind, v)
                if listed {
                    resources[kind] = Self.resource(kind, version: v)
                    found = true
                    break
                }
            }
            if !found { missing.append(kind) }
        }
        return missing
    }

    /// Whether the group/version lists the kind's resource (a group can serve a version without
    /// every kind, e.g. BackendTLSPolicy arrived in v1 after Gateway).
    static func serves(_ client: KubeClient, _ kind: ObjectKind, _ version: String) async -> Bool {
        guard let list = try? await client.discover(group: kind.group, version: version) else { return false }
        return list.contains { $0.name == plural(kind) }
    }

    /// The kind a resource serves.
    public func kind(of resource: ResourceType) -> ObjectKind? {
        resources.first { $0.value == resource }?.key
    }
}
