import Foundation

/// Whether this replica leads, readable without waiting (status writes check it before each
/// write) and observable as a stream of changes (the agent server follows it).
public final class LeadershipFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Bool
    private var watchers: [AsyncStream<Bool>.Continuation] = []

    public init(_ initial: Bool) { current = initial }

    public var value: Bool { lock.withLock { current } }

    func set(_ value: Bool) {
        let ws: [AsyncStream<Bool>.Continuation] = lock.withLock {
            guard current != value else { return [] }
            current = value
            return watchers
        }
        for w in ws { w.yield(value) }
    }

    /// The current value, then every change.
    func changes() -> AsyncStream<Bool> {
        let (stream, cont) = AsyncStream<Bool>.makeStream()
        lock.withLock {
            cont.yield(current)
            watchers.append(cont)
        }
        return stream
    }
}

/// The port the agent server listens on while this replica leads (nil otherwise).
public final class AgentPort: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    public init() {}
    public var value: Int? { lock.withLock { port } }
    func set(_ p: Int?) { lock.withLock { port = p } }
}
