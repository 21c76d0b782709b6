/// One kind of object the API serves, e.g. `gateway.networking.k8s.io/v1` `httproutes`.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// The lower-case plural used in paths, e.g. `httproutes`.
    public var plural: String
    /// The kind, e.g. `HTTPRoute`.
    public var kind: String
    /// Whether objects live in namespaces.
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `group/version`, or `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { "\(plural).\(apiVersion)" }

    /// `/api/v1` or `/apis/<group>/<version>`.
    var groupVersionPath: String {
        group.isEmpty ? "/api/\(APIPath.segment(version))"
            : "/apis/\(APIPath.segment(group))/\(APIPath.segment(version))"
    }
}

extension ResourceType {
    /// `coordination.k8s.io/v1` Lease, used by ``LeaderElector``.
    public static let lease = ResourceType(
        group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true)
}
