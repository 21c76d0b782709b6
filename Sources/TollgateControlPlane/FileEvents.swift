import Foundation
import Glibc
import Logging
import Synchronization

/// A failure to watch manifest roots with inotify; the watcher then polls instead.
struct FileEventsError: Error, CustomStringConvertible, Sendable {
    enum Code: Sendable { case unavailable }
    let code: Code
    let message: String
    /// The errno of the failing call.
    let errno: Int32

    init(_ code: Code, _ call: String, errno: Int32) {
        self.code = code
        self.message = "\(call): \(String(cString: strerror(errno)))"
        self.errno = errno
    }

    var description: String { message }
}

/// File-system events under a set of manifest roots, debounced: a dedicated thread blocks in
/// poll(2) on an inotify descriptor (never on the Swift cooperative pool) and yields a signal
/// as `FileEventsDebounce` decides — an isolated change at once, a burst of edits once per
/// second and at its end.
/// Also yields a rescan every `rescan` (events can be missed, e.g. on network file systems) and,
/// when a watch could not be added or the queue overflowed, logs once and keeps going: a failed
/// watch makes the rescan period `fallback` (polling) until the watches are back.
final class FileEvents: Sendable {
    /// Why the consumer should look at the roots again.
    enum Signal: Sendable, Equatable { case changed, rescan }

    /// The debounce and rescan periods.
    struct Timing: Sendable {
        var debounce = FileEventsDebounce.Timing()
        var rescan: Duration = .seconds(30)
        var fallback: Duration = .milliseconds(250)
    }

    /// At most one signal waits: the consumer reads the roots once for any number of bursts.
    let signals: AsyncStream<Signal>
    /// Written and closed by `stop`; the reader thread polls the other end.
    private let wakeWriter: Int32
    private let stopped = Mutex(false)

    /// Starts watching `roots`; throws when inotify is not available at all.
    init(roots: [String], timing: Timing = Timing(), logger: Logger) throws(FileEventsError) {
        let set = try InotifyWatchSet(roots: roots)
        var pipe: [Int32] = [-1, -1]
        guard Glibc.pipe(&pipe) == 0 else {
            let e = errno
            set.close()
            throw FileEventsError(.unavailable, "pipe2", errno: e)
        }
        for fd in pipe {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        let wake = pipe[0]
        self.wakeWriter = pipe[1]
        let (signals, continuation) = AsyncStream<Signal>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.signals = signals
        let reader = Thread {
            var set = set
            Self.read(&set, wake: wake, timing: timing, logger: logger, continuation)
            set.close()
            _ = close(wake)
            continuation.finish()
        }
        reader.name = "tollgate-file-events"
        reader.start()
        continuation.onTermination = { [weak self] _ in self?.stop() }
    }

    deinit { stop() }

    /// Ends the reader thread (which closes the descriptors). Idempotent.
    func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
        _ = close(wakeWriter)
    }

    // MARK: - The reader thread

    private enum Wait { case ready, timeout, wake }

    private static func read(_ set: inout InotifyWatchSet, wake: Int32, timing: Timing, logger: Logger,
                             _ continuation: AsyncStream<Signal>.Continuation) {
        var logged = (failure: false, overflow: false)
        var debounce = FileEventsDebounce(timing: timing.debounce)
        let clock = ContinuousClock()
        let origin = clock.now
        func now() -> Duration { origin.duration(to: clock.now) }
        while true {
            if !set.failures.isEmpty, !logged.failure {
                logged.failure = true
                let list = set.failures.keys.sorted().prefix(3).joined(separator: ", ")
                logger.warning("cannot watch \(list) (\(set.failures.count) in all; see /proc/sys/fs/inotify/max_user_watches): rescanning every \(timing.fallback)")
            }
            let idle = set.failures.isEmpty ? timing.rescan : timing.fallback
            let timeout = debounce.deadline.map { max(.zero, $0 - now()) } ?? idle
            switch wait(set.fd, wake, timeout: timeout) {
            case .wake: return
            case .timeout where !debounce.isPending:
                if !set.failures.isEmpty { set.watchRoots() }
                continuation.yield(.rescan)
                continue
            case .timeout: break
            case .ready:
                var batch = set.drain()
                if batch.overflow {
                    if !logged.overflow { logger.warning("inotify queue overflowed: rescanning") }
                    logged.overflow = true
                    set.watchRoots()    // directories created meanwhile were not seen
                    batch.relevant = true
                }
                if batch.relevant { debounce.event(at: now()) }
            }
            // Events may keep coming faster than `quiet`: the deadline is checked after each read.
            if debounce.signal(at: now()) { continuation.yield(.changed) }
        }
    }

    private static func wait(_ fd: Int32, _ wake: Int32, timeout: Duration) -> Wait {
        var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0), pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        let (s, atto) = timeout.components
        let ms = Int32(clamping: max(0, s * 1000 + atto / 1_000_000_000_000_000))
        var n: Int32
        repeat { n = poll(&fds, 2, ms) } while n < 0 && errno == EINTR
        if fds[0].revents != 0 { return .wake }
        return n > 0 ? .ready : .timeout
    }
}
