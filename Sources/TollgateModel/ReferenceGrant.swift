/// Gateway API `ReferenceGrant`: lets objects in `from` namespaces reference objects in this one.
public struct ReferenceGrant: KubeObject {
    public static let kind = ObjectKind.referenceGrant

    public struct From: Codable, Sendable, Hashable {
        public var group: String
        public var kind: String
        public var namespace: String
    }
    public struct To: Codable, Sendable, Hashable {
        public var group: String
        public var kind: String
        public var name: String?
    }
    public struct Spec: Codable, Sendable, Equatable {
        public var from: [From]
        public var to: [To]
    }

    public var metadata: ObjectMeta
    public var spec: Spec
}
