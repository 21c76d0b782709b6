/// Gateway API `ParentReference`.
public struct ParentReference: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var namespace: String?
    public var name: String
    public var sectionName: String?
    public var port: Int?

    public init(group: String? = nil, kind: String? = nil, namespace: String? = nil, name: String,
                sectionName: String? = nil, port: Int? = nil) {
        self.group = group; self.kind = kind; self.namespace = namespace; self.name = name
        self.sectionName = sectionName; self.port = port
    }
}

/// Gateway API `SecretObjectReference` / `ObjectReference`: group, kind, name, optional namespace.
public struct ObjectReference: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?

    public init(group: String? = nil, kind: String? = nil, name: String, namespace: String? = nil) {
        self.group = group; self.kind = kind; self.name = name; self.namespace = namespace
    }
}

/// Gateway API `ParametersReference` (GatewayClass) and `LocalParametersReference` (Gateway).
public struct ParametersReference: Codable, Sendable, Hashable {
    public var group: String
    public var kind: String
    public var name: String
    public var namespace: String?
}

/// Kubernetes `LabelSelector`.
public struct LabelSelector: Codable, Sendable, Hashable {
    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String
        /// In, NotIn, Exists, DoesNotExist.
        public var `operator`: String
        public var values: [String]?
    }
    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [Requirement]? = nil) {
        self.matchLabels = matchLabels; self.matchExpressions = matchExpressions
    }
}

/// An integer or a string (Kubernetes `IntOrString`).
public enum IntOrString: Codable, Sendable, Hashable {
    case int(Int)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }
}
