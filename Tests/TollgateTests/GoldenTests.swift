import Foundation
import Testing
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

/// Golden fixtures for the pure stages: `Fixtures/golden/CASE/input/*.yaml` (plus the shared test
/// certificates) → `expected/status.yaml`, `expected/diagnostics.txt` and the NGINX files under
/// `expected/nginx/NAMESPACE/NAME/`. Every expected configuration must pass `nginx -t`.
/// Regenerate with `scripts/update-golden.sh` and review the diff.
@Suite struct GoldenTests {
    struct Output {
        var status: String
        var diagnostics: String
        var files: [String: RenderedFile]
    }

    static func produce(_ name: String) throws -> Output {
        let dir = Fixtures.golden.appendingPathComponent(name)
        let now = Fixtures.read(dir.appendingPathComponent("now")).flatMap {
            ISO8601DateFormatter().date(from: $0.trimmingCharacters(in: .whitespacesAndNewlines))
        } ?? Fixtures.defaultNow
        let load = try DirectoryLoader().load(roots: [Fixtures.golden.appendingPathComponent("shared").path,
                                                      dir.appendingPathComponent("input").path])
        let base = Fixtures.golden.path + "/"
        let diagnostics = (load.errors.map { "error: \($0)" } + load.warnings.map { "warning: \($0)" })
            .map { $0.replacingOccurrences(of: base, with: "") }.joined(separator: "\n")
        let graph = GraphBuilder().build(load.store, now: now)
        let status = try StatusPrinter.render(graph.statusDocuments(store: load.store), format: .yaml)
        var renderer = GatewayRenderer()
        var files: [String: RenderedFile] = [:]
        for (key, rendered) in renderer.render(graph) {
            for (path, f) in rendered.files { files["\(key.namespace)/\(key.name)/\(path)"] = f }
        }
        return Output(status: status, diagnostics: diagnostics.isEmpty ? "" : diagnostics + "\n", files: files)
    }

    @Test("golden case", arguments: Fixtures.goldenCases)
    func golden(_ name: String) throws {
        let expected = Fixtures.golden.appendingPathComponent(name).appendingPathComponent("expected")
        let out = try Self.produce(name)
        if Fixtures.updateGolden {
            try? FileManager.default.removeItem(at: expected)
            try FileManager.default.createDirectory(at: expected, withIntermediateDirectories: true)
            try out.status.write(to: expected.appendingPathComponent("status.yaml"), atomically: true, encoding: .utf8)
            if !out.diagnostics.isEmpty {
                try out.diagnostics.write(to: expected.appendingPathComponent("diagnostics.txt"), atomically: true, encoding: .utf8)
            }
            for (path, f) in out.files {
                let url = expected.appendingPathComponent("nginx").appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try f.contents.write(to: url)
            }
        }
        #expect(Fixtures.read(expected.appendingPathComponent("status.yaml")) == out.status, "status.yaml differs for \(name)")
        #expect((Fixtures.read(expected.appendingPathComponent("diagnostics.txt")) ?? "") == out.diagnostics, "diagnostics differ for \(name)")
        let nginxDir = expected.appendingPathComponent("nginx")
        let expectedFiles = Fixtures.files(under: nginxDir)
        #expect(expectedFiles == out.files.keys.sorted(), "rendered file set differs for \(name)")
        for path in expectedFiles {
            let want = FileManager.default.contents(atPath: nginxDir.appendingPathComponent(path).path)
            #expect(want == out.files[path]?.contents, "\(name): \(path) differs")
        }
        for (path, f) in out.files where path.hasSuffix(".key") {
            #expect(f.mode == 0o600, "\(path) must be 0600")
        }
        // Every expected configuration is valid for the real NGINX.
        for gatewayDir in Set(expectedFiles.filter { $0.hasSuffix("/nginx.conf") }.map { ($0 as NSString).deletingLastPathComponent }) {
            let problem = try Processes.nginxTest(configDirectory: nginxDir.appendingPathComponent(gatewayDir))
            #expect(problem == nil, "nginx -t failed for \(name)/\(gatewayDir): \(problem ?? "")")
        }
    }

    @Test("rendering is deterministic")
    func deterministic() throws {
        for name in Fixtures.goldenCases {
            let a = try Self.produce(name), b = try Self.produce(name)
            #expect(a.files == b.files && a.status == b.status, "\(name) renders differently twice")
        }
    }
}
