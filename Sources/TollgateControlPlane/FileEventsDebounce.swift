/// When a stream of file-system events becomes a signal to read the roots again: a pure state
/// machine on a caller-supplied time line (a `Duration` since any origin), so it is tested with a
/// virtual clock.
///
/// - An isolated change is signalled at once: after `quiet` without events (an editor's save is
///   several events in a few milliseconds), or `cap` after its first event when events keep coming.
/// - A change that begins within `burstGap` of the previous signal continues a burst (nobody
///   edits, waits for the change to be served and edits again that fast): it is signalled
///   `interval` after the previous signal, whether or not events still come. So a
///   burst of any length is one signal per `interval` plus one at its end (its trailing edge), and
///   every version published during a burst costs NGINX one reload at most.
///
/// The last event is always followed by a signal: events are never dropped, only merged.
struct FileEventsDebounce: Sendable, Equatable {
    /// The periods; the defaults keep 200 edits in 2 s to three signals.
    struct Timing: Sendable, Equatable {
        var quiet: Duration = .milliseconds(30)
        var cap: Duration = .milliseconds(200)
        var burstGap: Duration = .milliseconds(150)
        var interval: Duration = .seconds(1)
    }

    /// Events not yet signalled.
    private struct Pending: Sendable, Equatable {
        var first: Duration
        var last: Duration
        /// No signal before this time (set when the change continues a burst).
        var notBefore: Duration?
    }

    let timing: Timing
    private var pending: Pending?
    private var lastSignal: Duration?

    init(timing: Timing = Timing()) { self.timing = timing }

    /// Whether events wait for a signal.
    var isPending: Bool { pending != nil }

    /// Records a relevant event at `now`.
    mutating func event(at now: Duration) {
        if pending != nil {
            pending!.last = max(pending!.last, now)
            return
        }
        var notBefore: Duration?
        if let lastSignal, now - lastSignal < timing.burstGap { notBefore = lastSignal + timing.interval }
        pending = Pending(first: now, last: now, notBefore: notBefore)
    }

    /// When `signal(at:)` should next be asked; nil when nothing is pending (wait for events).
    var deadline: Duration? {
        guard let p = pending else { return nil }
        let settled = min(p.last + timing.quiet, p.first + timing.cap)
        // During a burst: once `interval` has passed, signal even if events keep coming.
        guard let floor = p.notBefore else { return settled }
        return max(floor, settled)
    }

    /// Whether to signal at `now`; when it answers true, the pending events are consumed.
    mutating func signal(at now: Duration) -> Bool {
        guard let d = deadline, now >= d else { return false }
        pending = nil
        lastSignal = now
        return true
    }
}
