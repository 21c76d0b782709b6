import TollgateGraph
import TollgateModel

/// The data-plane IR of one Gateway: what NGINX must do, before it is spelled as text.
public struct GatewayIR: Sendable, Equatable {
    public var gateway: ObjectKey
    public var settings: ProxySettings
    public var bindAddresses: [String]
    public var ports: [PortIR]
    public var upstreams: [UpstreamIR]
    public var headerConditions: [HeaderCondition]
    public var splits: [SplitIR]
    public var certificates: [TLSMaterial]
    public var caBundles: [CABundle]
    public var backendClientCertificate: TLSMaterial?
}

/// Everything listening on one port.
public struct PortIR: Sendable, Equatable {
    public var port: Int
    public var https: Bool
    /// Client-certificate validation shared by every server on the port.
    public var frontend: FrontendValidation?
    /// Listener hostname → listener id, for the SNI side of the 421 check (nil when disabled).
    public var sniListeners: [(hostname: String, listener: String)]?
    /// Listener id a name without a more specific listener selects (the hostname-less listener).
    public var catchAllListener: String?
    public var servers: [ServerIR]

    public static func == (a: PortIR, b: PortIR) -> Bool {
        a.port == b.port && a.https == b.https && a.frontend == b.frontend && a.catchAllListener == b.catchAllListener
            && a.servers == b.servers && a.sniListeners?.map { "\($0.hostname)=\($0.listener)" } == b.sniListeners?.map { "\($0.hostname)=\($0.listener)" }
    }
}

/// One NGINX `server` block: a hostname served by a listener.
public struct ServerIR: Sendable, Equatable {
    /// nil for the listener without hostname (the port's default server).
    public var hostname: String?
    public var listener: String
    public var certificates: [TLSMaterial]
    public var locations: [LocationIR]
    /// Internal locations the locations and maps of this server jump to.
    public var targets: [TargetIR]
    /// The maps that choose the rule of this server's locations with header matches.
    public var locationMaps: [LocationMapIR]
}

/// A `location`: exact (`= /p`) or prefix (`/p/`).
public struct LocationIR: Sendable, Equatable {
    public var exact: Bool
    public var path: String
    public var body: Body
    /// Which route rules this location serves, for the comment above it.
    public var origins: [String]

    public enum Body: Sendable, Equatable {
        /// Serve the target right here.
        case inline(TargetIR)
        /// Jump to the internal location named by a constant or a variable.
        case rewrite(String)
    }
}

/// Where a request ends: a proxied Service port or a fixed status.
public struct TargetIR: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case proxy(upstream: String, tls: TLSProxy?)
        case status(Int)
    }
    public var kind: Kind
    /// URI of the internal location for this target.
    public var uri: String
}

/// TLS to a backend.
public struct TLSProxy: Sendable, Hashable {
    public var serverName: String
    /// Path of the trusted CA file (relative to the config root, or the system bundle).
    public var trustedCertificate: String
    /// Client certificate and key files, when the Gateway presents one.
    public var clientCertificate: (cert: String, key: String)?

    public static func == (a: TLSProxy, b: TLSProxy) -> Bool {
        a.serverName == b.serverName && a.trustedCertificate == b.trustedCertificate
            && a.clientCertificate?.cert == b.clientCertificate?.cert && a.clientCertificate?.key == b.clientCertificate?.key
    }
    public func hash(into h: inout Hasher) {
        h.combine(serverName); h.combine(trustedCertificate); h.combine(clientCertificate?.cert); h.combine(clientCertificate?.key)
    }
}

/// An `upstream` block for one Service port.
public struct UpstreamIR: Sendable, Hashable {
    /// Derived identifier (bounded, hashed): never a user string.
    public var name: String
    public var servers: [ServiceBackend.Endpoint]
}

/// `map $http_NAME $VAR { "~^VALUE$" 1; default 0; }`
public struct HeaderCondition: Sendable, Hashable {
    public var variable: String
    public var header: String
    public var value: String
}

/// Chooses the rule of a location from its header conditions.
public struct LocationMapIR: Sendable, Equatable {
    public var variable: String
    /// Condition variables concatenated into the map key.
    public var conditions: [String]
    /// Regex over the concatenated "0"/"1" flags → target URI or split variable, first match wins.
    public var entries: [(pattern: String, value: String)]
    public var fallback: String

    public static func == (a: LocationMapIR, b: LocationMapIR) -> Bool {
        a.variable == b.variable && a.conditions == b.conditions && a.fallback == b.fallback
            && a.entries.map { $0.pattern + "\u{0}" + $0.value } == b.entries.map { $0.pattern + "\u{0}" + $0.value }
    }
}

/// `split_clients` over the request id for weighted backends.
public struct SplitIR: Sendable, Equatable {
    public var variable: String
    /// Percentages with two decimals; the last entry takes the remainder (`*`).
    public var entries: [(percent: String, uri: String)]

    public static func == (a: SplitIR, b: SplitIR) -> Bool {
        a.variable == b.variable && a.entries.map { $0.percent + $0.uri } == b.entries.map { $0.percent + $0.uri }
    }
}
