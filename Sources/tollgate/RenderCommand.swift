import ArgumentParser
import Foundation
import TollgateManifests
import TollgateModel
import TollgateNginx

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render NGINX configuration for every Gateway in a manifest directory.",
        discussion: "Writes OUTPUT/NAMESPACE/NAME/ per accepted Gateway and prints a status table. Exits non-zero only when the input cannot be read; invalid objects are reported in their status.")

    @Option(help: "Directory (or file) of Kubernetes manifests, YAML or JSON; repeatable.") var manifests: [String]
    @Option(help: "Directory to write one subdirectory per Gateway into.") var output: String
    @Option(help: "Evaluate certificate expiry at this RFC 3339 time instead of now.") var now: String?
    @Option(help: "CA bundle used for wellKnownCACertificates: System.") var systemCaBundle = "/etc/ssl/certs/ca-certificates.crt"

    func run() throws {
        let pipeline: OfflinePipeline
        do { pipeline = try OfflinePipeline.run(manifests: manifests, now: try parseNow(now)) } catch ExitCodeError.unreadable {
            throw ExitCode(2)
        }
        var renderer = GatewayRenderer(builder: IRBuilder(systemCABundle: systemCaBundle))
        let rendered = renderer.render(pipeline.graph)
        for (key, refusal) in renderer.lastRefusals.sorted(by: { $0.key < $1.key }) {
            Stderr.print("error: \(key): not rendered: \(refusal)")
        }
        for (key, files) in rendered.sorted(by: { $0.key < $1.key }) {
            let dir: String
            do { dir = try OutputPaths.gatewayDirectory(output: output, gateway: key, files: files) } catch {
                Stderr.print("error: \(key): \(error); nothing written for it")
                continue
            }
            if FileManager.default.fileExists(atPath: dir) { try FileManager.default.removeItem(atPath: dir) }
            try files.write(to: dir)
            print("wrote \(dir) (\(files.files.count) files, digest \(files.digest.prefix(12)))")
        }
        print()
        print(StatusPrinter.table(pipeline.documents), terminator: "")
    }
}

