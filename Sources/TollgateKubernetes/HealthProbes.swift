import Synchronization

/// The answers to the kubelet's probes. Healthy: the process is up and its informers have
/// listed everything once. Ready: healthy, leading, and accepting agents — followers are not
/// ready, so a Service in front of the replicas sends agents to the leader only.
public struct HealthProbes: Sendable {
    /// A probe's answer: whether it passes, and why (the response body).
    public struct Answer: Sendable, Equatable {
        public var ok: Bool
        public var reason: String
    }

    let synced: SyncedFlag
    let leading: LeadershipFlag
    let agentPort: AgentPort

    public var health: Answer {
        synced.value ? Answer(ok: true, reason: "ok") : Answer(ok: false, reason: "informers have not listed every resource yet")
    }

    public var readiness: Answer {
        let h = health
        guard h.ok else { return h }
        guard leading.value else { return Answer(ok: false, reason: "not leading: another replica writes status and serves agents") }
        guard agentPort.value != nil else { return Answer(ok: false, reason: "leading, but not accepting agents yet") }
        return Answer(ok: true, reason: "ok: leading and accepting agents")
    }
}

/// Set once the informers' first lists are in (the core has its first state).
public final class SyncedFlag: Sendable {
    private let state = Atomic<Bool>(false)
    public init() {}
    public var value: Bool { state.load(ordering: .acquiring) }
    func set() { state.store(true, ordering: .releasing) }
}
