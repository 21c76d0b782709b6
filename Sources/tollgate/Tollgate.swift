import ArgumentParser
import TollgateModel

/// The `tollgate` command: a thin CLI over the pipeline modules.
@main
struct TollgateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Gateway API for NGINX, with mutual TLS on both sides.",
        version: Tollgate.version,
        subcommands: [StandaloneCommand.self, ControllerCommand.self, AgentCommand.self, StatusCommand.self,
                      SnapshotsCommand.self, RenderCommand.self, CertsCommand.self, VersionCommand.self, BenchmarkCommand.self, IncrementalBenchCommand.self])
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and the controller name.")
    func run() {
        print("tollgate \(Tollgate.version)")
        print("controllerName: \(Tollgate.controllerName)")
    }
}
