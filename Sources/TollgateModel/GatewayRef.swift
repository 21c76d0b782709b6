/// A Gateway's identity, namespace and name: what the controller keys snapshots, agents and
/// status by. Written `NAMESPACE/NAME` on the wire, in the CLI and in logs.
public struct GatewayRef: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The Gateway an object key names (its kind is not checked).
    public init(_ key: ObjectKey) {
        self.init(namespace: key.namespace, name: key.name)
    }

    /// `NAMESPACE/NAME` with both parts non-empty and exactly one slash; nil otherwise. Whether
    /// the parts are valid Kubernetes names is admission's question (`DNSName`).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(namespace: String(parts[0]), name: String(parts[1]))
    }

    /// The Gateway's object key.
    public var key: ObjectKey { ObjectKey(kind: .gateway, namespace: namespace, name: name) }

    /// `NAMESPACE/NAME`.
    public var description: String { "\(namespace)/\(name)" }

    public static func < (a: GatewayRef, b: GatewayRef) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let ref = GatewayRef(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not NAMESPACE/NAME: \(text)"))
        }
        self = ref
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
