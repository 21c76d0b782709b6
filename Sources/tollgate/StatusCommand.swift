import ArgumentParser
import Foundation
import TollgateManifests
import TollgateModel
import TollgateProto

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the Gateway API status of every object.",
        discussion: "Asks the running controller (found through --state-dir or --controller). With --manifests, computes status from manifests alone instead (nothing is applied there, so Programmed stays Pending).")

    @Option(help: "Compute status offline from these manifests (repeatable).") var manifests: [String] = []
    @Option(name: .shortAndLong, help: "Output format: table, yaml or json.") var output: String = "table"
    @Option(help: "Offline only: evaluate certificate expiry at this RFC 3339 time instead of now.") var now: String?
    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard StatusPrinter.Format(rawValue: output) != nil else { throw ValidationError("-o must be one of: table, yaml, json") }
    }

    func run() async throws {
        let format = StatusPrinter.Format(rawValue: output)!
        if !manifests.isEmpty {
            let pipeline: OfflinePipeline
            do { pipeline = try OfflinePipeline.run(manifests: manifests, now: try parseNow(now)) } catch ExitCodeError.unreadable {
                throw ExitCode(2)
            }
            print(try StatusPrinter.render(pipeline.documents, format: format), terminator: "")
            return
        }
        let json = try await admin.withAdmin { try await $0.getStatus(Tollgate_V1_StatusRequest()).documentsJson }
        print(try StatusPrinter.render(json: json, format: format), terminator: "")
    }
}
