/// Gateway API `HTTPRoute` (v1).
public struct HTTPRoute: KubeObject {
    public static let kind = ObjectKind.httpRoute

    public struct Spec: Codable, Sendable, Equatable {
        public var parentRefs: [ParentReference]?
        public var hostnames: [String]?
        public var rules: [Rule]?
    }

    public struct Rule: Codable, Sendable, Equatable {
        public var name: String?
        public var matches: [Match]?
        public var backendRefs: [BackendRef]?
        /// Decoded so that their presence can be reported; Tollgate does not implement filters yet.
        public var filters: [Filter]?
        public var timeouts: [String: String]?

        public init(matches: [Match]? = nil, backendRefs: [BackendRef]? = nil) {
            self.matches = matches; self.backendRefs = backendRefs
        }
    }

    public struct Match: Codable, Sendable, Equatable {
        public var path: PathMatch?
        public var headers: [HeaderMatch]?
        public var method: String?
        public var queryParams: [HeaderMatch]?

        public init(path: PathMatch? = nil, headers: [HeaderMatch]? = nil) {
            self.path = path; self.headers = headers
        }
    }

    public struct PathMatch: Codable, Sendable, Hashable {
        /// Exact, PathPrefix (default), RegularExpression.
        public var type: String?
        public var value: String?
    }

    public struct HeaderMatch: Codable, Sendable, Hashable {
        /// Exact (default) or RegularExpression.
        public var type: String?
        public var name: String
        public var value: String
    }

    public struct BackendRef: Codable, Sendable, Equatable {
        public var group: String?
        public var kind: String?
        public var name: String
        public var namespace: String?
        public var port: Int?
        public var weight: Int?
        public var filters: [Filter]?
    }

    public struct Filter: Codable, Sendable, Equatable {
        public var type: String
    }

    public var metadata: ObjectMeta
    public var spec: Spec
}
