import Foundation

/// Kubernetes `Namespace`; only labels matter (for `allowedRoutes` selectors).
public struct Namespace: KubeObject {
    public static let kind = ObjectKind.namespace
    public var metadata: ObjectMeta

    public init(metadata: ObjectMeta) { self.metadata = metadata }

    /// Labels including the automatic `kubernetes.io/metadata.name`.
    public var effectiveLabels: [String: String] {
        var l = metadata.labels ?? [:]
        l["kubernetes.io/metadata.name"] = metadata.name
        return l
    }
}

/// Kubernetes `Secret`. `data` is base64 in manifests; `stringData` is merged over it.
public struct Secret: KubeObject {
    public static let kind = ObjectKind.secret
    public var metadata: ObjectMeta
    public var type: String?
    public var data: [String: String]?
    public var stringData: [String: String]?

    /// The decoded value of `key`, `nil` when absent. Throws on invalid base64.
    public func value(_ key: String) throws -> Data? {
        if let s = stringData?[key] { return Data(s.utf8) }
        guard let b64 = data?[key] else { return nil }
        let compact = b64.filter { !$0.isWhitespace }
        guard let d = Data(base64Encoded: compact) else {
            throw ValueError.invalidBase64(field: "data.\(key)")
        }
        return d
    }

    public enum ValueError: Error, CustomStringConvertible {
        case invalidBase64(field: String)
        public var description: String {
            switch self { case .invalidBase64(let f): return "\(f) is not valid base64" }
        }
    }
}

/// Kubernetes `ConfigMap`.
public struct ConfigMap: KubeObject {
    public static let kind = ObjectKind.configMap
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var binaryData: [String: String]?

    public func value(_ key: String) -> Data? {
        if let s = data?[key] { return Data(s.utf8) }
        if let b = binaryData?[key] { return Data(base64Encoded: b.filter { !$0.isWhitespace }) }
        return nil
    }
}

/// Kubernetes `Service`; ports map to EndpointSlice ports by name.
public struct Service: KubeObject {
    public static let kind = ObjectKind.service
    public struct Port: Codable, Sendable, Equatable {
        public var name: String?
        public var port: Int
        public var targetPort: IntOrString?
        public var `protocol`: String?
        public var appProtocol: String?
    }
    public struct Spec: Codable, Sendable, Equatable {
        public var ports: [Port]?
        public var type: String?
        public var clusterIP: String?
    }
    public var metadata: ObjectMeta
    public var spec: Spec?
}

/// `discovery.k8s.io/v1` `EndpointSlice`, tied to its Service by `kubernetes.io/service-name`.
public struct EndpointSlice: KubeObject {
    public static let kind = ObjectKind.endpointSlice
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public struct Conditions: Codable, Sendable, Equatable {
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?
    }
    public struct Endpoint: Codable, Sendable, Equatable {
        public var addresses: [String]
        public var conditions: Conditions?
    }
    public struct Port: Codable, Sendable, Equatable {
        public var name: String?
        public var port: Int?
        public var `protocol`: String?
    }
    public var metadata: ObjectMeta
    public var addressType: String
    public var endpoints: [Endpoint]?
    public var ports: [Port]?

    public var serviceName: String? { metadata.labels?[Self.serviceNameLabel] }
}

/// Tollgate's own `NginxProxy` (group `gateway.tollgate.dev`): data-plane settings referenced from
/// a GatewayClass or Gateway `parametersRef`.
public struct NginxProxy: KubeObject {
    public static let kind = ObjectKind.nginxProxy
    public struct Spec: Codable, Sendable, Equatable {
        /// Turns off the 421 check between the TLS SNI and the HTTP Host header.
        public var disableSNIHostValidation: Bool?
        /// NGINX `worker_processes` (default `auto`).
        public var workerProcesses: IntOrString?
        public init(disableSNIHostValidation: Bool? = nil) {
            self.disableSNIHostValidation = disableSNIHostValidation
        }
    }
    public var metadata: ObjectMeta
    public var spec: Spec?
}
