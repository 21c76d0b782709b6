#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Spliced upserts between real `tollgate controller` and `tollgate agent` processes over the gRPC
/// stream, with the agent's real NGINX serving: a one-route change to a hostname of 300 routes is
/// sent as a splice and served; after the live server file was edited by hand, the splice is
/// refused and the agent reconnects for the whole file. Ports 16600–16601 only.
@Suite(.serialized) struct SpliceAgentTests {
    static let (gatewayPort, backendPort) = (16600, 16601)
    static let host = "many.example.com"

    static func manifests(moved: [Int: String]) -> String {
        var y = TestManifests.httpGateway(port: gatewayPort) + "---\n" + TestManifests.loopbackService(backendPort: backendPort)
        for r in 0..<300 {
            y += """
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: r\(r), namespace: default}
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: [\(host)]
                  rules:
                  - matches: [{path: {type: PathPrefix, value: \(moved[r] ?? "/r\(r)")}}]
                    backendRefs: [{name: app, port: 80}]

                """
        }
        return y
    }

    func serves(_ path: String) throws -> Bool {
        try Curl.get("http://127.0.0.1:\(Self.gatewayPort)\(path)", host: Self.host).body == "backend\n"
    }

    @Test("one-route change over the real stream: spliced, served; a hand-edited live file makes the agent reconnect for the whole file")
    func spliceEndToEnd() throws {
        let dir = try Processes.temporaryDirectory("splice-e2e")
        let state = dir.appendingPathComponent("state"), manifests = dir.appendingPathComponent("manifests")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        let file = manifests.appendingPathComponent("gateway.yaml")
        try Self.manifests(moved: [:]).write(to: file, atomically: true, encoding: .utf8)
        let backend = try RunningNginx.textBackend(port: Self.backendPort, directory: dir.appendingPathComponent("backend"))
        let root = state.appendingPathComponent("gateways/default__gw").path
        let controller = try TollgateProcess(["controller", "--manifests", manifests.path, "--state-dir", state.path],
                                             log: dir.appendingPathComponent("controller.log"))
        let agent = try TollgateProcess(["agent", "--controller", "unix://" + state.appendingPathComponent("controller.sock").path,
                                         "--gateway", "default/gw", "--config-root", root, "--nginx", "spawn"],
                                        log: dir.appendingPathComponent("agent.log"))
        defer {
            agent.stop()
            controller.stop()
            backend.stop()
            try? FileManager.default.removeItem(at: dir)
        }
        func wait(_ what: String, _ condition: () throws -> Bool) throws {
            do { try eventually(what, timeout: 90, interval: 0.25, condition) } catch {
                throw TestFailure("\(error)\n--- controller\n\(controller.output.suffix(3000))\n--- agent\n\(agent.output.suffix(3000))")
            }
        }
        // Served is not yet reported: a version published before the agent's result goes whole
        // (its base is uncertain), so wait for the report too.
        try wait("the 300 routes are served and version 1 is reported applied") {
            try serves("/r299/x") && serves("/r0/x") && controller.output.contains("applied default/gw version 1")
        }

        // A one-route change that moves the route's locations elsewhere in the server file.
        try Self.manifests(moved: [150: "/moved"]).write(to: file, atomically: true, encoding: .utf8)
        // Until the controller has the agent's result, a newer version would go whole (its base is uncertain).
        try wait("the moved route is served and reported applied") {
            try serves("/moved/x") && controller.output.contains("applied default/gw version 2")
        }
        #expect(controller.output.contains("1 upserts (1 spliced)"), "\(controller.output.suffix(3000))")
        #expect(!agent.output.contains("cannot splice"), "\(agent.output.suffix(3000))")
        #expect(try Curl.get("http://127.0.0.1:\(Self.gatewayPort)/r150/x", host: Self.host).status == "404")

        // Someone edits the live server file: the next splice does not fit it.
        let server = URL(fileURLWithPath: root).appendingPathComponent("current/servers/port-\(Self.gatewayPort)/\(Self.host).conf")
            .resolvingSymlinksInPath()
        var text = try String(contentsOf: server, encoding: .utf8)
        text += "# edited by hand\n"
        try text.write(to: server, atomically: false, encoding: .utf8)
        try Self.manifests(moved: [150: "/moved", 151: "/moved-too"]).write(to: file, atomically: true, encoding: .utf8)
        try wait("the second moved route is served") { try serves("/moved-too/x") && serves("/moved/x") }
        #expect(agent.output.contains("cannot splice"), "\(agent.output.suffix(3000))")
        #expect(agent.output.contains("reconnecting for whole files"), "\(agent.output.suffix(3000))")
        #expect(controller.output.contains("1 upserts (0 spliced)"), "\(controller.output.suffix(3000))")
        let served = URL(fileURLWithPath: root).appendingPathComponent("current/servers/port-\(Self.gatewayPort)/\(Self.host).conf")
        #expect(try !String(contentsOf: served, encoding: .utf8).contains("edited by hand"), "the whole file replaced the edited one")
    }
}
