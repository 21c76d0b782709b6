import Foundation
import TollgateModel

/// The result of resolving a `Store`: every object's status, and for each Gateway Tollgate owns,
/// the resolved model the NGINX renderer consumes. Pure data, deterministic.
public struct Graph: Sendable, Equatable {
    /// Status of every object Tollgate writes status for, by key.
    public var statuses: [ObjectKey: ObjectStatus] = [:]
    /// Gateways of Tollgate's GatewayClasses, accepted or not, by key.
    public var gateways: [ObjectKey: GatewayModel] = [:]

    public init() {}
}

/// A PEM certificate chain with its private key, validated.
public struct TLSMaterial: Sendable, Hashable {
    /// Stable identifier derived from the Secret's key (used for file names).
    public var id: String
    public var certificatePEM: String
    public var keyPEM: String
    /// `notValidAfter` of the leaf certificate.
    public var notAfter: Date
    public var source: ObjectKey
}

/// A validated CA bundle (one or more PEM certificates).
public struct CABundle: Sendable, Hashable {
    public var id: String
    public var pem: String
    public var sources: [ObjectKey]
}

/// Frontend (client-certificate) validation for one port.
public struct FrontendValidation: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable { case allowValidOnly = "AllowValidOnly", allowInsecureFallback = "AllowInsecureFallback" }
    public var mode: Mode
    public var ca: CABundle
}

/// A Gateway owned by Tollgate, resolved for rendering.
public struct GatewayModel: Sendable, Equatable {
    public var key: ObjectKey
    public var generation: Int64
    /// False when the Gateway is not accepted (invalid class or parameters): nothing is rendered.
    public var accepted: Bool
    /// IP addresses listeners bind to (from `spec.addresses`, else the default).
    public var bindAddresses: [String]
    public var settings: ProxySettings
    /// Listeners that get NGINX servers (valid ones only), in spec order.
    public var listeners: [ListenerModel]
    /// Client certificate presented to backends (`spec.tls.backend.clientCertificateRef`), when valid.
    public var backendClientCertificate: TLSMaterial?
    /// Every object this Gateway's configuration was built from, with its generation.
    public var inputs: [ObjectKey: Int64]
}

/// Data-plane settings from NginxProxy (GatewayClass parameters overlaid by Gateway parameters).
public struct ProxySettings: Sendable, Hashable {
    public var disableSNIHostValidation = false
    public var workerProcesses: String = "auto"
    public init() {}
}

/// A listener that NGINX serves.
public struct ListenerModel: Sendable, Equatable {
    public enum ListenerProtocol: String, Sendable { case http = "HTTP", https = "HTTPS" }
    public var name: String
    public var port: Int
    public var `protocol`: ListenerProtocol
    public var hostname: String?
    /// Certificates for HTTPS (more than one only for different key types).
    public var certificates: [TLSMaterial]
    /// Client-certificate validation of this listener's port (HTTPS only).
    public var frontendValidation: FrontendValidation?
    /// Routes attached to this listener with the hostnames they serve on it.
    public var routes: [AttachedRoute]
}

/// A route attached to one listener.
public struct AttachedRoute: Sendable, Equatable {
    public var route: RouteModel
    /// Intersection of route and listener hostnames; empty means "every hostname of the listener".
    public var hostnames: [String]
}

/// A resolved HTTPRoute.
public struct RouteModel: Sendable, Equatable {
    public var key: ObjectKey
    public var creationTimestamp: String?
    public var rules: [RuleModel]
}

/// One rule of a route, with its matches and resolved backends.
public struct RuleModel: Sendable, Equatable {
    public var index: Int
    public var matches: [MatchModel]
    public var backends: [BackendModel]
}

/// A path and header match. Header names are lower-cased.
public struct MatchModel: Sendable, Hashable {
    public enum PathType: String, Sendable, Hashable { case exact = "Exact", prefix = "PathPrefix" }
    public var pathType: PathType
    public var path: String
    public var headers: [HeaderMatch]
    public var index: Int

    public struct HeaderMatch: Sendable, Hashable {
        public var name: String
        public var value: String
    }
}

/// A weighted backend of a rule.
public struct BackendModel: Sendable, Hashable {
    public var weight: Int
    public var target: Target

    public enum Target: Sendable, Hashable {
        /// A Service port with its endpoints and backend TLS settings.
        case service(ServiceBackend)
        /// A reference that could not be resolved: requests that would go there get 500.
        case invalid(reason: String)
    }
}

/// A Service port resolved to endpoints.
public struct ServiceBackend: Sendable, Hashable {
    public var service: ObjectKey
    public var port: Int
    public var endpoints: [Endpoint]
    public var tls: BackendTLS?

    public struct Endpoint: Sendable, Hashable, Comparable {
        public var address: String
        public var port: Int
        public static func < (a: Endpoint, b: Endpoint) -> Bool { (a.address, a.port) < (b.address, b.port) }
    }
}

/// TLS towards a backend, from the BackendTLSPolicy that applies to its Service port.
public enum BackendTLS: Sendable, Hashable {
    case valid(hostname: String, trust: Trust, policy: ObjectKey)
    /// The applicable policy is invalid: traffic gets a 5xx, never plain text.
    case invalid(policy: ObjectKey, reason: String)

    public enum Trust: Sendable, Hashable {
        case bundle(CABundle)
        case system
    }
}
