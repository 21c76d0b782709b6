import ArgumentParser
import TollgateAgentCLI

/// `tollgate agent`: the same command as the `tollgate-agent` executable (TollgateAgentCLI).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: AgentOptions.abstract)

    @OptionGroup var options: AgentOptions

    func run() async throws { try await AgentMain.run(options) }
}
