import Foundation

/// The retry state of one listener port an agent could not bind: the port is left out of the
/// Gateway's configuration until the next try, which renders it again; each failed try doubles
/// the delay up to a maximum. A new Gateway generation starts over.
public struct PortRetry: Sendable {
    /// Backoff of port retries.
    public struct Policy: Sendable {
        public var initial: Duration
        public var maximum: Duration
        public init(initial: Duration = .seconds(5), maximum: Duration = .seconds(300)) {
            self.initial = initial; self.maximum = maximum
        }

        /// `initial · 2^(attempts-1)`, at most `maximum`.
        func delay(afterAttempts attempts: Int) -> Duration {
            var d = initial
            for _ in 1..<max(1, min(attempts, 32)) {
                d = d * 2
                if d >= maximum { return maximum }
            }
            return min(d, maximum)
        }
    }

    public internal(set) var attempts: Int
    public internal(set) var delay: Duration
    public internal(set) var nextTry: Date
    var task: Task<Void, Never>?

    var delayDescription: String {
        let s = Self.seconds(delay)
        return s < 1 ? "\(Int((s * 1000).rounded()))ms" : "\(Int(s.rounded()))s"
    }

    var nextTryDescription: String { ISO8601DateFormatter().string(from: nextTry) }

    static func seconds(_ d: Duration) -> TimeInterval {
        let c = d.components
        return TimeInterval(c.seconds) + TimeInterval(c.attoseconds) / 1e18
    }
}
