/// Gateway API `BackendTLSPolicy` (v1).
public struct BackendTLSPolicy: KubeObject {
    public static let kind = ObjectKind.backendTLSPolicy

    public struct Spec: Codable, Sendable, Equatable {
        public var targetRefs: [TargetRef]
        public var validation: Validation
        public var options: [String: String]?
    }

    public struct TargetRef: Codable, Sendable, Hashable {
        public var group: String
        public var kind: String
        public var name: String
        public var sectionName: String?
    }

    public struct Validation: Codable, Sendable, Equatable {
        public var caCertificateRefs: [ObjectReference]?
        /// Only `System` is defined.
        public var wellKnownCACertificates: String?
        public var hostname: String
        public var subjectAltNames: [SubjectAltName]?
    }

    public struct SubjectAltName: Codable, Sendable, Hashable {
        /// Hostname or URI.
        public var type: String
        public var hostname: String?
        public var uri: String?
    }

    public var metadata: ObjectMeta
    public var spec: Spec
}
