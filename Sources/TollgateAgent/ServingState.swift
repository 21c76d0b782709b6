/// Whether the NGINX beside the agent is serving, derived from `NginxProcess` events, for the
/// controller: a master that died and cannot be started again makes the Gateway's status say so
/// until it is back.
public actor ServingState {
    public struct Value: Sendable, Equatable {
        public var serving: Bool
        public var reason: String
    }

    public private(set) var value = Value(serving: true, reason: "")
    private var watchers: [AsyncStream<Value>.Continuation] = []

    public init() {}

    /// Folds one NGINX event into the state.
    public func note(_ event: NginxEvent) {
        switch event {
        case .started, .adopted: set(Value(serving: true, reason: ""))
        case .exited(let pid, let status): set(Value(serving: false, reason: "the NGINX master (pid \(pid)) exited with status \(status); the agent is starting it again"))
        case .lost(let pid): set(Value(serving: false, reason: "the NGINX master (pid \(pid)) is gone; the agent is starting it again"))
        case .restartFailed(let message): set(Value(serving: false, reason: "NGINX cannot be started again: \(message)"))
        case .notAdopted, .restarting, .reloaded, .stopped: break
        }
    }

    /// The current value, then every change.
    public func watch() -> AsyncStream<Value> {
        let (stream, cont) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(1))
        cont.yield(value)
        watchers.append(cont)
        return stream
    }

    private func set(_ v: Value) {
        guard v != value else { return }
        value = v
        for w in watchers { w.yield(v) }
    }
}
