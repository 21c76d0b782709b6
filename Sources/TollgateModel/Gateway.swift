/// Gateway API `Gateway` (v1), with the v1.4 `spec.tls` frontend/backend blocks.
public struct Gateway: KubeObject {
    public static let kind = ObjectKind.gateway

    public struct Spec: Codable, Sendable, Equatable {
        public var gatewayClassName: String
        public var listeners: [Listener]
        public var addresses: [Address]?
        public var infrastructure: Infrastructure?
        public var tls: GatewayTLS?
    }

    public struct Address: Codable, Sendable, Hashable {
        /// IPAddress (default) or Hostname.
        public var type: String?
        public var value: String
    }

    public struct Infrastructure: Codable, Sendable, Equatable {
        public var labels: [String: String]?
        public var annotations: [String: String]?
        public var parametersRef: ParametersReference?
    }

    public struct Listener: Codable, Sendable, Equatable {
        public var name: String
        public var hostname: String?
        public var port: Int
        /// HTTP, HTTPS, TLS, TCP, UDP.
        public var `protocol`: String
        public var tls: ListenerTLS?
        public var allowedRoutes: AllowedRoutes?
    }

    public struct ListenerTLS: Codable, Sendable, Equatable {
        /// Terminate (default) or Passthrough.
        public var mode: String?
        public var certificateRefs: [ObjectReference]?
        public var options: [String: String]?
    }

    public struct AllowedRoutes: Codable, Sendable, Equatable {
        public struct Namespaces: Codable, Sendable, Equatable {
            /// Same (default), All, Selector.
            public var from: String?
            public var selector: LabelSelector?
        }
        public struct RouteGroupKind: Codable, Sendable, Hashable {
            public var group: String?
            public var kind: String
        }
        public var namespaces: Namespaces?
        public var kinds: [RouteGroupKind]?
    }

    public struct GatewayTLS: Codable, Sendable, Equatable {
        public var frontend: FrontendTLS?
        public var backend: BackendTLS?
    }

    /// `spec.tls.frontend`: client-certificate validation, default and per port.
    public struct FrontendTLS: Codable, Sendable, Equatable {
        public var `default`: TLSConfig?
        public var perPort: [PortTLS]?
    }

    public struct PortTLS: Codable, Sendable, Equatable {
        public var port: Int
        public var tls: TLSConfig
    }

    public struct TLSConfig: Codable, Sendable, Equatable {
        public var validation: FrontendValidation?
    }

    public struct FrontendValidation: Codable, Sendable, Equatable {
        public var caCertificateRefs: [ObjectReference]?
        /// AllowValidOnly (default) or AllowInsecureFallback.
        public var mode: String?
    }

    /// `spec.tls.backend`: the client certificate the Gateway presents to backends.
    public struct BackendTLS: Codable, Sendable, Equatable {
        public var clientCertificateRef: ObjectReference?
    }

    public var metadata: ObjectMeta
    public var spec: Spec
}
