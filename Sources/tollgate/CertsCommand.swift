import ArgumentParser
import Foundation
import TollgateControlPlane

struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "The controller's internal CA for agents connecting over TCP (mutual TLS).",
        subcommands: [IssueAgent.self])

    struct IssueAgent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-agent",
            abstract: "Issue an agent certificate naming one Gateway (URI SAN spiffe://tollgate.dev/gateway/NS/NAME).")
        @Option(help: "The Gateway, NAMESPACE/NAME.") var gateway: String
        @Option(help: "Directory for agent.crt, agent.key (0600) and ca.crt.") var out: String
        @Option(help: "State directory holding the CA (created if missing).") var stateDir: String?

        func run() async throws {
            guard gateway.split(separator: "/").count == 2 else { throw ValidationError("--gateway must be NAMESPACE/NAME") }
            let state = StateDirectory(path: stateDir)
            try state.prepare()
            let ca = try InternalCA.loadOrCreate(directory: state.caDirectory)
            let issued = try ca.issueAgent(gateway: gateway)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try write(issued.keyPEM, "agent.key", 0o600)
            try write(issued.certificatePEM, "agent.crt", 0o644)
            try write(ca.certificatePEM, "ca.crt", 0o644)
            print("wrote \(out)/agent.crt, agent.key (0600), ca.crt for Gateway \(gateway)")
        }

        func write(_ text: String, _ name: String, _ mode: Int) throws {
            try PrivateFile.write(text, to: (out as NSString).appendingPathComponent(name), mode: mode)
        }
    }
}
