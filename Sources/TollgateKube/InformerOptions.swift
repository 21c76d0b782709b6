/// How an ``Informer`` lists, watches and retries.
public struct InformerOptions: Sendable {
    /// Objects per list page.
    public var pageSize: Int
    /// Each watch asks the server to end it after a random number of seconds in this range, so
    /// many informers do not reconnect in step.
    public var watchTimeoutSeconds: ClosedRange<Int>
    /// The wait between retries after a failure.
    public var backoff: Backoff
    /// How often to look again for a resource the server does not serve (a CRD not installed yet).
    public var notServedRecheck: Duration
    /// A watch that ends sooner than this without any event is treated like a failure for pacing
    /// (waits a backoff step before the next one), so a server that closes at once is not hammered.
    public var minimumWatchDuration: Duration

    public init(
        pageSize: Int = 500,
        watchTimeoutSeconds: ClosedRange<Int> = 300...600,
        backoff: Backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(30)),
        notServedRecheck: Duration = .seconds(60),
        minimumWatchDuration: Duration = .seconds(1)
    ) {
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.backoff = backoff
        self.notServedRecheck = notServedRecheck
        self.minimumWatchDuration = minimumWatchDuration
    }
}
