/// What happened to a supervised NGINX master, in order, on `NginxProcess.events`.
public enum NginxEvent: Sendable, Equatable {
    /// The master is up (its pid file names it).
    case started(pid: Int32)
    /// The master exited (`status` is the exit code or the terminating signal).
    case exited(pid: Int32, status: Int32)
    /// The supervisor is about to start the master again after it died unexpectedly.
    case restarting(attempt: Int, delay: Duration)
    /// A restart attempt failed; another one follows after a backoff.
    case restartFailed(message: String)
    /// SIGHUP was sent to the master.
    case reloaded(pid: Int32)
    /// `stop()` finished: no master is running.
    case stopped
}
