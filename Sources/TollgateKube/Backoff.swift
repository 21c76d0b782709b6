/// Jittered exponential backoff: each consecutive failure waits longer, from `initial` doubling
/// up to `maximum`, each wait stretched by up to `jitter` of itself so many clients do not retry
/// in step. After `resetAfter` without a failure the next wait starts from `initial` again.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    /// The fraction of a wait added at random (0.5: a wait of d becomes d…1.5 d, capped at `maximum`).
    public var jitter: Double
    /// A quiet period after which the backoff starts over; nil never resets by time.
    public var resetAfter: Duration?

    private var base: Duration?
    private var lastFailure: ContinuousClock.Instant?

    public init(
        initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30),
        jitter: Double = 0.5, resetAfter: Duration? = .seconds(120)
    ) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self.resetAfter = resetAfter
    }

    /// The wait before the next retry, at time `now`.
    public mutating func next(now: ContinuousClock.Instant = .now) -> Duration {
        var random = SystemRandomNumberGenerator()
        return next(now: now, using: &random)
    }

    /// The wait before the next retry, drawing the jitter from `random`.
    public mutating func next<R: RandomNumberGenerator>(now: ContinuousClock.Instant = .now, using random: inout R) -> Duration {
        if let lastFailure, let resetAfter, now - lastFailure >= resetAfter {
            base = nil
        }
        lastFailure = now
        let current = base.map { min($0 * 2, maximum) } ?? min(initial, maximum)
        base = current
        let stretched = current * (1 + jitter * Double.random(in: 0..<1, using: &random))
        return min(stretched, maximum)
    }

    /// Whether the next wait starts from `initial` (no failure since the start or the last reset).
    public var isAtStart: Bool { base == nil }

    /// Starts over from `initial` (after a success).
    public mutating func reset() {
        base = nil
        lastFailure = nil
    }
}
