#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `tollgate controller` and `tollgate agent` as separate real processes: the agent spawns a real
/// NGINX, a real NGINX backend answers behind it, and everything is checked with curl, /proc and
/// the CLI (`status`, `snapshots`). Ports 16000–16099 only.
@Suite(.serialized) struct ControllerAgentTests {
    static let gateway = "default/gw"

    @Test("controller restart with unchanged inputs does not reload NGINX")
    func controllerRestartKeepsNginx() throws {
        let (gatewayPort, backendPort) = (16010, 16011)
        let env = try Env("restart")
        defer { env.cleanUp() }
        try env.writeManifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/")
        try env.startBackend(port: backendPort)
        let root = env.state.appendingPathComponent("gateways/default__gw").path

        var controller = try env.start(["controller", "--manifests", env.manifests.path, "--state-dir", env.state.path], log: "controller-1")
        let agent = try env.start(["agent", "--controller", "unix://" + env.socket, "--gateway", Self.gateway,
                                   "--config-root", root, "--nginx", "spawn"], log: "agent")

        try env.wait("the gateway serves the backend and is Programmed") {
            try Curl.get("http://127.0.0.1:\(gatewayPort)/").body == "backend\n" && env.gatewayProgrammed() == "True"
        }
        let before = try #require(Self.nginx(root: root), "one NGINX master for \(root)\n\(env.logs)")
        #expect(!before.workers.isEmpty, "NGINX runs workers")
        let listBefore = try env.snapshots()
        try #require(listBefore.count == 1, "one version before the restart: \(listBefore)")
        #expect(listBefore[0].line.contains(": applied"), "\(listBefore)")

        let receivedBefore = agent.output.components(separatedBy: "received version").count

        // Restart the controller with the same state directory and manifests, a few times (each
        // restart races the agent's reconnect against the controller's first manifest load).
        var listAfter: [SnapshotRow] = []
        for round in 2...4 {
            controller.stop()
            #expect(controller.process.terminationReason == .exit, "SIGTERM is a clean shutdown:\n\(controller.output)")
            controller = try env.start(["controller", "--manifests", env.manifests.path, "--state-dir", env.state.path], log: "controller-\(round)")
            try env.wait("the reconnected agent reports the unchanged version as served (controller start \(round))") {
                let list = try env.snapshots()
                return try env.gatewayProgrammed() == "True" && list.count == 1 && list[0].line.contains(": applied")
            }
            let after = try #require(Self.nginx(root: root), "NGINX still runs\n\(env.logs)")
            #expect(after.master == before.master, "no new NGINX master")
            #expect(after.workers == before.workers, "same workers: NGINX was not reloaded (before \(before.workers), after \(after.workers))\n\(env.logs)")
            let previous = listAfter.isEmpty ? listBefore : listAfter
            listAfter = try env.snapshots()
            #expect(listAfter.count == 1, "\(listAfter)")
            #expect(listAfter.first?.version == previous[0].version && listAfter.first?.digest == previous[0].digest,
                    "an unchanged digest keeps its version across a restart (controller start \(round)): before \(previous), after \(listAfter)\n\(controller.output)")
            let curl = try Curl.get("http://127.0.0.1:\(gatewayPort)/")
            #expect(curl.status == "200" && curl.body == "backend\n", "\(curl)")
            #expect(agent.output.components(separatedBy: "received version").count == receivedBefore,
                    "the controller sent nothing after the restart:\n\(agent.output)")
        }
        #expect(agent.output.contains("reconnecting"), "the agent saw the controller go away:\n\(agent.output)")

        // Numbering continues after the restart: a changed route is a higher version, applied.
        try env.writeManifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/v2")
        try env.wait("a new version is applied and served") {
            let list = try env.snapshots()
            guard let newest = list.max(by: { $0.version < $1.version }), newest.digest != listBefore[0].digest else { return false }
            return try newest.line.contains(": applied") && Curl.get("http://127.0.0.1:\(gatewayPort)/v2/x").body == "backend\n"
                && Curl.get("http://127.0.0.1:\(gatewayPort)/").status == "404"
        }
        let listNew = try env.snapshots()
        let newest = try #require(listNew.max(by: { $0.version < $1.version }))
        #expect(newest.version > listBefore[0].version && newest.version == (listAfter.first?.version ?? 0) + 1,
                "numbering continued after the restart: before \(listBefore), now \(listNew)")
        #expect(Self.nginx(root: root)?.master == before.master, "a reload keeps the master")
        try env.wait("Programmed again for the new generation") { try env.gatewayProgrammed() == "True" }
    }

    @Test("a Gateway whose files are well over gRPC's 4 MiB message limit is sent in parts, served and listed")
    func bigGatewayInParts() throws {
        let (gatewayPort, backendPort) = (16030, 16031)
        let env = try Env("big")
        defer { env.cleanUp() }
        try env.writeManifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/base")
        // 48 routes × 128 matches of 600-character paths: two locations each, ~9 MB of servers/.
        var yaml = ""
        for r in 0..<48 {
            // The CRD allows 64 matches per rule and 128 per route.
            let matches = (0..<128).map { m in "{path: {type: PathPrefix, value: /r\(r)/m\(m)/\(String(repeating: "x", count: 600))}}" }
            yaml += """
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: big-\(r), namespace: default}
                spec:
                  parentRefs: [{name: gw}]
                  rules:
                  - matches: [\(matches[..<64].joined(separator: ", "))]
                    backendRefs: [{name: app, port: 80}]
                  - matches: [\(matches[64...].joined(separator: ", "))]
                    backendRefs: [{name: app, port: 80}]

                """
        }
        try yaml.write(to: env.manifests.appendingPathComponent("big.yaml"), atomically: true, encoding: .utf8)
        try env.startBackend(port: backendPort)
        let root = env.state.appendingPathComponent("gateways/default__gw").path
        _ = try env.start(["controller", "--manifests", env.manifests.path, "--state-dir", env.state.path], log: "controller")
        let agent = try env.start(["agent", "--controller", "unix://" + env.socket, "--gateway", Self.gateway,
                                   "--config-root", root, "--nginx", "spawn"], log: "agent")
        let deep = "/r47/m127/" + String(repeating: "x", count: 600) + "/leaf"
        try env.wait("the big Gateway serves its last route and is Programmed", timeout: 180) {
            try Curl.get("http://127.0.0.1:\(gatewayPort)\(deep)").body == "backend\n" && env.gatewayProgrammed() == "True"
        }
        let live = URL(fileURLWithPath: root).appendingPathComponent("current").resolvingSymlinksInPath().path
        let size = try FileManager.default.subpathsOfDirectory(atPath: live).reduce(0) { total, p in
            total + ((try? FileManager.default.attributesOfItem(atPath: live + "/" + p)[.size] as? Int) ?? 0)
        }
        #expect(size > 6 << 20, "the served files are well over 4 MiB (\(size) bytes)\n\(env.logs)")
        #expect(try Curl.get("http://127.0.0.1:\(gatewayPort)/nothing-here").status == "404")
        #expect(try env.snapshots().first?.line.contains(": applied") == true)
        #expect(!agent.output.contains("Failed to decode") && !agent.output.contains("cannot use version"), "\(agent.output.suffix(2000))")
    }

    @Test("dry-run agent reports a diff and never touches NGINX")
    func dryRunAgent() throws {
        let (gatewayPort, backendPort) = (16020, 16021)
        let env = try Env("dryrun")
        defer { env.cleanUp() }
        try env.writeManifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/")
        let root = env.state.appendingPathComponent("dry-root").path

        _ = try env.start(["controller", "--manifests", env.manifests.path, "--state-dir", env.state.path], log: "controller")
        let agent = try env.start(["agent", "--controller", "unix://" + env.socket, "--gateway", Self.gateway,
                                   "--config-root", root, "--dry-run"], log: "agent")

        try env.wait("the dry-run result is listed") { try env.snapshots().first?.line.contains(": dry-run ok") == true }
        let list = try env.snapshots()
        try #require(list.count == 1, "\(list)")
        let show = try tollgate(["snapshots", "show", String(list[0].version), "--gateway", Self.gateway, "--state-dir", env.state.path])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains(": dry-run ok"), "\(show.stdout)")
        // The agent's message is the diff against its (empty) live tree.
        #expect(show.stdout.contains("+++ b/nginx.conf"), "\(show.stdout)")
        #expect(show.stdout.contains("listen 127.0.0.1:\(gatewayPort)"), "\(show.stdout)")

        let others = pids(commandContaining: root).subtracting([agent.pid])
        #expect(others.isEmpty, "no process but the agent uses the config root: \(others.map { Self.cmdline($0) })")
        #expect(!FileManager.default.fileExists(atPath: root + "/current") && Symlink.target(root + "/current") == nil,
                "a dry run never makes anything live")
        let curl = try Curl.get("http://127.0.0.1:\(gatewayPort)/")
        #expect(curl.transportFailure, "nothing listens on the gateway port: \(curl)")
        #expect(try env.gatewayProgrammed() != "True", "dry-run agents never program the Gateway")
        #expect(agent.process.isRunning, "the dry-run agent keeps running:\n\(agent.output)")
    }

    @Test("over TCP only an agent whose certificate names the Gateway gets a snapshot")
    func tcpCertificateNamesGateway() throws {
        let (gatewayPort, backendPort, controllerPort) = (16030, 16031, 16032)
        let env = try Env("tcp")
        defer { env.cleanUp() }
        try env.writeManifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/")
        try env.startBackend(port: backendPort)
        let right = env.state.appendingPathComponent("certs-right").path, other = env.state.appendingPathComponent("certs-other").path
        for (gw, out) in [(Self.gateway, right), ("default/other", other)] {
            let r = try tollgate(["certs", "issue-agent", "--gateway", gw, "--out", out, "--state-dir", env.state.path])
            try #require(r.status == 0, "issue-agent \(gw): \(r.stderr)")
        }
        let controller = try env.start(["controller", "--manifests", env.manifests.path, "--state-dir", env.state.path,
                                        "--listen", "127.0.0.1:\(controllerPort)"], log: "controller")
        try env.wait("the controller accepts agents over TCP") { controller.output.contains("mutual TLS on port \(controllerPort)") }
        // By name: the server certificate names localhost (an IP literal is the next test).
        let url = "https://localhost:\(controllerPort)"
        func tls(_ dir: String) -> [String] { ["--tls-cert", dir + "/agent.crt", "--tls-key", dir + "/agent.key", "--tls-ca", dir + "/ca.crt"] }

        // Another Gateway's certificate: refused, nothing applied, nothing served.
        let wrongRoot = env.state.appendingPathComponent("root-wrong").path
        let wrong = try env.start(["agent", "--controller", url, "--gateway", Self.gateway, "--config-root", wrongRoot] + tls(other), log: "agent-wrong")
        try env.wait("the agent with another Gateway's certificate is refused") { wrong.output.contains("permissionDenied") }
        #expect(wrong.output.contains("client certificate names Gateway default/other, not \(Self.gateway)"), "\(wrong.output)")
        #expect(!wrong.output.contains("received version"), "no snapshot reached it:\n\(wrong.output)")
        #expect(Symlink.target(wrongRoot + "/current") == nil, "nothing is live in its config root")
        #expect(try Curl.get("http://127.0.0.1:\(gatewayPort)/").transportFailure, "nothing is served on the gateway port")
        #expect(try env.gatewayProgrammed() != "True")
        wrong.stop()

        // No certificate at all: the agent refuses to start.
        let bare = try env.start(["agent", "--controller", url, "--gateway", Self.gateway,
                                  "--config-root", env.state.appendingPathComponent("root-bare").path], log: "agent-bare")
        try env.wait("the agent without a certificate exits") { !bare.process.isRunning }
        #expect(bare.process.terminationStatus != 0)
        #expect(bare.output.contains("mutual TLS"), "\(bare.output)")

        // A client without a certificate cannot complete TLS with the controller.
        let plain = try Curl.get(url + "/", extra: ["--cacert", right + "/ca.crt"])
        #expect(plain.transportFailure, "no client certificate, no TLS session: \(plain)")

        // The right certificate: snapshot applied, served, Programmed.
        let goodRoot = env.state.appendingPathComponent("root-good").path
        let good = try env.start(["agent", "--controller", url, "--gateway", Self.gateway, "--config-root", goodRoot, "--nginx", "spawn"] + tls(right),
                                 log: "agent-good")
        try env.wait("the agent with the Gateway's certificate serves it") {
            try Curl.get("http://127.0.0.1:\(gatewayPort)/").body == "backend\n" && env.gatewayProgrammed() == "True"
        }
        #expect(Symlink.target(goodRoot + "/current") != nil)
        let list = try env.snapshots()
        #expect(list.count == 1 && list[0].line.contains(": applied"), "\(list)")
        #expect(!good.output.contains("permissionDenied"), "\(good.output)")
    }

    /// `--listen 127.0.0.1:PORT` issues a server certificate with the SAN 127.0.0.1, so
    /// `--controller https://127.0.0.1:PORT` must work (no SNI for an IP literal).
    @Test("over TCP an agent reaches the controller by IP address")
    func tcpByIPAddress() throws {
        let (gatewayPort, backendPort, controllerPort) = (16040, 16041, 16042)
        let env = try Env("tcp-ip")
        defer { env.cleanUp() }
        try env.writeManifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/")
        try env.startBackend(port: backendPort)
        let certs = env.state.appendingPathComponent("certs").path
        let issued = try tollgate(["certs", "issue-agent", "--gateway", Self.gateway, "--out", certs, "--state-dir", env.state.path])
        try #require(issued.status == 0, "\(issued.stderr)")
        let controller = try env.start(["controller", "--manifests", env.manifests.path, "--state-dir", env.state.path,
                                        "--listen", "127.0.0.1:\(controllerPort)"], log: "controller")
        try env.wait("the controller accepts agents over TCP") { controller.output.contains("mutual TLS on port \(controllerPort)") }
        let agent = try env.start(["agent", "--controller", "https://127.0.0.1:\(controllerPort)", "--gateway", Self.gateway,
                                   "--config-root", env.state.appendingPathComponent("root").path, "--nginx", "spawn",
                                   "--tls-cert", certs + "/agent.crt", "--tls-key", certs + "/agent.key", "--tls-ca", certs + "/ca.crt"],
                                  log: "agent")
        let served: Void? = try? env.wait("the agent connected by IP address serves the Gateway", timeout: 30) {
            try Curl.get("http://127.0.0.1:\(gatewayPort)/").body == "backend\n" && env.gatewayProgrammed() == "True"
        }
        #expect(served != nil, "https://127.0.0.1:\(controllerPort) never delivered a snapshot:\n\(agent.output.suffix(1500))")
        #expect(!agent.output.contains("cannotUseIPAddressInSNI"), "the agent must not send an IP address as SNI")
    }

    // MARK: Helpers

    /// An NGINX master started for `root` and its workers (children, found through /proc).
    static func nginx(root: String) -> (master: Int32, workers: Set<Int32>)? {
        let masters = pids(commandContaining: root).filter { cmdline($0).contains("master process") }
        guard masters.count == 1, let master = masters.first else { return nil }
        return (master, children(of: master))
    }

    static func cmdline(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    static func parent(of pid: Int32) -> Int32? {
        guard let stat = Fixtures.read(URL(fileURLWithPath: "/proc/\(pid)/stat")), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    static func children(of pid: Int32) -> Set<Int32> {
        var out = Set<Int32>()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            if let p = Int32(entry), parent(of: p) == pid { out.insert(p) }
        }
        return out
    }
}

private enum Symlink {
    static func target(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }
}

/// One row of `tollgate snapshots list`.
private struct SnapshotRow: CustomStringConvertible {
    var version: UInt64
    var digest: String
    var line: String
    var description: String { line }
}

/// A temporary state directory, manifests and every process a test starts; `cleanUp()` stops them
/// all (agents before the controller, and any NGINX left under the directory).
private final class Env: @unchecked Sendable {
    let directory: URL
    let state: URL
    let manifests: URL
    private var processes: [TollgateProcess] = []
    private var backend: RunningNginx?

    init(_ label: String) throws {
        directory = try Processes.temporaryDirectory("ca-\(label)")
        state = directory.appendingPathComponent("state")
        manifests = directory.appendingPathComponent("manifests")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
    }

    var socket: String { state.appendingPathComponent("controller.sock").path }

    func start(_ args: [String], log: String) throws -> TollgateProcess {
        let p = try TollgateProcess(args, log: directory.appendingPathComponent(log + ".log"))
        processes.append(p)
        return p
    }

    /// Every log so far, for failure messages.
    var logs: String {
        processes.map { "==> \($0.log.lastPathComponent) <==\n\($0.output.suffix(4000))" }.joined(separator: "\n")
    }

    /// `eventually`, with every log in the failure.
    func wait(_ what: String, timeout: Double = 60, _ condition: () throws -> Bool) throws {
        do { try eventually(what, timeout: timeout, interval: 0.25, condition) } catch {
            throw TestFailure("\(error)\n\(logs)")
        }
    }

    func writeManifests(gatewayPort: Int, backendPort: Int, path: String) throws {
        let yaml = TestManifests.oneRoute(gatewayPort: gatewayPort, backendPort: backendPort, path: path)
        try yaml.write(to: manifests.appendingPathComponent("gateway.yaml"), atomically: true, encoding: .utf8)
    }

    /// A real NGINX answering `backend` on 127.0.0.1:PORT (foreground, supervised by the test).
    func startBackend(port: Int) throws {
        backend = try RunningNginx.textBackend(port: port, directory: directory.appendingPathComponent("backend"))
        let r = try Curl.get("http://127.0.0.1:\(port)/")
        guard r.body == "backend\n" else { throw TestFailure("backend does not answer: \(r)") }
    }

    /// The Gateway's Programmed condition status ("True", "False", or "" when absent).
    func gatewayProgrammed(_ name: String = "gw") throws -> String {
        let r = try tollgate(["status", "--state-dir", state.path, "-o", "json"])
        guard r.status == 0, let docs = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] else {
            throw TestFailure("status failed: \(r.stderr)")
        }
        for d in docs where d["kind"] as? String == "Gateway" {
            guard let meta = d["metadata"] as? [String: Any], meta["name"] as? String == name,
                  let status = d["status"] as? [String: Any], let conds = status["conditions"] as? [[String: Any]] else { continue }
            return conds.first { $0["type"] as? String == "Programmed" }?["status"] as? String ?? ""
        }
        return ""
    }

    func snapshots() throws -> [SnapshotRow] {
        let r = try tollgate(["snapshots", "list", "--gateway", ControllerAgentTests.gateway, "--state-dir", state.path])
        guard r.status == 0 else { throw TestFailure("snapshots list failed: \(r.stderr)") }
        return r.stdout.split(separator: "\n").dropFirst().compactMap { line in
            let t = line.split(separator: " ", omittingEmptySubsequences: true)
            guard t.count > 2, let v = UInt64(t[1]) else { return nil }
            return SnapshotRow(version: v, digest: String(t[2]), line: String(line))
        }
    }

    func cleanUp() {
        // Agents first (they stop their NGINX), then the controller.
        let agents = processes.filter { $0.process.arguments?.first == "agent" }
        for p in agents { p.stop() }
        for p in processes where !agents.contains(where: { $0 === p }) { p.stop() }
        // An NGINX whose agent could not stop it (e.g. a failed stop): only those under our directory.
        for pid in pids(commandContaining: directory.path) where ControllerAgentTests.cmdline(pid).contains("master process") {
            kill(pid, SIGTERM)
        }
        backend?.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
