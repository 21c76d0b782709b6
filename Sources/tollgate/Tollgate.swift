import ArgumentParser
import TollgateModel

/// The `tollgate` command: a thin CLI over the pipeline modules.
@main
struct TollgateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Gateway API for NGINX, with mutual TLS on both sides.",
        version: Tollgate.version,
        subcommands: [RenderCommand.self, StatusCommand.self, VersionCommand.self, BenchmarkCommand.self])
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and the controller name.")
    func run() {
        print("tollgate \(Tollgate.version)")
        print("controllerName: \(Tollgate.controllerName)")
    }
}
