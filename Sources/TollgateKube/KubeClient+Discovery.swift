import Foundation

/// One resource a group-version serves, from discovery.
public struct DiscoveredResource: Sendable, Hashable {
    /// The plural, e.g. `referencegrants`; subresources such as `httproutes/status` are not listed.
    public var name: String
    public var kind: String
    public var namespaced: Bool
    public var verbs: [String]
}

extension KubeClient {
    /// The resources the cluster serves in `group`/`version` (core group: `group` empty); empty
    /// when that group-version is not served at all (404), e.g. a CRD not installed.
    public func discover(group: String, version: String) async throws -> [DiscoveredResource] {
        let path = group.isEmpty ? "/api/\(APIPath.segment(version))"
            : "/apis/\(APIPath.segment(group))/\(APIPath.segment(version))"
        struct ResourceList: Decodable {
            struct Resource: Decodable {
                var name: String
                var kind: String
                var namespaced: Bool?
                var verbs: [String]?
            }
            var resources: [Resource]?
        }
        let body: Data
        do {
            body = try await send(.GET, path).body
        } catch let error as KubeError where error.code == .notFound {
            return []
        }
        guard let list = try? JSONDecoder().decode(ResourceList.self, from: body) else {
            throw KubeError(code: .malformedResponse, request: "GET \(path)", message: "not an APIResourceList")
        }
        return (list.resources ?? []).filter { !$0.name.contains("/") }.map {
            DiscoveredResource(name: $0.name, kind: $0.kind, namespaced: $0.namespaced ?? false, verbs: $0.verbs ?? [])
        }
    }

    /// The versions of `group` the cluster serves, preferred first; empty when the group is unknown.
    public func servedVersions(group: String) async throws -> [String] {
        let path = "/apis/\(APIPath.segment(group))"
        struct APIGroup: Decodable {
            struct Version: Decodable { var version: String }
            var versions: [Version]?
            var preferredVersion: Version?
        }
        let body: Data
        do {
            body = try await send(.GET, path).body
        } catch let error as KubeError where error.code == .notFound {
            return []
        }
        guard let group = try? JSONDecoder().decode(APIGroup.self, from: body) else {
            throw KubeError(code: .malformedResponse, request: "GET \(path)", message: "not an APIGroup")
        }
        var versions = (group.versions ?? []).map(\.version)
        if let preferred = group.preferredVersion?.version, let index = versions.firstIndex(of: preferred) {
            versions.remove(at: index)
            versions.insert(preferred, at: 0)
        }
        return versions
    }
}
