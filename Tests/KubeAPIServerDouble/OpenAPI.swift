import Foundation

/// A minimal OpenAPI v3 surface: the `/openapi/v3` index and one document per served
/// group/version that lists every resource path with its operations, `x-kubernetes-group-version-kind`,
/// the `fieldValidation` query parameter and the PATCH body types the real server accepts (strategic
/// merge patch for built-in kinds only). No schemas: kubectl then validates on the server
/// (`fieldValidation=Strict`, which the double accepts and does not enforce) and computes apply
/// patches from its compiled-in types (built-in kinds) or as JSON merge patches (custom resources).
/// `/openapi/v2` is an empty Swagger document (protobuf, which kubectl asks for, or JSON): kubectl
/// falls back to it when a kind is missing from v3, and skips client-side validation for kinds it
/// does not describe.
struct OpenAPI: Sendable {
    let types: [ResourceType]

    /// The document for the path segments after `/openapi`, or nil (404).
    func document(_ segments: [String]) -> JSONValue? {
        guard segments.first == "v3" else { return nil }
        let rest = Array(segments.dropFirst())
        if rest.isEmpty { return index }
        if rest.count == 2, rest[0] == "api" { return groupVersion(group: "", version: rest[1]) }
        if rest.count == 3, rest[0] == "apis" { return groupVersion(group: rest[1], version: rest[2]) }
        return nil
    }

    private var groupVersions: [(group: String, version: String)] {
        var seen: [(String, String)] = []
        for t in types {
            for v in t.versions where !seen.contains(where: { $0 == (t.group, v) }) { seen.append((t.group, v)) }
        }
        return seen
    }

    private static func prefix(_ group: String, _ version: String) -> String { group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)" }

    var index: JSONValue {
        var paths: [String: JSONValue] = [:]
        for (g, v) in groupVersions {
            let p = OpenAPI.prefix(g, v)
            paths[p] = ["serverRelativeURL": .string("/openapi/v3/\(p)?hash=\(OpenAPI.hash(types.filter { $0.group == g && $0.versions.contains(v) }))")]
        }
        return ["paths": .object(paths)]
    }

    /// Changes when the set of types at a group/version changes, so clients' caches stay right.
    private static func hash(_ types: [ResourceType]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in types.map({ "\($0.kind)/\($0.plural)/\($0.namespaced)/\($0.hasStatus)" }).joined(separator: ",").utf8 {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(h, radix: 16, uppercase: true)
    }

    func groupVersion(group: String, version: String) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.versions.contains(version) }
        guard !served.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        for t in served {
            let gvk: JSONValue = ["group": .string(group), "version": .string(version), "kind": .string(t.kind)]
            let base = "/" + OpenAPI.prefix(group, version) + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural
            paths[base] = ["get": operation("list", gvk), "post": operation("post", gvk), "delete": operation("deletecollection", gvk)]
            paths[base + "/{name}"] = ["get": operation("get", gvk), "put": operation("put", gvk),
                                       "patch": operation("patch", gvk, patchTypes: patchTypes(t)), "delete": operation("delete", gvk)]
            if t.hasStatus {
                paths[base + "/{name}/status"] = ["get": operation("get", gvk), "put": operation("put", gvk),
                                                  "patch": operation("patch", gvk, patchTypes: patchTypes(t))]
            }
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": .object(paths),
                "components": ["schemas": [:]]]
    }

    private func patchTypes(_ t: ResourceType) -> [String] {
        var types = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
        if t.origin == .builtIn { types.append("application/strategic-merge-patch+json") }
        return types
    }

    private func operation(_ action: String, _ gvk: JSONValue, patchTypes: [String]? = nil) -> JSONValue {
        var op: [String: JSONValue] = [
            "x-kubernetes-action": .string(action),
            "x-kubernetes-group-version-kind": gvk,
            "responses": ["200": ["description": "OK"]],
        ]
        if ["post", "put", "patch"].contains(action) {
            op["parameters"] = [
                ["name": "dryRun", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            let types = patchTypes ?? ["application/json"]
            var content: [String: JSONValue] = [:]
            for t in types { content[t] = ["schema": ["type": "object"]] }
            op["requestBody"] = ["content": .object(content), "required": true]
        }
        return .object(op)
    }

    /// The empty Swagger 2.0 document: gnostic's `openapi_v2.Document` protobuf
    /// (`swagger` = 1, `info` = 2 with `title` = 1) or JSON.
    static func v2(accept: String) -> APIResponse {
        guard accept.contains("protobuf") else {
            return APIResponse(status: 200, json: ["swagger": "2.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": [:]])
        }
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(bytes.count)] + bytes }
        let info = field(1, Array("Kubernetes".utf8))
        let document = field(1, Array("2.0".utf8)) + field(2, info)
        var response = APIResponse(status: 200, text: "", contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        response.body = Data(document)
        return response
    }
}
