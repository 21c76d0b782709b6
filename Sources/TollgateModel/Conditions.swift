/// Every condition type and reason Tollgate writes, spelled exactly as the Gateway API defines them
/// (gateway.networking.k8s.io v1.4). This is the one file that holds them.
public enum ConditionType {
    public static let accepted = "Accepted"
    public static let programmed = "Programmed"
    public static let resolvedRefs = "ResolvedRefs"
    public static let conflicted = "Conflicted"
    public static let insecureFrontendValidationMode = "InsecureFrontendValidationMode"
    public static let supportedVersion = "SupportedVersion"
    public static let overlappingTLSConfig = "OverlappingTLSConfig"
}

/// Condition reasons, grouped by the object they appear on.
public enum Reason {
    // Shared
    public static let accepted = "Accepted"
    public static let programmed = "Programmed"
    public static let resolvedRefs = "ResolvedRefs"
    public static let pending = "Pending"
    public static let invalid = "Invalid"
    public static let refNotPermitted = "RefNotPermitted"
    public static let invalidKind = "InvalidKind"
    public static let unsupportedValue = "UnsupportedValue"

    // GatewayClass
    public static let invalidParameters = "InvalidParameters"

    // Gateway
    public static let listenersNotValid = "ListenersNotValid"
    public static let invalidClientCertificateRef = "InvalidClientCertificateRef"
    public static let configurationChanged = "ConfigurationChanged"
    public static let unsupportedAddress = "UnsupportedAddress"
    public static let addressNotAssigned = "AddressNotAssigned"

    // Listener
    public static let portUnavailable = "PortUnavailable"
    public static let unsupportedProtocol = "UnsupportedProtocol"
    public static let noValidCACertificate = "NoValidCACertificate"
    public static let invalidCertificateRef = "InvalidCertificateRef"
    public static let invalidRouteKinds = "InvalidRouteKinds"
    public static let invalidCACertificateRef = "InvalidCACertificateRef"
    public static let invalidCACertificateKind = "InvalidCACertificateKind"
    public static let hostnameConflict = "HostnameConflict"
    public static let protocolConflict = "ProtocolConflict"
    public static let noConflicts = "NoConflicts"
    public static let overlappingHostnames = "OverlappingHostnames"

    // Route
    public static let notAllowedByListeners = "NotAllowedByListeners"
    public static let noMatchingListenerHostname = "NoMatchingListenerHostname"
    public static let noMatchingParent = "NoMatchingParent"
    public static let backendNotFound = "BackendNotFound"

    // Policy
    public static let conflicted = "Conflicted"
    public static let targetNotFound = "TargetNotFound"
}

/// A Kubernetes `metav1.Condition` without `lastTransitionTime` (the pure stages have no clock;
/// the status writer stamps it).
public struct Condition: Codable, Sendable, Hashable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var reason: String
    public var message: String
    public var observedGeneration: Int64
    public var lastTransitionTime: String?

    public init(_ type: String, _ status: Bool, _ reason: String, _ message: String, generation: Int64) {
        self.type = type
        self.status = status ? "True" : "False"
        self.reason = reason
        self.message = message
        self.observedGeneration = generation
    }

    public var isTrue: Bool { status == "True" }
}

extension Array where Element == Condition {
    /// The condition of `type`, if present.
    public func first(ofType type: String) -> Condition? { first { $0.type == type } }

    /// Replaces the condition of the same type, or appends it.
    public mutating func set(_ c: Condition) {
        if let i = firstIndex(where: { $0.type == c.type }) { self[i] = c } else { append(c) }
    }
}
