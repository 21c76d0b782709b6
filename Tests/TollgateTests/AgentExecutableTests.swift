#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import TollgateControlPlane

/// The `tollgate-agent` executable: the agent alone, without full Foundation. It runs an agent end
/// to end against a real `tollgate controller` and a real NGINX, takes the same flags as
/// `tollgate agent`, and is what `tollgate standalone` starts when it sits next to `tollgate`.
/// Ports 16700–16709 only.
@Suite(.serialized) struct AgentExecutableTests {
    /// The built `tollgate-agent` (next to the `tollgate` the other CLI tests run).
    static var binary: String {
        URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("tollgate-agent").path
    }

    @Test("tollgate-agent links neither full Foundation nor ICU (the Swift runtime and FoundationEssentials are linked statically)")
    func linksNoFullFoundation() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "built: \(Self.binary)")
        let r = try Processes.run("/usr/bin/ldd", [Self.binary])
        try #require(r.status == 0, "\(r.stderr)")
        let libraries = r.stdout.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) }
        #expect(libraries.contains { $0.hasPrefix("libc.so") }, "\(libraries)")
        #expect(!libraries.contains { $0.hasPrefix("libswiftCore") }, "static Swift runtime: \(libraries)")
        #expect(!libraries.contains { $0.hasPrefix("libFoundation.so") }, "\(libraries)")
        #expect(!libraries.contains { $0.contains("FoundationICU") || $0.contains("FoundationInternationalization") }, "\(libraries)")
        // Nor statically: no symbol of the Foundation module (`$s10Foundation…`), FoundationEssentials' only.
        let symbols = try Processes.run("/bin/sh", ["-c", "nm '\(Self.binary)' | grep -c 's10Foundation'; nm '\(Self.binary)' | grep -c 's20FoundationEssentials'"])
        let counts = symbols.stdout.split(separator: "\n").map { Int($0) ?? -1 }
        #expect(counts == [0, counts.last ?? 0] && (counts.last ?? 0) > 0, "Foundation / FoundationEssentials symbols: \(counts)")
    }

    @Test("tollgate-agent takes the flags of tollgate agent, with the same validation errors")
    func sameFlags() throws {
        let own = try Processes.run(Self.binary, ["--help"])
        let sub = try tollgate(["agent", "--help"])
        #expect(own.status == 0 && sub.status == 0, "\(own.stderr)\(sub.stderr)")
        func options(_ help: String) -> String {
            guard let r = help.range(of: "OPTIONS:") else { return "no OPTIONS in: " + help }
            return String(help[r.lowerBound...])
        }
        #expect(options(own.stdout) == options(sub.stdout), "\(own.stdout)\n---\n\(sub.stdout)")
        #expect(own.stdout.contains("USAGE: tollgate-agent --controller <controller> --gateway <gateway> --config-root <config-root>"),
                "\(own.stdout)")
        let versions = (try Processes.run(Self.binary, ["--version"]), try tollgate(["--version"]))
        #expect(versions.0.stdout == versions.1.stdout && !versions.0.stdout.isEmpty, "\(versions.0.stdout) vs \(versions.1.stdout)")
        let bad = ["--controller", "unix:///nowhere", "--gateway", "no-slash", "--config-root", "/nonexistent"]
        let a = try Processes.run(Self.binary, bad), b = try tollgate(["agent"] + bad)
        #expect(a.status == b.status && a.status != 0, "\(a.status) \(b.status)")
        #expect(a.stderr.contains("Error: --gateway must be NAMESPACE/NAME") && b.stderr.contains("Error: --gateway must be NAMESPACE/NAME"),
                "\(a.stderr)\n---\n\(b.stderr)")
    }

    @Test("tollgate-agent applies, serves and reports a version; an edit is served too; SIGTERM stops its NGINX")
    func endToEnd() throws {
        let (gatewayPort, backendPort) = (16700, 16701)
        let dir = try Processes.temporaryDirectory("agent-exe")
        let state = dir.appendingPathComponent("state"), manifests = dir.appendingPathComponent("manifests")
        let root = dir.appendingPathComponent("root").path
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        try Self.manifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/").write(
            to: manifests.appendingPathComponent("gateway.yaml"), atomically: true, encoding: .utf8)
        let backend = try RunningNginx.textBackend(port: backendPort, directory: dir.appendingPathComponent("backend"))
        let controller = try TollgateProcess(["controller", "--manifests", manifests.path, "--state-dir", state.path],
                                             log: dir.appendingPathComponent("controller.log"))
        let agent = try Child(Self.binary, ["--controller", "unix://" + state.appendingPathComponent("controller.sock").path,
                                            "--gateway", "default/gw", "--config-root", root, "--nginx", "spawn"],
                              log: dir.appendingPathComponent("agent.log"))
        defer {
            agent.stop(); controller.stop(); backend.stop()
            for pid in pids(commandContaining: dir.path) where Self.cmdline(pid).contains("master process") { kill(pid, SIGTERM) }
            try? FileManager.default.removeItem(at: dir)
        }
        func logs() -> String { "controller:\n\(controller.output.suffix(3000))\nagent:\n\(agent.output.suffix(3000))" }
        func wait(_ what: String, _ condition: () throws -> Bool) throws {
            do { try eventually(what, timeout: 60, interval: 0.2, condition) } catch { throw TestFailure("\(error)\n\(logs())") }
        }

        try wait("the Gateway serves the backend through the agent's NGINX") {
            try Curl.get("http://127.0.0.1:\(gatewayPort)/").body == "backend\n"
        }
        try wait("the agent reported version 1 applied") { Self.snapshotLines(state).first?.contains(": applied") == true }
        let masters = pids(commandContaining: root).filter { Self.cmdline($0).contains("master process") }
        #expect(masters.count == 1, "one NGINX master under the agent's root: \(masters)\n\(logs())")

        try Self.manifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/v2").write(
            to: manifests.appendingPathComponent("gateway.yaml"), atomically: true, encoding: .utf8)
        try wait("the edit is served: /v2 reaches the backend, / no longer does") {
            try Curl.get("http://127.0.0.1:\(gatewayPort)/v2").body == "backend\n"
                && Curl.get("http://127.0.0.1:\(gatewayPort)/").status == "404"
        }
        try wait("the agent reported version 2 applied") {
            Self.snapshotLines(state).count == 2 && Self.snapshotLines(state).allSatisfy { $0.contains(": applied") }
        }

        agent.stop()
        #expect(agent.exitStatus == 0, "clean exit on SIGTERM\n\(logs())")
        try wait("the agent stopped its NGINX") { masters.allSatisfy { kill($0, 0) != 0 } }
    }

    @Test("standalone starts tollgate-agent for each Gateway when it sits next to tollgate")
    func standaloneRunsAgentExecutable() throws {
        let (gatewayPort, backendPort) = (16702, 16703)
        let dir = try Processes.temporaryDirectory("agent-exe-standalone")
        let state = dir.appendingPathComponent("state"), manifests = dir.appendingPathComponent("manifests")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        try Self.manifests(gatewayPort: gatewayPort, backendPort: backendPort, path: "/").write(
            to: manifests.appendingPathComponent("gateway.yaml"), atomically: true, encoding: .utf8)
        let backend = try RunningNginx.textBackend(port: backendPort, directory: dir.appendingPathComponent("backend"))
        let standalone = try TollgateProcess(["standalone", "--manifests", manifests.path, "--state-dir", state.path],
                                             log: dir.appendingPathComponent("standalone.log"))
        defer {
            standalone.stop(); backend.stop()
            for pid in pids(commandContaining: dir.path) where Self.cmdline(pid).contains("master process") { kill(pid, SIGTERM) }
            try? FileManager.default.removeItem(at: dir)
        }
        do {
            try eventually("standalone serves the backend", timeout: 60) { try Curl.get("http://127.0.0.1:\(gatewayPort)/").body == "backend\n" }
        } catch { throw TestFailure("\(error)\n\(standalone.output.suffix(4000))") }
        let agents = pids(commandContaining: "--gateway default/gw").filter { Self.cmdline($0).contains(state.path) }
        try #require(agents.count == 1, "one agent process for the Gateway: \(agents.map(Self.cmdline))")
        let argv0 = Self.cmdline(agents.first!).split(separator: " ").first.map(String.init) ?? ""
        #expect(URL(fileURLWithPath: argv0).lastPathComponent == "tollgate-agent", "the agent runs as tollgate-agent: \(Self.cmdline(agents.first!))")
        #expect(!Self.cmdline(agents.first!).contains(" agent --controller"), "not as `tollgate agent`")
    }

    @Test("the supervisor picks tollgate-agent beside tollgate only when it is there and executable")
    func supervisorChoice() async throws {
        let dir = try Processes.temporaryDirectory("agent-exe-choice")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = StateDirectory(path: dir.appendingPathComponent("state").path)
        let tollgatePath = dir.appendingPathComponent("tollgate").path
        let agentPath = dir.appendingPathComponent("tollgate-agent").path

        let without = AgentSupervisor(tollgate: tollgatePath, state: state)
        #expect(await without.executable == tollgatePath)
        #expect(await without.leadingArguments == ["agent"])

        FileManager.default.createFile(atPath: agentPath, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o644])
        let notExecutable = AgentSupervisor(tollgate: tollgatePath, state: state)
        #expect(await notExecutable.executable == tollgatePath)
        #expect(await notExecutable.leadingArguments == ["agent"])

        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agentPath)
        let with = AgentSupervisor(tollgate: tollgatePath, state: state)
        #expect(await with.executable == agentPath)
        #expect(await with.leadingArguments.isEmpty)
    }

    // MARK: - Support

    static func manifests(gatewayPort: Int, backendPort: Int, path: String) -> String {
        TestManifests.oneRoute(gatewayPort: gatewayPort, backendPort: backendPort, path: path)
    }

    /// `tollgate snapshots list` rows for default/gw (oldest first).
    static func snapshotLines(_ state: URL) -> [String] {
        guard let r = try? tollgate(["snapshots", "list", "--gateway", "default/gw", "--state-dir", state.path]), r.status == 0 else { return [] }
        return r.stdout.split(separator: "\n").dropFirst().map(String.init)
    }

    static func cmdline(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    /// A program other than `tollgate` as a child of the test, output in a log file.
    final class Child: @unchecked Sendable {
        let process = Process()
        let log: URL

        init(_ executable: String, _ arguments: [String], log: URL) throws {
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

        /// SIGTERM, then SIGKILL after 20 s.
        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
    }
}
