/// The discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`) and
/// `/version`, built from the served resource types. Only the legacy (unaggregated) JSON shapes are
/// served: kubectl asks for aggregated discovery first and falls back to these.
struct Discovery: Sendable {
    let types: [ResourceType]

    static let verbs: JSONValue = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    static let version: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.3", "compiler": "gc",
        "platform": "linux/amd64",
    ]

    func apiVersions(serverAddress: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    /// Groups other than core, in the order their first type appears.
    var groups: [String] {
        var seen: [String] = []
        for t in types where !t.group.isEmpty && !seen.contains(t.group) { seen.append(t.group) }
        return seen
    }

    /// A group's versions, most preferred first (GA, then beta, then alpha; higher numbers first).
    func versions(of group: String) -> [String] {
        Set(types.filter { $0.group == group }.flatMap(\.versions)).sorted { Discovery.priority($0) > Discovery.priority($1) }
    }

    func apiGroup(_ group: String) -> JSONValue? {
        let versions = versions(of: group)
        guard let preferred = versions.first else { return nil }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(group),
                "versions": .array(versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }),
                "preferredVersion": ["groupVersion": .string("\(group)/\(preferred)"), "version": .string(preferred)]]
    }

    var apiGroupList: JSONValue {
        let groups = groups.compactMap { g -> JSONValue? in
            guard var o = apiGroup(g)?.objectValue else { return nil }
            o["kind"] = nil
            o["apiVersion"] = nil
            return .object(o)
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    /// nil when no type is served at GROUP/VERSION.
    func resourceList(group: String, version: String) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.versions.contains(version) }
        guard !served.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for t in served {
            var r: [String: JSONValue] = [
                "name": .string(t.plural), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                "kind": .string(t.kind), "verbs": Discovery.verbs,
            ]
            if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map(JSONValue.string)) }
            if !t.categories.isEmpty { r["categories"] = .array(t.categories.map(JSONValue.string)) }
            resources.append(.object(r))
            if t.hasStatus {
                resources.append(["name": .string("\(t.plural)/status"), "singularName": "", "namespaced": .bool(t.namespaced),
                                  "kind": .string(t.kind), "verbs": ["get", "patch", "update"]])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }

    /// The aggregated discovery document (`apidiscovery.k8s.io` APIGroupDiscoveryList) for `/api`
    /// (`core`) or `/apis`: every group, its versions preferred first, each resource with its
    /// scope, verbs, short names, categories and subresources.
    func aggregated(core: Bool, version: String) -> JSONValue {
        let groups = core ? [""] : self.groups
        let items: [JSONValue] = groups.map { group in
            var metadata: [String: JSONValue] = ["creationTimestamp": .null]
            if !group.isEmpty { metadata["name"] = .string(group) }
            let versions: [JSONValue] = (group.isEmpty ? ["v1"] : self.versions(of: group)).map { v in
                ["version": .string(v), "freshness": "Current",
                 "resources": .array(types.filter { $0.group == group && $0.versions.contains(v) }.map { resourceDiscovery($0, version: v) })]
            }
            return ["metadata": .object(metadata), "versions": .array(versions)]
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"), "metadata": [:], "items": .array(items)]
    }

    private func resourceDiscovery(_ t: ResourceType, version: String) -> JSONValue {
        let kind: JSONValue = ["group": .string(t.group), "version": .string(version), "kind": .string(t.kind)]
        var r: [String: JSONValue] = [
            "resource": .string(t.plural), "responseKind": kind, "scope": t.namespaced ? "Namespaced" : "Cluster",
            "singularResource": .string(t.singular), "verbs": Discovery.verbs,
        ]
        if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map(JSONValue.string)) }
        if !t.categories.isEmpty { r["categories"] = .array(t.categories.map(JSONValue.string)) }
        if t.hasStatus { r["subresources"] = [["subresource": "status", "responseKind": kind, "verbs": ["get", "patch", "update"]]] }
        return .object(r)
    }

    /// Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1, unknown shapes last.
    static func priority(_ version: String) -> Int {
        guard version.hasPrefix("v") else { return 0 }
        let rest = version.dropFirst()
        let digits = rest.prefix { $0.isNumber }
        guard let major = Int(digits) else { return 0 }
        let tail = rest.dropFirst(digits.count)
        if tail.isEmpty { return 3_000_000 + major * 1000 }
        for (stage, base) in [("beta", 2_000_000), ("alpha", 1_000_000)] where tail.hasPrefix(stage) {
            let minor = Int(tail.dropFirst(stage.count)) ?? 0
            return base + major * 1000 + minor
        }
        return 0
    }
}
