/// Manifest text the process-level tests share: one HTTP Gateway `default/gw` on 127.0.0.1, a
/// Service `default/app` whose one endpoint is a loopback backend, and a route to it.
enum TestManifests {
    /// GatewayClass `nginx` and Gateway `default/gw` with one HTTP listener on `gatewayPort`.
    static func httpGateway(port gatewayPort: Int) -> String {
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: nginx}
        spec: {controllerName: tollgate.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec:
          gatewayClassName: nginx
          listeners:
          - {name: http, port: \(gatewayPort), protocol: HTTP}
          addresses: [{type: IPAddress, value: 127.0.0.1}]

        """
    }

    /// Service `default/app` (port 80) and its EndpointSlice: one ready endpoint, 127.0.0.1:`backendPort`.
    static func loopbackService(backendPort: Int) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: app, namespace: default}
        spec:
          ports: [{name: http, port: 80, targetPort: 80}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: app-1, namespace: default, labels: {kubernetes.io/service-name: app}}
        addressType: IPv4
        ports: [{name: http, port: \(backendPort)}]
        endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]

        """
    }

    /// HTTPRoute `default/app` on `gw`: PathPrefix `path` → Service `app`.
    static func route(path: String) -> String {
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: app, namespace: default}
        spec:
          parentRefs: [{name: gw}]
          rules:
          - matches: [{path: {type: PathPrefix, value: \(path)}}]
            backendRefs: [{name: app, port: 80}]

        """
    }

    /// The Gateway, the route and the Service: a request for `path` on `gatewayPort` reaches the backend.
    static func oneRoute(gatewayPort: Int, backendPort: Int, path: String) -> String {
        [httpGateway(port: gatewayPort), route(path: path), loopbackService(backendPort: backendPort)].joined(separator: "---\n")
    }
}
