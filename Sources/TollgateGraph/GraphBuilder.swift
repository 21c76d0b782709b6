import Foundation
import TollgateModel

/// Builds a `Graph` from a `Store`. Pure: the only "clock" is `now`, passed in, used for
/// certificate-expiry notes. Linear in the number of objects.
public struct GraphBuilder: Sendable {
    public var controllerName: String
    /// Bind address for Gateways without `spec.addresses`.
    public var defaultAddress: String

    public init(controllerName: String = Tollgate.controllerName, defaultAddress: String = "127.0.0.1") {
        self.controllerName = controllerName
        self.defaultAddress = defaultAddress
    }

    /// - Parameter unavailablePorts: ports a data plane could not bind, per Gateway, with the
    ///   reason (NGINX's line): listeners on them are not accepted (`PortUnavailable`) and not served.
    public func build(_ store: Store, now: Date, unavailablePorts: [ObjectKey: [Int: String]] = [:]) -> Graph {
        var ctx = BuildContext(store: store, now: now, controllerName: controllerName, defaultAddress: defaultAddress)
        ctx.unavailablePorts = unavailablePorts
        ctx.run()
        return ctx.graph
    }
}

/// Mutable state of one build. Not shared across tasks.
struct BuildContext {
    let store: Store
    let now: Date
    let controllerName: String
    let defaultAddress: String
    let grants: ReferenceGrants
    var graph = Graph()

    /// Per Gateway: the listener states being built.
    var gatewayStates: [ObjectKey: GatewayState] = [:]
    /// Routes resolved once and shared by every listener they attach to.
    var routeModels: [ObjectKey: RouteModel] = [:]
    /// Memoized Secret pair checks.
    var keyPairCache: [ObjectKey: Result<TLSMaterial, PEMValidation.Failure>] = [:]
    /// Effective BackendTLSPolicy per (Service key, port name or "").
    var backendPolicies: BackendPolicyIndex = BackendPolicyIndex()
    /// EndpointSlices by Service key.
    var slicesByService: [ObjectKey: [EndpointSlice]] = [:]
    /// Ports the data plane reported it could not bind, per Gateway.
    var unavailablePorts: [ObjectKey: [Int: String]] = [:]
    /// Every route's outcome and their sum per Gateway.
    var routes = RouteAggregate()

    init(store: Store, now: Date, controllerName: String, defaultAddress: String) {
        self.store = store
        self.now = now
        self.controllerName = controllerName
        self.defaultAddress = defaultAddress
        self.grants = ReferenceGrants(store)
    }

    mutating func run() {
        indexEndpointSlices()
        resolveGatewaySide()
        buildRoutes()
        finish()
    }

    mutating func indexEndpointSlices() {
        for slice in store.endpointSlices.values {
            guard let svc = slice.serviceName else { continue }
            slicesByService[ObjectKey(kind: .service, namespace: slice.namespace, name: svc), default: []].append(slice)
        }
    }

    /// Everything routes read: classes, Gateways with their listeners, BackendTLSPolicies.
    mutating func resolveGatewaySide() {
        let classes = buildGatewayClasses()
        buildGateways(acceptedClasses: classes)
        backendPolicies = resolveBackendTLSPolicies()
    }

    /// Gateway and policy statuses and models from the Gateway-side state and the routes' sum.
    mutating func finish() {
        finishGateways()
        writePolicyStatuses()
        var all = routes.statuses
        all.merge(graph.statuses) { a, _ in a }
        graph.statuses = all
    }

    /// Looks up and validates a Secret holding `tls.crt`/`tls.key`.
    mutating func keyPair(_ key: ObjectKey) -> Result<TLSMaterial, PEMValidation.Failure> {
        if let cached = keyPairCache[key] { return cached }
        let result = validateKeyPair(key)
        keyPairCache[key] = result
        return result
    }

    /// Validates, on all cores, the key pairs of every Secret a Gateway of ours names for its
    /// listeners or its backend client certificate and that is not validated yet, so that
    /// `keyPair` finds them (each is a pure function of its Secret; whether a reference may be
    /// used is still decided where it is resolved).
    mutating func validateNamedKeyPairs(ourClasses: Set<String>) {
        var keys = Set<ObjectKey>()
        func add(_ name: String, _ namespace: String?, group: String?, kind: String?, gateway: Gateway) {
            guard (group ?? "") == "", (kind ?? "Secret") == "Secret" else { return }
            let key = ObjectKey(kind: .secret, namespace: namespace ?? gateway.namespace, name: name)
            if keyPairCache[key] == nil, store.secrets[key] != nil { keys.insert(key) }
        }
        for gw in store.gateways.values where ourClasses.contains(gw.spec.gatewayClassName) {
            for l in gw.spec.listeners {
                for r in l.tls?.certificateRefs ?? [] { add(r.name, r.namespace, group: r.group, kind: r.kind, gateway: gw) }
            }
            if let r = gw.spec.tls?.backend?.clientCertificateRef { add(r.name, r.namespace, group: r.group, kind: r.kind, gateway: gw) }
        }
        let ordered = keys.sorted()
        let ctx = self
        for (key, result) in zip(ordered, Parallel.map(ordered) { ctx.validateKeyPair($0) }) { keyPairCache[key] = result }
    }

    private func validateKeyPair(_ key: ObjectKey) -> Result<TLSMaterial, PEMValidation.Failure> {
        let result: Result<TLSMaterial, PEMValidation.Failure>
        if let secret = store.secrets[key] {
            do {
                result = PEMValidation.keyPair(certificate: try secret.value("tls.crt"), key: try secret.value("tls.key"), source: key)
            } catch {
                result = .failure(.init(message: "\(key): \(error)"))
            }
        } else {
            result = .failure(.init(message: "\(key) does not exist"))
        }
        return result
    }

    /// Reads `ca.crt` from a Secret or ConfigMap and validates it as PEM certificates.
    func caCertificate(kind: ObjectKind, _ key: ObjectKey) -> Result<(pem: String, notAfter: [Date]), PEMValidation.Failure> {
        let data: Data?
        switch kind {
        case .secret:
            guard let s = store.secrets[key] else { return .failure(.init(message: "\(key) does not exist")) }
            do { data = try s.value("ca.crt") } catch { return .failure(.init(message: "\(key): \(error)")) }
        case .configMap:
            guard let c = store.configMaps[key] else { return .failure(.init(message: "\(key) does not exist")) }
            data = c.value("ca.crt")
        default:
            return .failure(.init(message: "\(kind.rawValue) cannot hold a CA certificate"))
        }
        guard let data else { return .failure(.init(message: "\(key) has no ca.crt")) }
        guard let text = String(data: data, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.init(message: "\(key) ca.crt is empty"))
        }
        switch PEMValidation.certificates(text) {
        case .success(let certs): return .success((PEMValidation.normalized(text), certs.map(\.notValidAfter)))
        case .failure(let f): return .failure(.init(message: "\(key) ca.crt \(f.message)"))
        }
    }
}
