import TollgateModel

/// What a Kubernetes API server would refuse before storing an object, applied by Tollgate itself
/// because in directory mode nothing stands between the manifests and the controller: the Gateway
/// API CRDs' schema keywords and CEL rules (standard channel v1.6.1, with the experimental channel's
/// stricter header-value pattern), Kubernetes' built-in rules for core kinds and metadata, and the
/// rules of Tollgate's own NginxProxy.
///
/// Every violation is reported, each with its own field path, in a deterministic order. The review
/// is pure and total: any decoded object, however hostile, yields a list and never traps.
public enum Admission {
    /// Everything wrong with one decoded object; empty means admitted.
    public static func review(_ object: AnyKubeObject) -> [FieldViolation] {
        var f = Findings()
        switch object {
        case .namespace(let o):
            MetadataRules.check(o.metadata, kind: .namespace, into: &f)
        case .gatewayClass(let o):
            MetadataRules.check(o.metadata, kind: .gatewayClass, into: &f)
            GatewayClassRules.check(o.spec, into: &f)
        case .gateway(let o):
            MetadataRules.check(o.metadata, kind: .gateway, into: &f)
            GatewayRules.check(o.spec, into: &f)
        case .httpRoute(let o):
            MetadataRules.check(o.metadata, kind: .httpRoute, into: &f)
            HTTPRouteRules.check(o.spec, into: &f)
        case .backendTLSPolicy(let o):
            MetadataRules.check(o.metadata, kind: .backendTLSPolicy, into: &f)
            BackendTLSPolicyRules.check(o.spec, into: &f)
        case .referenceGrant(let o):
            MetadataRules.check(o.metadata, kind: .referenceGrant, into: &f)
            ReferenceGrantRules.check(o.spec, into: &f)
        case .secret(let o):
            MetadataRules.check(o.metadata, kind: .secret, into: &f)
            SecretRules.check(o, into: &f)
        case .configMap(let o):
            MetadataRules.check(o.metadata, kind: .configMap, into: &f)
            ConfigMapRules.check(o, into: &f)
        case .service(let o):
            MetadataRules.check(o.metadata, kind: .service, into: &f)
            ServiceRules.check(o, into: &f)
        case .endpointSlice(let o):
            MetadataRules.check(o.metadata, kind: .endpointSlice, into: &f)
            EndpointSliceRules.check(o, into: &f)
        case .nginxProxy(let o):
            MetadataRules.check(o.metadata, kind: .nginxProxy, into: &f)
            NginxProxyRules.check(o, into: &f)
        }
        return f.violations
    }
}
