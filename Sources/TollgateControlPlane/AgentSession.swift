import TollgateProto

/// One connected agent stream, as the controller sees it.
struct AgentSession: Sendable {
    let id: Int
    let gateway: String
    let agentID: String
    let dryRun: Bool
    /// sha256 of the files the agent holds (its hello, updated after each apply).
    var hashes: [String: String]
    var digest: String
    var appliedVersion: UInt64
    /// The last version sent on this stream (never send the same version twice).
    var lastSentVersion: UInt64 = 0
    /// The newest version sent and not yet answered: the agent holds its files next (or rejects
    /// it). Cleared by a result for it or a newer version (the agent coalesces).
    var inFlightVersion: UInt64?
    let outbox: AsyncStream<Tollgate_V1_ControllerMessage>.Continuation
}

/// What the agents of one Gateway last did, for status.
struct GatewayAgentState: Sendable {
    /// Gateway generation of the newest version an agent applied and probed.
    var appliedGeneration: Int64?
    var appliedVersion: UInt64?
    /// The newest rejected version and NGINX's message.
    var rejectedVersion: UInt64?
    var rejectedGeneration: Int64?
    var rejection: String?
    /// Why NGINX is not serving, as an agent reported it (nil: serving or unknown).
    var notServing: String?
}
