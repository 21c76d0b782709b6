/// Receives the events of one open watch. The store calls it while holding its lock, in revision
/// order, so an implementation must only enqueue (never block or call back into the store).
protocol WatchSink: AnyObject, Sendable {
    /// One watch event: `{"type": ..., "object": ...}`.
    func send(_ event: JSONValue)
    /// Ends the stream cleanly, as the server does when a watch times out.
    func finish()
}

/// Which objects one watch (or list) sees, and at which version they are presented.
struct ObjectFilter: Sendable {
    var type: ResourceType
    var version: String
    /// nil for "all namespaces".
    var namespace: String?
    var labels: LabelSelector = .everything
    var fields: FieldSelector = .everything
    /// How objects are rendered in watch events and GET responses (JSON, Table, metadata).
    var format = ResponseFormat.json
    /// The `includeObject` parameter of Table requests.
    var includeObject: String?

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        return labels.matches(object.labels) && fields.matches(object)
    }

    /// The object as served at this filter's version.
    func present(_ object: JSONValue) -> JSONValue {
        var o = object
        o["apiVersion"] = .string(type.apiVersion(version))
        o["kind"] = .string(type.kind)
        return o
    }

    /// The object as the client asked for it: itself, a one-row Table, or its metadata.
    func render(_ object: JSONValue) -> JSONValue {
        switch format {
        case .json, .aggregatedDiscovery:
            return present(object)
        case .table(let v):
            return TablePrinter(type: type, version: version).table([object], tableVersion: v,
                                                                    listMetadata: ["resourceVersion": object.metadata["resourceVersion"] ?? ""],
                                                                    includeObject: includeObject, filter: self)
        case .metadata(let v):
            return TablePrinter.partialMetadata(object, version: v)
        }
    }

    /// The watch event this filter's watch receives for a stored change, or nil. A MODIFIED object
    /// that starts or stops matching the selectors arrives as ADDED or DELETED, as from the real
    /// server's watch cache.
    func event(for change: StoreEvent) -> JSONValue? {
        let now = matches(change.object)
        let type: String
        switch change.kind {
        case .added:
            guard now else { return nil }
            type = "ADDED"
        case .deleted:
            guard now else { return nil }
            type = "DELETED"
        case .modified:
            let was = change.previous.map(matches) ?? false
            switch (was, now) {
            case (true, true): type = "MODIFIED"
            case (false, true): type = "ADDED"
            case (true, false): type = "DELETED"
            case (false, false): return nil
            }
        }
        return ["type": .string(type), "object": render(change.object)]
    }

    /// A BOOKMARK: only `kind`, `apiVersion` and `metadata.resourceVersion` (plus the
    /// `k8s.io/initial-events-end` annotation after `sendInitialEvents`).
    func bookmark(revision: Int, initialEventsEnd: Bool = false) -> JSONValue {
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(revision)), "creationTimestamp": .null]
        if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        return ["type": "BOOKMARK", "object": present(["metadata": .object(metadata)])]
    }
}
