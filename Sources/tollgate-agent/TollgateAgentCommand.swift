import ArgumentParser
import TollgateAgentCLI

/// `tollgate-agent`: the agent alone, the same as `tollgate agent` in a small executable that
/// carries no controller code and does not link full Foundation (its resident memory is what
/// runs beside every NGINX).
@main
struct TollgateAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tollgate-agent", abstract: AgentOptions.abstract,
                                                    version: AgentOptions.version)

    @OptionGroup var options: AgentOptions

    func run() async throws { try await AgentMain.run(options) }
}
