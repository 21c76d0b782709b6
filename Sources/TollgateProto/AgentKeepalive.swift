// Hand-written (not generated): constants of the protocol that both ends must agree on.

/// The keepalive contract between agents and the controller: agents ping every `interval` (and
/// give up after `timeout` without an answer); the controller permits pings as often as
/// `minimumPermitted`, which must not be longer than `interval`.
public enum AgentKeepalive {
    public static let interval: Duration = .seconds(20)
    public static let timeout: Duration = .seconds(10)
    public static let minimumPermitted: Duration = .seconds(10)
}
