/// Every object Tollgate knows, by kind. A value: the graph reads a consistent copy.
public struct Store: Sendable, Equatable {
    public var namespaces: [String: Namespace] = [:]
    public var gatewayClasses: [String: GatewayClass] = [:]
    public var gateways: [ObjectKey: Gateway] = [:]
    public var httpRoutes: [ObjectKey: HTTPRoute] = [:]
    public var backendTLSPolicies: [ObjectKey: BackendTLSPolicy] = [:]
    public var referenceGrants: [ObjectKey: ReferenceGrant] = [:]
    public var secrets: [ObjectKey: Secret] = [:]
    public var configMaps: [ObjectKey: ConfigMap] = [:]
    public var services: [ObjectKey: Service] = [:]
    public var endpointSlices: [ObjectKey: EndpointSlice] = [:]
    public var nginxProxies: [ObjectKey: NginxProxy] = [:]

    public init() {}

    /// Inserts or replaces an object.
    public mutating func upsert(_ object: AnyKubeObject) {
        switch object {
        case .namespace(let o): namespaces[o.name] = o
        case .gatewayClass(let o): gatewayClasses[o.name] = o
        case .gateway(let o): gateways[o.key] = o
        case .httpRoute(let o): httpRoutes[o.key] = o
        case .backendTLSPolicy(let o): backendTLSPolicies[o.key] = o
        case .referenceGrant(let o): referenceGrants[o.key] = o
        case .secret(let o): secrets[o.key] = o
        case .configMap(let o): configMaps[o.key] = o
        case .service(let o): services[o.key] = o
        case .endpointSlice(let o): endpointSlices[o.key] = o
        case .nginxProxy(let o): nginxProxies[o.key] = o
        }
    }

    /// Removes the object with `key`, if present.
    public mutating func remove(_ key: ObjectKey) {
        switch key.kind {
        case .namespace: namespaces[key.name] = nil
        case .gatewayClass: gatewayClasses[key.name] = nil
        case .gateway: gateways[key] = nil
        case .httpRoute: httpRoutes[key] = nil
        case .backendTLSPolicy: backendTLSPolicies[key] = nil
        case .referenceGrant: referenceGrants[key] = nil
        case .secret: secrets[key] = nil
        case .configMap: configMaps[key] = nil
        case .service: services[key] = nil
        case .endpointSlice: endpointSlices[key] = nil
        case .nginxProxy: nginxProxies[key] = nil
        }
    }

    /// Metadata of every object, for listing.
    public var allKeys: [ObjectKey] {
        var keys: [ObjectKey] = []
        keys += namespaces.values.map(\.key)
        keys += gatewayClasses.values.map(\.key)
        keys += gateways.keys; keys += httpRoutes.keys; keys += backendTLSPolicies.keys
        keys += referenceGrants.keys; keys += secrets.keys; keys += configMaps.keys
        keys += services.keys; keys += endpointSlices.keys; keys += nginxProxies.keys
        return keys.sorted()
    }

    /// Namespace labels, defaulting to the automatic name label for namespaces not declared.
    public func namespaceLabels(_ name: String) -> [String: String] {
        namespaces[name]?.effectiveLabels ?? ["kubernetes.io/metadata.name": name]
    }
}

/// One decoded object of any supported kind.
public enum AnyKubeObject: Sendable, Equatable {
    case namespace(Namespace)
    case gatewayClass(GatewayClass)
    case gateway(Gateway)
    case httpRoute(HTTPRoute)
    case backendTLSPolicy(BackendTLSPolicy)
    case referenceGrant(ReferenceGrant)
    case secret(Secret)
    case configMap(ConfigMap)
    case service(Service)
    case endpointSlice(EndpointSlice)
    case nginxProxy(NginxProxy)

    public var key: ObjectKey {
        switch self {
        case .namespace(let o): return o.key
        case .gatewayClass(let o): return o.key
        case .gateway(let o): return o.key
        case .httpRoute(let o): return o.key
        case .backendTLSPolicy(let o): return o.key
        case .referenceGrant(let o): return o.key
        case .secret(let o): return o.key
        case .configMap(let o): return o.key
        case .service(let o): return o.key
        case .endpointSlice(let o): return o.key
        case .nginxProxy(let o): return o.key
        }
    }

    public var generation: Int64 {
        switch self {
        case .namespace(let o): return o.generation
        case .gatewayClass(let o): return o.generation
        case .gateway(let o): return o.generation
        case .httpRoute(let o): return o.generation
        case .backendTLSPolicy(let o): return o.generation
        case .referenceGrant(let o): return o.generation
        case .secret(let o): return o.generation
        case .configMap(let o): return o.generation
        case .service(let o): return o.generation
        case .endpointSlice(let o): return o.generation
        case .nginxProxy(let o): return o.generation
        }
    }
}

extension Store {
    /// `metadata.generation` of a stored object (1 when absent), nil when the object is unknown.
    public func generation(of key: ObjectKey) -> Int64? {
        switch key.kind {
        case .namespace: return namespaces[key.name]?.generation
        case .gatewayClass: return gatewayClasses[key.name]?.generation
        case .gateway: return gateways[key]?.generation
        case .httpRoute: return httpRoutes[key]?.generation
        case .backendTLSPolicy: return backendTLSPolicies[key]?.generation
        case .referenceGrant: return referenceGrants[key]?.generation
        case .secret: return secrets[key]?.generation
        case .configMap: return configMaps[key]?.generation
        case .service: return services[key]?.generation
        case .endpointSlice: return endpointSlices[key]?.generation
        case .nginxProxy: return nginxProxies[key]?.generation
        }
    }
}
