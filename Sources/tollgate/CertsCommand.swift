import ArgumentParser
import Foundation
import TollgateControlPlane
import TollgateKube
import TollgateKubernetes
import TollgateModel

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
        @Option(help: "State directory holding the CA (created if missing). Not with --kubeconfig.") var stateDir: String?
        @Option(help: "Kubernetes mode: read the CA from the Secret tollgate-ca in --namespace through this kubeconfig.")
        var kubeconfig: String?
        @Option(help: "With --kubeconfig: the controller's namespace (default tollgate-system).") var namespace: String?

        func run() async throws {
            guard GatewayRef(parsing: gateway) != nil else { throw ValidationError("--gateway must be NAMESPACE/NAME") }
            let ca: InternalCA
            if let kubeconfig {
                guard stateDir == nil else { throw ValidationError("--state-dir and --kubeconfig: choose one place for the CA") }
                let config = try KubeConfig.load(kubeconfigPath: kubeconfig)
                let client = try KubeClient(config: config)
                do {
                    ca = try await ClusterCA.load(client: client, namespace: namespace ?? "tollgate-system", create: false)
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                try? await client.shutdown()
            } else {
                let state = StateDirectory(path: stateDir)
                try state.prepare()
                ca = try InternalCA.loadOrCreate(directory: state.caDirectory)
            }
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
