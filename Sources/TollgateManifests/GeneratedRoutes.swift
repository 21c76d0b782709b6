import TollgateModel

/// The generated input of `tollgate benchmark` and of the incremental-path tests: a GatewayClass,
/// `gateways` Gateways with one HTTP listener each, `routes` HTTPRoutes spread over the Gateways
/// and over `hostnames` hostnames per Gateway (a PathPrefix match and an Exact match with a
/// header each), one Service + EndpointSlice per 10 routes. Multi-document YAML.
public enum GeneratedRoutes {
    public static func manifests(routes: Int, gateways: Int, hostnames: Int) -> String {
        var y = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: bench}\nspec: {controllerName: \(Tollgate.controllerName)}\n"
        for g in 0..<gateways {
            y += "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw\(g), namespace: bench}\nspec:\n  gatewayClassName: bench\n  listeners: [{name: http, port: \(10000 + g), protocol: HTTP}]\n"
        }
        let services = max(1, routes / 10)
        for s in 0..<services {
            y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc\(s), namespace: bench}\nspec: {ports: [{name: http, port: 80}]}\n"
            y += "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: svc\(s)-1, namespace: bench, labels: {kubernetes.io/service-name: svc\(s)}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints: [{addresses: [10.0.\(s / 250).\(s % 250 + 1)]}]\n"
        }
        for r in 0..<routes {
            let g = r % gateways, h = (r / gateways) % hostnames
            y += "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r\(r), namespace: bench}\nspec:\n  parentRefs: [{name: gw\(g)}]\n  hostnames: [h\(h).example.com]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /api/r\(r)}}, {path: {type: Exact, value: /x/r\(r)}, headers: [{name: X-Version, value: v\(r % 3)}]}]\n    backendRefs: [{name: svc\(r % services), port: 80}]\n"
        }
        return y
    }
}
