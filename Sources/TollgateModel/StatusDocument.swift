/// An object's status as `kubectl get -o yaml|json` shows it:
/// `{apiVersion, kind, metadata: {namespace, name, generation}, status}`.
public struct StatusDocument: Codable, Sendable, Equatable {
    public struct Metadata: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String?
        public var generation: Int64
    }
    public var apiVersion: String
    public var kind: String
    public var metadata: Metadata
    public var status: ObjectStatus

    public init(key: ObjectKey, generation: Int64, status: ObjectStatus) {
        apiVersion = key.kind.apiVersion
        kind = key.kind.rawValue
        metadata = Metadata(name: key.name, namespace: key.namespace.isEmpty ? nil : key.namespace, generation: generation)
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, status }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decode(String.self, forKey: .apiVersion)
        kind = try c.decode(String.self, forKey: .kind)
        metadata = try c.decode(Metadata.self, forKey: .metadata)
        switch kind {
        case ObjectKind.gatewayClass.rawValue: status = .gatewayClass(try c.decode(GatewayClassStatus.self, forKey: .status))
        case ObjectKind.gateway.rawValue: status = .gateway(try c.decode(GatewayStatus.self, forKey: .status))
        case ObjectKind.httpRoute.rawValue: status = .httpRoute(try c.decode(RouteStatus.self, forKey: .status))
        case ObjectKind.backendTLSPolicy.rawValue: status = .backendTLSPolicy(try c.decode(PolicyStatus.self, forKey: .status))
        default: throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "no status for kind \(kind)")
        }
    }
}

extension ObjectStatus: Encodable {
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .gatewayClass(let s): try s.encode(to: encoder)
        case .gateway(let s): try s.encode(to: encoder)
        case .httpRoute(let s): try s.encode(to: encoder)
        case .backendTLSPolicy(let s): try s.encode(to: encoder)
        }
    }

    /// All conditions, with a prefix naming the listener/parent/ancestor they belong to.
    public var flattenedConditions: [(scope: String, condition: Condition)] {
        switch self {
        case .gatewayClass(let s): return s.conditions.map { ("", $0) }
        case .gateway(let s):
            return s.conditions.map { ("", $0) } + s.listeners.flatMap { l in l.conditions.map { ("listener \(l.name)", $0) } }
        case .httpRoute(let s):
            return s.parents.flatMap { p in
                p.conditions.map { ("parent \(p.parentRef.namespace)/\(p.parentRef.name)\(p.parentRef.sectionName.map { "/" + $0 } ?? "")", $0) }
            }
        case .backendTLSPolicy(let s):
            return s.ancestors.flatMap { a in a.conditions.map { ("ancestor \(a.ancestorRef.namespace)/\(a.ancestorRef.name)", $0) } }
        }
    }
}
