import TollgateModel

/// Hand-written decoding of the kinds a large configuration is mostly made of (`HTTPRoute`,
/// `Service`, `EndpointSlice`) straight from a `ManifestTree`, without `Codable`'s containers.
///
/// It follows the rules of `ManifestValueDecoder` with the models' synthesized `Decodable`
/// conformances field by field: optional fields absent or null are nil, unknown keys are ignored,
/// strings take any non-null scalar, integers only integer scalars, booleans only booleans. It
/// never reports an error itself: at the first value that is not what the model needs it gives
/// up (`nil`), and `ManifestDecoder` decodes the object again through `Codable`, which produces
/// the error with its field path, exactly as before. So a result from here is always the value
/// `Codable` gives, and every error comes from `Codable`.
///
/// The model types without a public memberwise initializer are made by copying a prototype
/// decoded once through `Codable` and setting every field. Each prototype's field count is
/// checked (`Mirror`) against the fields set here: a field added to a model turns this path off
/// for its kind until the field is handled here (the equivalence tests then still pass).
struct ManifestHandDecoder {
    /// The value at hand is not what the model needs: decode through `Codable` instead.
    struct GiveUp: Error {}

    let values: [ManifestTree.Value]

    init(_ tree: ManifestTree) { values = tree.values }

    /// `kind` decoded from the object at `index`, or nil when `Codable` must decode it (a kind
    /// not handled here, or any value `Codable` would refuse).
    static func decode(_ kind: ObjectKind, _ tree: ManifestTree, at index: Int) -> AnyKubeObject? {
        let d = ManifestHandDecoder(tree)
        do throws(GiveUp) {
            switch kind {
            case .httpRoute:
                guard let p = Prototypes.route else { return nil }
                return .httpRoute(try d.httpRoute(index, p))
            case .service:
                guard let p = Prototypes.service else { return nil }
                return .service(try d.service(index, p))
            case .endpointSlice:
                guard let p = Prototypes.slice else { return nil }
                return .endpointSlice(try d.endpointSlice(index, p))
            default:
                return nil
            }
        } catch {
            return nil
        }
    }

    // MARK: - Values (the rules of `ManifestValueDecoder`)

    func object(_ i: Int) throws(GiveUp) -> ManifestObject {
        guard case .object(let o) = values[i] else { throw GiveUp() }
        return o
    }

    func isNull(_ i: Int) -> Bool {
        if case .scalar(let s) = values[i], s.kind == .null { return true }
        return false
    }

    func string(_ i: Int) throws(GiveUp) -> String {
        guard case .scalar(let s) = values[i], s.kind != .null else { throw GiveUp() }
        return s.text
    }

    func int(_ i: Int) throws(GiveUp) -> Int {
        guard case .scalar(let s) = values[i], case .int(let v?) = s.kind, let exact = Int(exactly: v) else { throw GiveUp() }
        return exact
    }

    func int64(_ i: Int) throws(GiveUp) -> Int64 {
        guard case .scalar(let s) = values[i], case .int(let v?) = s.kind else { throw GiveUp() }
        return v
    }

    func bool(_ i: Int) throws(GiveUp) -> Bool {
        guard case .scalar(let s) = values[i], case .bool(let b) = s.kind else { throw GiveUp() }
        return b
    }

    /// `decodeIfPresent`: nil for null (absent keys never reach here).
    func optString(_ i: Int) throws(GiveUp) -> String? { isNull(i) ? nil : try string(i) }
    func optInt(_ i: Int) throws(GiveUp) -> Int? { isNull(i) ? nil : try int(i) }
    func optInt64(_ i: Int) throws(GiveUp) -> Int64? { isNull(i) ? nil : try int64(i) }
    func optBool(_ i: Int) throws(GiveUp) -> Bool? { isNull(i) ? nil : try bool(i) }

    /// `IntOrString`: an integer that fits, else any non-null scalar's text.
    func intOrString(_ i: Int) throws(GiveUp) -> IntOrString {
        guard case .scalar(let s) = values[i] else { throw GiveUp() }
        if case .int(let v?) = s.kind, let exact = Int(exactly: v) { return .int(exact) }
        guard s.kind != .null else { throw GiveUp() }
        return .string(s.text)
    }

    /// `[String: String]`: `ManifestValueDecoder.decodeStringMap` (null values are "").
    func stringMap(_ i: Int) throws(GiveUp) -> [String: String] {
        let o = try object(i)
        var out: [String: String] = [:]
        out.reserveCapacity(o.keys.count)
        for (offset, key) in o.keys.enumerated() {
            guard case .scalar(let s) = values[o.first + offset] else { throw GiveUp() }
            out[key] = s.kind == .null ? "" : s.text
        }
        return out
    }

    /// Each key of the object at `i` with the index of its value, in document order.
    func forEachField(_ i: Int, _ body: (String, Int) throws(GiveUp) -> Void) throws(GiveUp) {
        let o = try object(i)
        for (offset, key) in o.keys.enumerated() { try body(key, o.first + offset) }
    }

    func optStringMap(_ i: Int) throws(GiveUp) -> [String: String]? { isNull(i) ? nil : try stringMap(i) }

    /// The items of a list.
    func items(_ i: Int) throws(GiveUp) -> Range<Int> {
        guard case .array(let range) = values[i] else { throw GiveUp() }
        return range
    }

    /// An optional list, each item through `item`.
    func optList<T>(_ i: Int, _ item: (Int) throws(GiveUp) -> T) throws(GiveUp) -> [T]? {
        if isNull(i) { return nil }
        return try list(i, item)
    }

    func list<T>(_ i: Int, _ item: (Int) throws(GiveUp) -> T) throws(GiveUp) -> [T] {
        let range = try items(i)
        var out: [T] = []
        out.reserveCapacity(range.count)
        for c in range { out.append(try item(c)) }
        return out
    }

    // MARK: - Shared types

    func meta(_ i: Int) throws(GiveUp) -> ObjectMeta {
        var name: String?
        var namespace: String?, labels: [String: String]?, annotations: [String: String]?
        var generation: Int64?, resourceVersion: String?, uid: String?, created: String?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "name": name = try string(c)
            case "namespace": namespace = try optString(c)
            case "labels": labels = try optStringMap(c)
            case "annotations": annotations = try optStringMap(c)
            case "generation": generation = try optInt64(c)
            case "resourceVersion": resourceVersion = try optString(c)
            case "uid": uid = try optString(c)
            case "creationTimestamp": created = try optString(c)
            default: break
            }
        }
        guard let name else { throw GiveUp() }
        var meta = ObjectMeta(name: name, namespace: namespace, labels: labels, generation: generation,
                              creationTimestamp: created)
        meta.annotations = annotations
        meta.resourceVersion = resourceVersion
        meta.uid = uid
        return meta
    }

    func parentRef(_ i: Int) throws(GiveUp) -> ParentReference {
        var name: String?
        var group: String?, kind: String?, namespace: String?, section: String?, port: Int?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "name": name = try string(c)
            case "group": group = try optString(c)
            case "kind": kind = try optString(c)
            case "namespace": namespace = try optString(c)
            case "sectionName": section = try optString(c)
            case "port": port = try optInt(c)
            default: break
            }
        }
        guard let name else { throw GiveUp() }
        return ParentReference(group: group, kind: kind, namespace: namespace, name: name, sectionName: section, port: port)
    }

    // MARK: - HTTPRoute

    func httpRoute(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute {
        var meta: ObjectMeta?, spec: HTTPRoute.Spec?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "metadata": meta = try self.meta(c)
            case "spec": spec = try routeSpec(c, p)
            default: break
            }
        }
        guard let meta, let spec else { throw GiveUp() }
        var route = p.route
        route.metadata = meta
        route.spec = spec
        return route
    }

    func routeSpec(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.Spec {
        var spec = p.spec
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "parentRefs": spec.parentRefs = try optList(c) { (j) throws(GiveUp) in try parentRef(j) }
            case "hostnames": spec.hostnames = try optList(c) { (j) throws(GiveUp) in try string(j) }
            case "rules": spec.rules = try optList(c) { (j) throws(GiveUp) in try rule(j, p) }
            default: break
            }
        }
        return spec
    }

    func rule(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.Rule {
        var rule = HTTPRoute.Rule()
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "name": rule.name = try optString(c)
            case "matches": rule.matches = try optList(c) { (j) throws(GiveUp) in try match(j, p) }
            case "backendRefs": rule.backendRefs = try optList(c) { (j) throws(GiveUp) in try backendRef(j, p) }
            case "filters": rule.filters = try optList(c) { (j) throws(GiveUp) in try filter(j, p) }
            case "timeouts": rule.timeouts = try optStringMap(c)
            default: break
            }
        }
        return rule
    }

    func match(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.Match {
        var match = HTTPRoute.Match()
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "path": match.path = isNull(c) ? nil : try pathMatch(c, p)
            case "headers": match.headers = try optList(c) { (j) throws(GiveUp) in try headerMatch(j, p) }
            case "method": match.method = try optString(c)
            case "queryParams": match.queryParams = try optList(c) { (j) throws(GiveUp) in try headerMatch(j, p) }
            default: break
            }
        }
        return match
    }

    func pathMatch(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.PathMatch {
        var path = p.path
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "type": path.type = try optString(c)
            case "value": path.value = try optString(c)
            default: break
            }
        }
        return path
    }

    func headerMatch(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.HeaderMatch {
        var type: String?, name: String?, value: String?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "type": type = try optString(c)
            case "name": name = try string(c)
            case "value": value = try string(c)
            default: break
            }
        }
        guard let name, let value else { throw GiveUp() }
        var header = p.header
        header.type = type
        header.name = name
        header.value = value
        return header
    }

    func backendRef(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.BackendRef {
        var ref = p.backend
        var name: String?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "group": ref.group = try optString(c)
            case "kind": ref.kind = try optString(c)
            case "name": name = try string(c)
            case "namespace": ref.namespace = try optString(c)
            case "port": ref.port = try optInt(c)
            case "weight": ref.weight = try optInt(c)
            case "filters": ref.filters = try optList(c) { (j) throws(GiveUp) in try filter(j, p) }
            default: break
            }
        }
        guard let name else { throw GiveUp() }
        ref.name = name
        return ref
    }

    func filter(_ i: Int, _ p: Prototypes.Route) throws(GiveUp) -> HTTPRoute.Filter {
        let o = try object(i)
        guard let c = o.child("type") else { throw GiveUp() }
        var filter = p.filter
        filter.type = try string(c)
        return filter
    }

    // MARK: - Service

    func service(_ i: Int, _ p: Prototypes.Service) throws(GiveUp) -> Service {
        var service = p.service
        var meta: ObjectMeta?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "metadata": meta = try self.meta(c)
            case "spec": service.spec = isNull(c) ? nil : try serviceSpec(c, p)
            default: break
            }
        }
        guard let meta else { throw GiveUp() }
        service.metadata = meta
        return service
    }

    func serviceSpec(_ i: Int, _ p: Prototypes.Service) throws(GiveUp) -> Service.Spec {
        var spec = p.spec
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "ports": spec.ports = try optList(c) { (j) throws(GiveUp) in try servicePort(j, p) }
            case "type": spec.type = try optString(c)
            case "clusterIP": spec.clusterIP = try optString(c)
            default: break
            }
        }
        return spec
    }

    func servicePort(_ i: Int, _ p: Prototypes.Service) throws(GiveUp) -> Service.Port {
        var port = p.port
        var number: Int?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "name": port.name = try optString(c)
            case "port": number = try int(c)
            case "targetPort": port.targetPort = isNull(c) ? nil : try intOrString(c)
            case "protocol": port.protocol = try optString(c)
            case "appProtocol": port.appProtocol = try optString(c)
            default: break
            }
        }
        guard let number else { throw GiveUp() }
        port.port = number
        return port
    }

    // MARK: - EndpointSlice

    func endpointSlice(_ i: Int, _ p: Prototypes.Slice) throws(GiveUp) -> EndpointSlice {
        var slice = p.slice
        var meta: ObjectMeta?, addressType: String?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "metadata": meta = try self.meta(c)
            case "addressType": addressType = try string(c)
            case "endpoints": slice.endpoints = try optList(c) { (j) throws(GiveUp) in try endpoint(j, p) }
            case "ports": slice.ports = try optList(c) { (j) throws(GiveUp) in try slicePort(j, p) }
            default: break
            }
        }
        guard let meta, let addressType else { throw GiveUp() }
        slice.metadata = meta
        slice.addressType = addressType
        return slice
    }

    func endpoint(_ i: Int, _ p: Prototypes.Slice) throws(GiveUp) -> EndpointSlice.Endpoint {
        var endpoint = p.endpoint
        var addresses: [String]?
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "addresses": addresses = try list(c) { (j) throws(GiveUp) in try string(j) }
            case "conditions": endpoint.conditions = isNull(c) ? nil : try conditions(c, p)
            default: break
            }
        }
        guard let addresses else { throw GiveUp() }
        endpoint.addresses = addresses
        return endpoint
    }

    func conditions(_ i: Int, _ p: Prototypes.Slice) throws(GiveUp) -> EndpointSlice.Conditions {
        var conditions = p.conditions
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "ready": conditions.ready = try optBool(c)
            case "serving": conditions.serving = try optBool(c)
            case "terminating": conditions.terminating = try optBool(c)
            default: break
            }
        }
        return conditions
    }

    func slicePort(_ i: Int, _ p: Prototypes.Slice) throws(GiveUp) -> EndpointSlice.Port {
        var port = p.port
        try forEachField(i) { (key, c) throws(GiveUp) in
            switch key {
            case "name": port.name = try optString(c)
            case "port": port.port = try optInt(c)
            case "protocol": port.protocol = try optString(c)
            default: break
            }
        }
        return port
    }
}
