/// What happened to a supervised NGINX master, in order, on `NginxProcess.events`.
public enum NginxEvent: Sendable, Equatable {
    /// The master is up (its pid file names it).
    case started(pid: Int32)
    /// A master a previous agent left running on this config root, serving the live version, is
    /// supervised from now on instead of being restarted.
    case adopted(pid: Int32)
    /// The master a previous agent left running was not adopted (`reason`); it is stopped if it
    /// is this config root's, and a new one is started.
    case notAdopted(pid: Int32, reason: String)
    /// The master exited (`status` is the exit code or the terminating signal).
    case exited(pid: Int32, status: Int32)
    /// An adopted master (not a child of this agent, so its exit status is unknown) is gone.
    case lost(pid: Int32)
    /// The supervisor is about to start the master again after it died unexpectedly.
    case restarting(attempt: Int, delay: Duration)
    /// A restart attempt failed; another one follows after a backoff.
    case restartFailed(message: String)
    /// SIGHUP was sent to the master.
    case reloaded(pid: Int32)
    /// `stop()` finished: no master is running.
    case stopped
}
