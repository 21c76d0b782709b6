/// The subset of Kubernetes `metadata` Tollgate reads.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var generation: Int64?
    public var resourceVersion: String?
    public var uid: String?
    /// RFC 3339 timestamp; used only for "oldest wins" ordering.
    public var creationTimestamp: String?

    public init(name: String, namespace: String? = nil, labels: [String: String]? = nil,
                generation: Int64? = nil, creationTimestamp: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.generation = generation
        self.creationTimestamp = creationTimestamp
    }
}

/// A Kubernetes object Tollgate stores: it has metadata, a kind, and lives in a namespace or not.
public protocol KubeObject: Codable, Sendable, Equatable {
    static var kind: ObjectKind { get }
    var metadata: ObjectMeta { get set }
}

extension KubeObject {
    /// The namespace, with `default` for namespaced kinds that omit it (as kubectl does).
    public var namespace: String {
        Self.kind.isNamespaced ? (metadata.namespace ?? "default") : ""
    }
    public var name: String { metadata.name }
    /// `metadata.generation`, 1 when absent (a freshly created object).
    public var generation: Int64 { metadata.generation ?? 1 }
    public var key: ObjectKey { ObjectKey(kind: Self.kind, namespace: namespace, name: metadata.name) }
}
