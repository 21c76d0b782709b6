/// The store, reached without HTTP. Each call behaves like its REST counterpart (same defaults,
/// same errors, same resourceVersion bumps and watch events); objects are addressed by
/// `apiVersion` + `kind`, and namespaced objects default to the `default` namespace.
extension KubeAPIServerDouble {
    private func resolve(_ apiVersion: String, _ kind: String) throws(APIError) -> (ResourceType, String) {
        guard let found = core.store.type(apiVersion: apiVersion, kind: kind) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(kind) \(apiVersion) is not served)")
        }
        return found
    }

    private func key(_ type: ResourceType, _ namespace: String?, _ name: String) -> ObjectKey {
        ObjectKey(namespace: type.namespaced ? (namespace ?? "default") : "", name: name)
    }

    private func typed(_ object: JSONValue) throws(APIError) -> (ResourceType, ObjectFilter) {
        let (type, version) = try resolve(object["apiVersion"]?.stringValue ?? "", object["kind"]?.stringValue ?? "")
        return (type, ObjectFilter(type: type, version: version))
    }

    /// POST. Returns the stored object (uid, creationTimestamp, resourceVersion, generation set).
    @discardableResult
    public func create(_ object: JSONValue) throws(APIError) -> JSONValue {
        let (type, filter) = try typed(object)
        let namespace = type.namespaced ? (object.namespace ?? "default") : nil
        return filter.present(try core.store.create(type, namespace: namespace, body: object))
    }

    /// GET; nil when absent.
    public func get(apiVersion: String, kind: String, namespace: String? = nil, name: String) -> JSONValue? {
        guard let (type, version) = try? resolve(apiVersion, kind),
              let object = core.store.get(type, key(type, namespace, name)) else { return nil }
        return ObjectFilter(type: type, version: version).present(object)
    }

    /// LIST in one namespace, or across all namespaces when `namespace` is nil.
    public func list(apiVersion: String, kind: String, namespace: String? = nil) throws(APIError) -> [JSONValue] {
        let (type, version) = try resolve(apiVersion, kind)
        let filter = ObjectFilter(type: type, version: version, namespace: type.namespaced ? namespace : nil)
        return try core.store.list(filter, .init()).items.map(filter.present)
    }

    /// PUT: `metadata.resourceVersion` is a precondition (and required for custom resources);
    /// `status` is ignored for types with a status subresource.
    @discardableResult
    public func update(_ object: JSONValue) throws(APIError) -> JSONValue {
        let (type, filter) = try typed(object)
        return filter.present(try core.store.update(type, key(type, object.namespace, object.name ?? ""), body: object, statusOnly: false))
    }

    /// PUT on the status subresource: only `status` changes.
    @discardableResult
    public func updateStatus(_ object: JSONValue) throws(APIError) -> JSONValue {
        let (type, filter) = try typed(object)
        guard type.hasStatus else { throw .pathNotFound }
        return filter.present(try core.store.update(type, key(type, object.namespace, object.name ?? ""), body: object, statusOnly: true))
    }

    /// DELETE with a propagation policy (`Background`, `Foreground`, `Orphan`). Objects with
    /// finalizers are only marked (`deletionTimestamp`) until an update removes them.
    public func delete(apiVersion: String, kind: String, namespace: String? = nil, name: String, propagationPolicy: String = "Background") throws(APIError) {
        let (type, _) = try resolve(apiVersion, kind)
        _ = try core.store.delete(type, key(type, namespace, name), options: .init(propagationPolicy: propagationPolicy))
    }
}
