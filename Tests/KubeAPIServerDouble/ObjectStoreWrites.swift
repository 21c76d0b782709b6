import Foundation

/// Create, update, delete and garbage collection, with the real server's rules: system metadata
/// owned by the server, optimistic concurrency on `resourceVersion`, status only through the
/// status subresource, `generation` for custom resources, no-op updates that change nothing.
extension ObjectStore {
    /// POST: creates `body` in `namespace` (ignored for cluster-scoped types).
    func create(_ type: ResourceType, namespace: String?, body: JSONValue, dryRun: Bool = false) throws(APIError) -> JSONValue {
        try state.withLock { (s) throws(APIError) -> JSONValue in
            guard case .object = body else { throw .badRequest("the request body must be a JSON object") }
            let ns = type.namespaced ? (namespace ?? "") : ""
            let name = try s.newName(for: body, type, namespace: ns)
            try s.admitCreate(type, name: name, namespace: ns)
            let key = ObjectKey(namespace: ns, name: name)
            if s.collections[type.storageKey]?[key] != nil { throw .alreadyExists(type, name) }
            let object = ObjectStore.prepareForCreate(body, type, key)
            if dryRun { return object }
            let stored = s.commit(.added, type, key, object, previous: nil)
            s.collectGarbage(types)
            return stored
        }
    }

    /// The stored form of a new object: server-owned metadata set, status cleared (custom
    /// resources with a status subresource), built-in defaults applied.
    private static func prepareForCreate(_ body: JSONValue, _ type: ResourceType, _ key: ObjectKey) -> JSONValue {
        var object = body
        var meta = object.metadata
        meta["name"] = .string(key.name)
        meta["namespace"] = type.namespaced ? .string(key.namespace) : nil
        meta["uid"] = .string(UUID().uuidString.lowercased())
        meta["creationTimestamp"] = .string(ObjectStore.timestamp())
        for field in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"] { meta[field] = nil }
        meta["generation"] = type.tracksGeneration ? 1 : nil
        object["metadata"] = .object(meta)
        if type.hasStatus, type.origin == .custom { object["status"] = nil }
        BuiltInDefaults.prepareForCreate(&object, type: type)
        CRDDefaults.apply(&object, type: type)
        object["apiVersion"] = .string(type.apiVersion(type.versions[0]))
        object["kind"] = .string(type.kind)
        return object
    }

    /// PUT on the object (`statusOnly` false) or on its `status` subresource. `fromPatch` marks the
    /// result of a PATCH, which needs no `resourceVersion` of its own.
    func update(_ type: ResourceType, _ key: ObjectKey, body: JSONValue, statusOnly: Bool, fromPatch: Bool = false, dryRun: Bool = false) throws(APIError) -> JSONValue {
        try state.withLock { (s) throws(APIError) -> JSONValue in
            guard case .object = body else { throw .badRequest("the request body must be a JSON object") }
            guard let existing = s.collections[type.storageKey]?[key] else { throw .notFound(type, key.name) }
            if let name = body.name, name != key.name {
                throw fromPatch
                    ? .invalid(type, key.name, [.init(field: "metadata.name", reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": field is immutable")])
                    : .badRequest("the name of the object (\(name)) does not match the name on the URL (\(key.name))")
            }
            let givenVersion = body.resourceVersion ?? ""
            if !givenVersion.isEmpty, givenVersion != existing.resourceVersion { throw .conflict(type, key.name) }
            if givenVersion.isEmpty, type.origin == .custom, !fromPatch {
                throw .invalid(type, key.name, [.init(field: "metadata.resourceVersion", reason: "FieldValueInvalid", message: "Invalid value: 0: must be specified for an update")])
            }
            var updated = statusOnly ? ObjectStore.statusUpdate(existing, body, type: type) : try ObjectStore.objectUpdate(existing, body, type: type)
            updated["apiVersion"] = existing["apiVersion"]
            updated["kind"] = existing["kind"]
            updated.setMetadata("resourceVersion", existing["metadata"]?["resourceVersion"])
            if updated == existing { return existing }
            if dryRun { return updated }
            let deleting = updated.metadata["deletionTimestamp"] != nil
            let finalizers = updated.metadata["finalizers"]?.arrayValue ?? []
            if deleting, finalizers.isEmpty {
                let last = s.commit(.deleted, type, key, updated, previous: existing)
                s.collectGarbage(types)
                return last
            }
            let stored = s.commit(.modified, type, key, updated, previous: existing)
            s.collectGarbage(types)
            return stored
        }
    }

    /// The object after a status write: everything from the stored object but `status`.
    static func statusUpdate(_ existing: JSONValue, _ body: JSONValue, type: ResourceType) -> JSONValue {
        var updated = existing
        updated["status"] = body["status"]
        CRDDefaults.apply(&updated, type: type)
        return updated
    }

    /// The object after a write of the main resource: server-owned metadata and (with a status
    /// subresource) `status` come from the stored object; custom resources get a new
    /// `generation` when anything but `metadata` and `status` changed.
    static func objectUpdate(_ existing: JSONValue, _ body: JSONValue, type: ResourceType) throws(APIError) -> JSONValue {
        var updated = body
        var meta = updated.metadata
        let old = existing.metadata
        for field in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            meta[field] = old[field]
        }
        meta["managedFields"] = nil
        meta["selfLink"] = nil
        if let deleting = old["deletionTimestamp"], !deleting.isNull {
            let added = (meta["finalizers"]?.arrayValue ?? []).filter { !(old["finalizers"]?.arrayValue ?? []).contains($0) }
            if !added.isEmpty {
                let list = added.compactMap(\.stringValue).map { "\"\($0)\"" }.joined(separator: ", ")
                throw .invalid(type, old["name"]?.stringValue ?? "", [.init(field: "metadata.finalizers", reason: "FieldValueForbidden",
                    message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\(list)}")])
            }
        }
        updated["metadata"] = .object(meta)
        if type.hasStatus { updated["status"] = existing["status"] }
        BuiltInDefaults.prepareForUpdate(&updated, old: existing, type: type)
        CRDDefaults.apply(&updated, type: type)
        if type.tracksGeneration, generationPart(updated, type) != generationPart(existing, type) {
            updated.setMetadata("generation", .int((old["generation"]?.intValue ?? 0) + 1))
        }
        return updated
    }

    /// What `generation` tracks: for custom resources every top-level field but `metadata`,
    /// `status` (with a status subresource) and the type fields; for EndpointSlices the same plus
    /// the labels (their registry strategy).
    private static func generationPart(_ object: JSONValue, _ type: ResourceType) -> JSONValue {
        var o = object.objectValue ?? [:]
        for field in ["metadata", "apiVersion", "kind"] { o[field] = nil }
        if type.hasStatus { o["status"] = nil }
        if type.origin == .builtIn { o["metadata"] = ["labels": object.metadata["labels"] ?? .object([:])] }
        return .object(o)
    }

    struct DeleteOptions: Sendable {
        /// `Background` (default), `Foreground` or `Orphan`.
        var propagationPolicy: String?
        var preconditionUID: String?
        var preconditionResourceVersion: String?
        var dryRun = false
    }

    /// DELETE. Returns the object (its last state, or its state marked for deletion when
    /// finalizers hold it) and whether it is gone.
    func delete(_ type: ResourceType, _ key: ObjectKey, options: DeleteOptions = .init()) throws(APIError) -> (object: JSONValue, deleted: Bool) {
        try state.withLock { (s) throws(APIError) -> (object: JSONValue, deleted: Bool) in
            guard let existing = s.collections[type.storageKey]?[key] else { throw .notFound(type, key.name) }
            if let uid = options.preconditionUID, uid != existing.uid {
                throw .conflict(type, key.name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(existing.uid ?? "")")
            }
            if let rv = options.preconditionResourceVersion, rv != existing.resourceVersion {
                throw .conflict(type, key.name, "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(existing.resourceVersion ?? "")")
            }
            if options.dryRun { return (existing, true) }
            let result = s.delete(type, key, existing, policy: options.propagationPolicy ?? "Background", types: types)
            s.collectGarbage(types)
            if type.isNamespace, let uid = existing.uid {
                // A dispatch queue, not a Task: a test that blocks the cooperative pool (waiting for
                // `kubectl delete`, which waits for this) must not stall the namespace controller.
                DispatchQueue.global().asyncAfter(deadline: .now() + ObjectStore.namespaceFinalizationDelay) { [weak self] in
                    self?.finalizeNamespace(key.name, uid: uid)
                }
            }
            return result
        }
    }

    /// How long a deleted namespace stays Terminating before its contents and itself are removed.
    static let namespaceFinalizationDelay = DispatchTimeInterval.milliseconds(500)

    /// The namespace controller: deletes everything in a Terminating namespace, then the namespace.
    func finalizeNamespace(_ name: String, uid: String) {
        state.withLock { s in
            let key = ObjectKey(namespace: "", name: name)
            guard let namespace = s.collections[ResourceType.namespaces.storageKey]?[key], namespace.uid == uid else { return }
            for t in types where t.namespaced {
                for (k, object) in (s.collections[t.storageKey] ?? [:]).sorted(by: { $0.key < $1.key }) where k.namespace == name {
                    s.commit(.deleted, t, k, object, previous: object)
                }
            }
            s.commit(.deleted, .namespaces, key, namespace, previous: namespace)
            s.collectGarbage(types)
        }
    }

    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    /// The five characters the real server appends for `generateName`.
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }
}

extension ObjectStore.State {
    /// `metadata.name`, or `generateName` plus five random characters; 422 when neither is given
    /// or the name is not a valid object name.
    func newName(for body: JSONValue, _ type: ResourceType, namespace: String) throws(APIError) -> String {
        var name = body.name ?? ""
        if name.isEmpty, let prefix = body.metadata["generateName"]?.stringValue, !prefix.isEmpty {
            repeat { name = prefix + ObjectStore.randomSuffix() } while collections[type.storageKey]?[ObjectKey(namespace: namespace, name: name)] != nil
        }
        guard !name.isEmpty else {
            throw .invalid(type, "", [.init(field: "metadata.name", reason: "FieldValueRequired", message: "Required value: name or generateName is required")])
        }
        if let problem = NameValidation.nameProblem(name, for: type) { throw .invalid(type, name, [problem]) }
        return name
    }

    /// The NamespaceLifecycle admission plugin: namespaced objects need an existing namespace
    /// (404) that is not Terminating (403).
    func admitCreate(_ type: ResourceType, name: String, namespace ns: String) throws(APIError) {
        guard type.namespaced else { return }
        guard let namespace = collections[ResourceType.namespaces.storageKey]?[ObjectKey(namespace: "", name: ns)] else {
            throw .notFound(.namespaces, ns)
        }
        guard namespace.metadata["deletionTimestamp"] == nil else {
            var details = APIError.details(type, name: name)
            details["causes"] = [["reason": "NamespaceTerminating", "field": "metadata.namespace",
                                  "message": .string("namespace \(ns) is being terminated")]]
            throw APIError(code: 403, reason: "Forbidden", message: "\(type.qualifiedResource) \"\(name)\" is forbidden: unable to create new content in namespace \(ns) because it is being terminated", details: details)
        }
    }

    mutating func delete(_ type: ResourceType, _ key: ObjectKey, _ existing: JSONValue, policy: String, types: [ResourceType]) -> (object: JSONValue, deleted: Bool) {
        if type.isNamespace {
            // Like the real server: the namespace turns Terminating, the namespace controller
            // empties and removes it a moment later (`finalizeNamespace`).
            guard existing.metadata["deletionTimestamp"] == nil else { return (existing, false) }
            var terminating = existing
            terminating.setMetadata("deletionTimestamp", .string(ObjectStore.timestamp()))
            terminating.setMetadata("deletionGracePeriodSeconds", .int(0))
            terminating["status"] = ["phase": "Terminating"]
            return (commit(.modified, type, key, terminating, previous: existing), false)
        }
        let uid = existing.uid ?? ""
        switch policy {
        case "Orphan":
            for (t, k, dependent) in dependents(of: uid, types: types) {
                var orphan = dependent
                let refs = (dependent.metadata["ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
                orphan.setMetadata("ownerReferences", refs.isEmpty ? nil : .array(refs))
                commit(.modified, t, k, orphan, previous: dependent)
            }
        case "Foreground":
            for (t, k, dependent) in dependents(of: uid, types: types) where collections[t.storageKey]?[k] != nil {
                _ = delete(t, k, dependent, policy: "Foreground", types: types)
            }
        default:
            break
        }
        let finalizers = existing.metadata["finalizers"]?.arrayValue ?? []
        if !finalizers.isEmpty {
            if let ts = existing.metadata["deletionTimestamp"], !ts.isNull { return (existing, false) }
            var marked = existing
            marked.setMetadata("deletionTimestamp", .string(ObjectStore.timestamp()))
            marked.setMetadata("deletionGracePeriodSeconds", 0)
            return (commit(.modified, type, key, marked, previous: existing), false)
        }
        return (commit(.deleted, type, key, existing, previous: existing), true)
    }

    private func dependents(of uid: String, types: [ResourceType]) -> [(ResourceType, ObjectKey, JSONValue)] {
        var found: [(ResourceType, ObjectKey, JSONValue)] = []
        for t in types {
            for (k, object) in (collections[t.storageKey] ?? [:]).sorted(by: { $0.key < $1.key })
            where (object.metadata["ownerReferences"]?.arrayValue ?? []).contains(where: { $0["uid"]?.stringValue == uid }) {
                found.append((t, k, object))
            }
        }
        return found
    }

    /// The garbage collector, run synchronously after every write: an object whose owners (of
    /// served kinds) are all gone is deleted; owner references to missing owners are removed when
    /// another owner remains. References to kinds the double does not serve count as present.
    mutating func collectGarbage(_ types: [ResourceType]) {
        var changed = true
        while changed {
            changed = false
            for t in types {
                for (k, object) in (collections[t.storageKey] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let refs = object.metadata["ownerReferences"]?.arrayValue ?? []
                    guard !refs.isEmpty, object.metadata["deletionTimestamp"] == nil else { continue }
                    let solid = refs.filter { ownerExists($0, dependentNamespace: k.namespace, types: types) }
                    if solid.isEmpty {
                        _ = delete(t, k, object, policy: "Background", types: types)
                        changed = true
                    } else if solid.count < refs.count {
                        var trimmed = object
                        trimmed.setMetadata("ownerReferences", .array(solid))
                        commit(.modified, t, k, trimmed, previous: object)
                        changed = true
                    }
                }
            }
        }
    }

    private func ownerExists(_ ref: JSONValue, dependentNamespace: String, types: [ResourceType]) -> Bool {
        let apiVersion = ref["apiVersion"]?.stringValue ?? ""
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        guard let kind = ref["kind"]?.stringValue, let ownerType = types.first(where: { $0.group == group && $0.kind == kind }) else { return true }
        let key = ObjectKey(namespace: ownerType.namespaced ? dependentNamespace : "", name: ref["name"]?.stringValue ?? "")
        guard let owner = collections[ownerType.storageKey]?[key] else { return false }
        return owner.uid == ref["uid"]?.stringValue
    }
}
