import Foundation

/// The REST verbs on one resource endpoint: get, list, watch, create, update, patch, delete,
/// deletecollection. Request bodies are JSON (YAML that is not JSON gets 400), or protobuf for the
/// kinds `KubeProtobuf` decodes.
struct ResourceHandlers {
    let store: ObjectStore
    let path: APIRouter.ResourcePath
    let request: APIRequest

    var type: ResourceType { path.type }
    var filter: ObjectFilter {
        ObjectFilter(type: type, version: path.version, namespace: type.namespaced ? path.namespace : nil,
                     format: request.format, includeObject: request.query["includeObject"])
    }
    var dryRun: Bool { request.query["dryRun"] == "All" }

    func dispatch() throws(APIError) -> APIOutcome {
        if let name = path.name {
            let key = ObjectKey(namespace: path.namespace ?? "", name: name)
            switch request.method {
            case "GET", "HEAD": return .response(try get(key))
            case "PUT": return .response(try update(key))
            case "PATCH": return .response(try patch(key))
            case "DELETE" where path.subresource == nil: return .response(try delete(key))
            default: throw .methodNotAllowed("the server does not allow this method on the requested resource")
            }
        }
        switch request.method {
        case "GET", "HEAD":
            return request.flag("watch") ? .watch(try watchPlan()) : .response(try list())
        case "POST" where path.namespace != nil || !type.namespaced:
            return .response(try create())
        case "DELETE":
            return .response(try deleteCollection())
        default:
            throw .methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    // MARK: Reads

    private func get(_ key: ObjectKey) throws(APIError) -> APIResponse {
        guard let object = store.get(type, key) else { throw .notFound(type, key.name) }
        return APIResponse(status: 200, json: filter.render(object), contentType: request.format.contentType(list: false))
    }

    private func selectors() throws(APIError) -> ObjectFilter {
        var f = filter
        if let l = request.query["labelSelector"], !l.isEmpty { f.labels = try LabelSelector(parsing: l) }
        if let s = request.query["fieldSelector"], !s.isEmpty { f.fields = try FieldSelector(parsing: s, for: type) }
        return f
    }

    private func list() throws(APIError) -> APIResponse {
        let f = try selectors()
        var options = ObjectStore.ListOptions()
        if let l = request.query["limit"], !l.isEmpty {
            guard let n = Int(l), n >= 0 else { throw .badRequest("invalid limit: \(l)") }
            options.limit = n
        }
        options.continueToken = request.query["continue"]
        options.resourceVersion = request.query["resourceVersion"]
        options.resourceVersionMatch = request.query["resourceVersionMatch"]
        if let c = options.continueToken, !c.isEmpty, let rv = options.resourceVersion, !rv.isEmpty, rv != "0" {
            throw .badRequest("specifying resource version is not allowed when using continue")
        }
        let result = try store.list(f, options)
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(result.revision))]
        if let c = result.continueToken { metadata["continue"] = .string(c) }
        if let n = result.remainingItemCount { metadata["remainingItemCount"] = .int(n) }
        let body: JSONValue
        switch request.format {
        case .json, .aggregatedDiscovery:
            body = listObject(result.items, metadata: .object(metadata))
        case .table(let v):
            body = TablePrinter(type: type, version: path.version).table(result.items, tableVersion: v, listMetadata: .object(metadata),
                                                                         includeObject: request.query["includeObject"], filter: f)
        case .metadata(let v):
            body = TablePrinter.partialMetadataList(result.items, version: v, listMetadata: .object(metadata))
        }
        return APIResponse(status: 200, json: body, contentType: request.format.contentType)
    }

    /// `KINDList`. Items of custom resources carry `apiVersion` and `kind`; built-in list items do
    /// not, as from the real server.
    func listObject(_ items: [JSONValue], metadata: JSONValue) -> JSONValue {
        let rendered = items.map { item -> JSONValue in
            guard type.origin == .builtIn else { return filter.present(item) }
            var o = item
            o["apiVersion"] = nil
            o["kind"] = nil
            return o
        }
        return ["kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion(path.version)),
                "metadata": metadata, "items": .array(rendered)]
    }

    private func watchPlan() throws(APIError) -> WatchPlan {
        let f = try selectors()
        let rv = request.query["resourceVersion"]
        if let rv, !rv.isEmpty, Int(rv) == nil || Int(rv)! < 0 { throw .badRequest("invalid resource version: \(rv)") }
        var timeout: Int?
        if let t = request.query["timeoutSeconds"], !t.isEmpty {
            guard let n = Int(t), n >= 0 else { throw .badRequest("invalid timeoutSeconds: \(t)") }
            timeout = n
        }
        return WatchPlan(filter: f, resourceVersion: rv, sendInitialEvents: request.flag("sendInitialEvents"),
                         bookmarks: request.flag("allowWatchBookmarks"), timeoutSeconds: timeout)
    }

    // MARK: Writes

    /// The JSON body, checked against the endpoint: `apiVersion` and `kind` must match when given
    /// (missing ones are taken from the URL), the namespace must match the URL's.
    private func body() throws(APIError) -> JSONValue {
        let media = request.contentType
        if media == KubeProtobuf.mediaType { return try checkTypeFields(try KubeProtobuf.decode(request.body)) }
        guard ["", "application/json", "application/yaml", "*/*"].contains(media) else {
            throw .unsupportedMediaType(media, accepted: ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"])
        }
        let object: JSONValue
        do { object = try JSONValue(parsing: request.body) } catch {
            throw .badRequest("couldn't get version/kind; json parse error: \(error.message)")
        }
        guard case .object = object else { throw .badRequest("couldn't get version/kind; json parse error: the body is not a JSON object") }
        return try checkTypeFields(object)
    }

    private func checkTypeFields(_ object: JSONValue) throws(APIError) -> JSONValue {
        var o = object
        let expected = type.apiVersion(path.version)
        let apiVersion = o["apiVersion"]?.stringValue ?? ""
        let kind = o["kind"]?.stringValue ?? ""
        if !apiVersion.isEmpty, apiVersion != expected {
            let sameGroup = type.group.isEmpty ? !apiVersion.contains("/") : apiVersion.hasPrefix(type.group + "/")
            if !(sameGroup && type.versions.contains(String(apiVersion.split(separator: "/").last!))) {
                throw .badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(expected))")
            }
        }
        if !kind.isEmpty, kind != type.kind {
            throw .badRequest("\(kind) in version \"\(path.version)\" cannot be handled as a \(type.kind): the object provided is unrecognized (must be of type \(type.kind))")
        }
        o["apiVersion"] = .string(expected)
        o["kind"] = .string(type.kind)
        if type.namespaced, let ns = object.namespace, !ns.isEmpty, ns != path.namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        return o
    }

    private func create() throws(APIError) -> APIResponse {
        let created = try store.create(type, namespace: path.namespace, body: try body(), dryRun: dryRun)
        return APIResponse(status: 201, json: filter.present(created))
    }

    private func update(_ key: ObjectKey) throws(APIError) -> APIResponse {
        let object = try body()
        let updated = try store.update(type, key, body: object, statusOnly: path.subresource == "status", dryRun: dryRun)
        return APIResponse(status: 200, json: filter.present(updated))
    }

    private func patch(_ key: ObjectKey) throws(APIError) -> APIResponse {
        guard let format = Patch.Format(rawValue: request.contentType) else {
            throw .unsupportedMediaType(request.contentType, accepted: Patch.acceptedFormats)
        }
        let patch: JSONValue
        do { patch = try JSONValue(parsing: request.body) } catch { throw .badRequest("error decoding patch: \(error.message)") }
        if format == .apply { throw Patch.unsupported(format.rawValue) }
        // Optimistic concurrency: a resourceVersion inside the patch is a precondition.
        for _ in 0..<8 {
            guard let current = store.get(type, key) else { throw .notFound(type, key.name) }
            var patched = try Patch.apply(format, patch: patch, to: filter.present(current), type: type)
            patched = try checkTypeFields(patched)
            if patched.resourceVersion == nil || patched.resourceVersion == "" { patched.setMetadata("resourceVersion", current["metadata"]?["resourceVersion"]) }
            let pinned = patchPinsVersion(patch, format)
            do {
                let updated = try store.update(type, key, body: patched, statusOnly: path.subresource == "status", fromPatch: true, dryRun: dryRun)
                return APIResponse(status: 200, json: filter.present(updated))
            } catch where error.reason == "Conflict" && !pinned {
                continue // the object changed between read and write: patch the new state
            }
        }
        throw .conflict(type, key.name)
    }

    private func patchPinsVersion(_ patch: JSONValue, _ format: Patch.Format) -> Bool {
        switch format {
        case .json:
            return (patch.arrayValue ?? []).contains { $0["path"]?.stringValue == "/metadata/resourceVersion" }
        default:
            return patch[path: ["metadata", "resourceVersion"]] != nil
        }
    }

    private func deleteOptions() throws(APIError) -> ObjectStore.DeleteOptions {
        var options = ObjectStore.DeleteOptions()
        options.dryRun = dryRun
        options.propagationPolicy = request.query["propagationPolicy"]
        if !request.body.isEmpty {
            let body: JSONValue
            do { body = try JSONValue(parsing: request.body) } catch { throw .badRequest("couldn't decode DeleteOptions: \(error.message)") }
            if let p = body["propagationPolicy"]?.stringValue { options.propagationPolicy = p }
            if body["orphanDependents"]?.boolValue == true { options.propagationPolicy = "Orphan" }
            options.preconditionUID = body[path: ["preconditions", "uid"]]?.stringValue
            options.preconditionResourceVersion = body[path: ["preconditions", "resourceVersion"]]?.stringValue
            if body["dryRun"]?.arrayValue?.contains("All") == true { options.dryRun = true }
        }
        if let p = options.propagationPolicy, !["Background", "Foreground", "Orphan"].contains(p) {
            throw .invalid(type, path.name ?? "", [.init(field: "propagationPolicy", reason: "FieldValueNotSupported",
                                                         message: "Unsupported value: \"\(p)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")])
        }
        return options
    }

    private func delete(_ key: ObjectKey) throws(APIError) -> APIResponse {
        let result = try store.delete(type, key, options: try deleteOptions())
        if !result.deleted || type.returnsDeletedObject { return APIResponse(status: 200, json: filter.present(result.object)) }
        var details = APIError.details(type, name: key.name, uid: result.object.uid)
        details["kind"] = .string(type.plural)
        return APIResponse(status: 200, json: ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details])
    }

    private func deleteCollection() throws(APIError) -> APIResponse {
        let f = try selectors()
        let options = try deleteOptions()
        let items = try store.list(f, .init()).items
        var deleted: [JSONValue] = []
        for item in items {
            let key = ObjectKey(namespace: item.namespace ?? "", name: item.name ?? "")
            if let r = try? store.delete(type, key, options: options) { deleted.append(r.object) }
        }
        return APIResponse(status: 200, json: listObject(deleted, metadata: ["resourceVersion": .string(String(store.revision))]))
    }
}

extension ResourceType {
    /// Whether DELETE answers with the object (custom resources, Services, Namespaces) or with a
    /// `Status` of `Success` (the other built-in kinds).
    var returnsDeletedObject: Bool {
        origin == .custom || (group.isEmpty && ["Service", "Namespace"].contains(kind))
    }
}
