import TollgateModel

/// A condition outcome that is not the happy path.
struct Problem: Sendable, Equatable {
    var reason: String
    var message: String
}

/// Working state of one listener during a build.
struct ListenerState {
    var spec: Gateway.Listener
    var supportedKinds: [GatewayStatus.RouteGroupKind] = []
    /// Accepted=False cause.
    var notAccepted: Problem?
    /// ResolvedRefs=False causes (first reason wins, messages joined).
    var unresolved: [Problem] = []
    var conflicted: Problem?
    /// OverlappingTLSConfig=True cause (HTTPS listeners whose hostnames overlap on one port).
    var overlapping: Problem?
    /// Certificate references failed: the listener gets no server.
    var certificateInvalid = false
    /// Expiry and other informational notes for messages.
    var notes: [String] = []
    var certificates: [TLSMaterial] = []
    var frontend: FrontendValidation?

    /// Whether NGINX gets a server for this listener.
    var renderable: Bool { notAccepted == nil && conflicted == nil && !certificateInvalid }
    var acceptsHTTPRoutes: Bool { supportedKinds.contains { $0.kind == "HTTPRoute" } }
}

/// Working state of one Gateway during a build.
struct GatewayState {
    var gateway: Gateway
    var notAccepted: Problem?
    var settings = ProxySettings()
    var bindAddresses: [String] = []
    var listeners: [ListenerState] = []
    var backendClientCertificate: TLSMaterial?
    var backendCertificateProblem: Problem?
    var insecureFallbackBlocks: [String] = []
    var inputs: [ObjectKey: Int64] = [:]

    var accepted: Bool { notAccepted == nil }
}
