import TollgateModel

/// One connected agent stream, as the controller sees it.
struct AgentSession: Sendable {
    /// Where the session is in the exchange of versions.
    enum State: Sendable, Equatable {
        /// Nothing sent is unanswered: the agent holds `digest`/`hashes`.
        case idle
        /// `version` was sent and not yet answered: the agent holds its files next (or rejects
        /// it). Left by a result for it or a newer version (the agent coalesces).
        case applying(version: UInt64)
    }

    let id: Int
    let gateway: GatewayRef
    let agentID: String
    let dryRun: Bool
    var state: State = .idle
    /// sha256 of the files the agent holds (its hello, updated after each apply).
    var hashes: [String: String]
    var digest: String
    var appliedVersion: UInt64
    /// The last version sent on this stream (never send the same version twice).
    var lastSentVersion: UInt64 = 0
    let outbox: AsyncStream<SnapshotDelivery>.Continuation

    init(id: Int, hello: AgentHello, outbox: AsyncStream<SnapshotDelivery>.Continuation) {
        self.id = id
        gateway = hello.gateway
        agentID = hello.agentID
        dryRun = hello.dryRun
        hashes = hello.fileHashes
        digest = hello.appliedDigest
        appliedVersion = hello.appliedVersion
        self.outbox = outbox
    }

    /// The version being applied, if any.
    var inFlightVersion: UInt64? {
        if case .applying(let v) = state { return v }
        return nil
    }
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
