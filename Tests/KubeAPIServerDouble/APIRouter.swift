/// Maps a request path to discovery documents, OpenAPI, health checks, or a resource endpoint,
/// the way kube-apiserver lays out its URL space.
struct APIRouter: Sendable {
    let store: ObjectStore
    let discovery: Discovery
    let openAPI: OpenAPI

    /// A resource endpoint: `/api/v1/...` or `/apis/GROUP/VERSION/...`, with an optional
    /// namespace, object name and subresource.
    struct ResourcePath: Sendable {
        var type: ResourceType
        var version: String
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    func route(_ request: APIRequest, serverAddress: String) -> APIOutcome {
        let segments = request.path.split(separator: "/").map(String.init)
        let isGet = request.method == "GET" || request.method == "HEAD"
        switch segments.first {
        case "version" where segments.count == 1 && isGet:
            return .response(APIResponse(status: 200, json: Discovery.version))
        case "healthz", "livez", "readyz":
            return .response(APIResponse(status: 200, text: "ok"))
        case "openapi" where segments == ["openapi", "v2"] && isGet:
            return .response(OpenAPI.v2(accept: request.headers["accept"] ?? ""))
        case "openapi":
            guard isGet, let doc = openAPI.document(Array(segments.dropFirst())) else { return .response(APIResponse(.pathNotFound)) }
            return .response(APIResponse(status: 200, json: doc))
        case "api" where segments.count == 1 && isGet:
            if case .aggregatedDiscovery(let v) = request.format {
                return .response(APIResponse(status: 200, json: discovery.aggregated(core: true, version: v), contentType: request.format.contentType))
            }
            return .response(APIResponse(status: 200, json: discovery.apiVersions(serverAddress: serverAddress)))
        case "api":
            if segments.count == 2, isGet, let list = discovery.resourceList(group: "", version: segments[1]) {
                return .response(APIResponse(status: 200, json: list))
            }
            if segments.count > 2 { return resource(group: "", version: segments[1], Array(segments.dropFirst(2)), request) }
        case "apis" where segments.count == 1 && isGet:
            if case .aggregatedDiscovery(let v) = request.format {
                return .response(APIResponse(status: 200, json: discovery.aggregated(core: false, version: v), contentType: request.format.contentType))
            }
            return .response(APIResponse(status: 200, json: discovery.apiGroupList))
        case "apis":
            if segments.count == 2, isGet, let group = discovery.apiGroup(segments[1]) { return .response(APIResponse(status: 200, json: group)) }
            if segments.count == 3, isGet, let list = discovery.resourceList(group: segments[1], version: segments[2]) {
                return .response(APIResponse(status: 200, json: list))
            }
            if segments.count > 3 { return resource(group: segments[1], version: segments[2], Array(segments.dropFirst(3)), request) }
        default:
            break
        }
        return .response(APIResponse(.pathNotFound))
    }

    private func resource(group: String, version: String, _ rest: [String], _ request: APIRequest) -> APIOutcome {
        guard let path = resolve(group: group, version: version, rest) else { return .response(APIResponse(.pathNotFound)) }
        let handlers = ResourceHandlers(store: store, path: path, request: request)
        do {
            return try handlers.dispatch()
        } catch {
            return .response(APIResponse(error))
        }
    }

    func resolve(group: String, version: String, _ rest: [String]) -> ResourcePath? {
        var rest = rest[...]
        var namespace: String?
        // `/namespaces/NAME[/status]` is the Namespace itself; `/namespaces/NS/PLURAL/...` is inside it.
        if rest.count >= 3, rest.first == "namespaces", !(group.isEmpty && ["status", "finalize"].contains(rest[rest.startIndex + 2]) && rest.count == 3) {
            namespace = rest[rest.startIndex + 1]
            rest = rest.dropFirst(2)
        }
        guard let plural = rest.first,
              let type = store.types.first(where: { $0.group == group && $0.plural == plural && $0.versions.contains(version) }),
              rest.count <= 3
        else { return nil }
        let name = rest.count > 1 ? rest[rest.startIndex + 1] : nil
        let sub = rest.count > 2 ? rest[rest.startIndex + 2] : nil
        if type.namespaced, namespace == nil, name != nil { return nil }
        if !type.namespaced, namespace != nil { return nil }
        if let sub, sub != "status" || !type.hasStatus { return nil }
        return ResourcePath(type: type, version: version, namespace: namespace, name: name, subresource: sub)
    }
}
