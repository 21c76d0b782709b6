import ArgumentParser

/// The agent's command line, shared by `tollgate agent` and the `tollgate-agent` executable (the
/// same flags, help and validation errors in both).
public struct AgentOptions: ParsableArguments, Sendable {
    /// What the agent does, for both commands' help.
    public static let abstract = "Run the agent beside one NGINX: receive snapshots, apply them atomically, prove they are served."
    /// `tollgate-agent --version`: the same as `Tollgate.version` (TollgateModel, which the agent
    /// does not link; AgentExecutableTests checks they agree).
    public static let version = "0.1.0"

    @Option(help: "unix:///PATH or https://HOST:PORT (mutual TLS).") public var controller: String
    @Option(help: "The Gateway this agent serves, NAMESPACE/NAME.") public var gateway: String
    @Option(help: "Directory holding versions/, current and runtime/.") public var configRoot: String
    @Option(help: "spawn: start and supervise NGINX; attach: signal an NGINX started by someone else.") public var nginx: String = "spawn"
    @Option(help: "NGINX pid file for --nginx attach.") public var pidFile: String?
    @Option(help: "NGINX binary.") public var nginxBinary: String = "nginx"
    @Flag(help: "Validate and diff every snapshot; never swap or reload.") public var dryRun = false
    @Option(help: "Agent id reported to the controller (default: host name + config root).") public var agentId: String?
    @Option(help: "Client certificate (PEM) for https:// controllers.") public var tlsCert: String?
    @Option(help: "Client key (PEM) for https:// controllers.") public var tlsKey: String?
    @Option(help: "CA (PEM) that signed the controller's certificate.") public var tlsCa: String?

    public init() {}

    public func validate() throws {
        guard nginx == "spawn" || nginx == "attach" else { throw ValidationError("--nginx must be spawn or attach") }
        if nginx == "attach" && pidFile == nil { throw ValidationError("--nginx attach needs --pid-file") }
        guard gateway.split(separator: "/").count == 2 else { throw ValidationError("--gateway must be NAMESPACE/NAME") }
    }
}
