/// `GatewayClass.status`.
public struct GatewayClassStatus: Codable, Sendable, Equatable {
    public var conditions: [Condition]
    public init(conditions: [Condition]) { self.conditions = conditions }
}

/// `Gateway.status`.
public struct GatewayStatus: Codable, Sendable, Equatable {
    public struct Address: Codable, Sendable, Hashable {
        public var type: String
        public var value: String
        public init(type: String, value: String) { self.type = type; self.value = value }
    }
    public struct RouteGroupKind: Codable, Sendable, Hashable {
        public var group: String
        public var kind: String
        public init(group: String, kind: String) { self.group = group; self.kind = kind }
    }
    public struct ListenerStatus: Codable, Sendable, Equatable {
        public var name: String
        public var supportedKinds: [RouteGroupKind]
        public var attachedRoutes: Int
        public var conditions: [Condition]
        public init(name: String, supportedKinds: [RouteGroupKind], attachedRoutes: Int, conditions: [Condition]) {
            self.name = name; self.supportedKinds = supportedKinds
            self.attachedRoutes = attachedRoutes; self.conditions = conditions
        }
    }
    public var addresses: [Address]?
    public var conditions: [Condition]
    public var listeners: [ListenerStatus]
    public init(addresses: [Address]? = nil, conditions: [Condition], listeners: [ListenerStatus]) {
        self.addresses = addresses; self.conditions = conditions; self.listeners = listeners
    }
}

/// A fully qualified parent/ancestor reference as written in status.
public struct StatusParentRef: Codable, Sendable, Hashable {
    public var group: String
    public var kind: String
    public var namespace: String
    public var name: String
    public var sectionName: String?
    public var port: Int?
    public init(group: String, kind: String, namespace: String, name: String, sectionName: String? = nil, port: Int? = nil) {
        self.group = group; self.kind = kind; self.namespace = namespace; self.name = name
        self.sectionName = sectionName; self.port = port
    }
}

/// `HTTPRoute.status`.
public struct RouteStatus: Codable, Sendable, Equatable {
    public struct Parent: Codable, Sendable, Equatable {
        public var parentRef: StatusParentRef
        public var controllerName: String
        public var conditions: [Condition]
        public init(parentRef: StatusParentRef, controllerName: String, conditions: [Condition]) {
            self.parentRef = parentRef; self.controllerName = controllerName; self.conditions = conditions
        }
    }
    public var parents: [Parent]
    public init(parents: [Parent]) { self.parents = parents }
}

/// Policy status (`BackendTLSPolicy.status`).
public struct PolicyStatus: Codable, Sendable, Equatable {
    public struct Ancestor: Codable, Sendable, Equatable {
        public var ancestorRef: StatusParentRef
        public var controllerName: String
        public var conditions: [Condition]
        public init(ancestorRef: StatusParentRef, controllerName: String, conditions: [Condition]) {
            self.ancestorRef = ancestorRef; self.controllerName = controllerName; self.conditions = conditions
        }
    }
    public var ancestors: [Ancestor]
    public init(ancestors: [Ancestor]) { self.ancestors = ancestors }
}

/// The status of one object, tagged by kind.
public enum ObjectStatus: Sendable, Equatable {
    case gatewayClass(GatewayClassStatus)
    case gateway(GatewayStatus)
    case httpRoute(RouteStatus)
    case backendTLSPolicy(PolicyStatus)
}
