/// Who competes for which Lease, and client-go's timing: a leader renews every `retryPeriod`;
/// it gives up leadership when a renewal has not succeeded within `renewDeadline`; others take
/// over once they have seen the same record for `leaseDuration`.
public struct LeaderElectionConfig: Sendable {
    /// This candidate's identity, unique among candidates (e.g. the pod name).
    public var identity: String
    public var leaseName: String
    public var leaseNamespace: String
    public var leaseDuration: Duration
    public var renewDeadline: Duration
    public var retryPeriod: Duration
    /// Release the Lease when ``LeaderElector/run(onStartedLeading:onStoppedLeading:)`` is
    /// cancelled while leading, so another candidate takes over at once.
    public var releaseOnCancel: Bool

    public init(
        identity: String, leaseName: String, leaseNamespace: String,
        leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
        retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true
    ) {
        self.identity = identity
        self.leaseName = leaseName
        self.leaseNamespace = leaseNamespace
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.releaseOnCancel = releaseOnCancel
    }

    /// `leaseDuration` in whole seconds, at least 1, as the Lease stores it.
    var leaseDurationSeconds: Int {
        max(1, Int((leaseDuration.components.seconds * 1000 + leaseDuration.components.attoseconds / 1_000_000_000_000_000 + 999) / 1000))
    }
}
