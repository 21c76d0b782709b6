#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TollgateAgent
import TollgateNginx
import TollgateSnapshot

/// A spawn-mode agent killed with SIGKILL leaves its NGINX running, serving a whole version. The
/// agent started after it adopts that master instead of restarting it: no request fails, the
/// master keeps its pid, and the adopted master is reloaded, restarted and stopped like a child.
/// Real controller, agents and NGINX as processes; ports 17600–17699 only.
@Suite(.serialized) struct AgentAdoptionTests {
    @Test("kill -9 of a spawn-mode agent: the restarted agent adopts NGINX — no failed request, same master, reloads it for a new version")
    func killedAgentIsReplacedWithoutDroppingTraffic() throws {
        let s = try GatewayScenario("adopt", gatewayPort: 17610, backendPort: 17611)
        defer { s.cleanUp() }
        try s.addHTTPSListener(port: 17612)
        try s.writeManifests()
        try s.startBackend()
        let root = s.state.appendingPathComponent("gateways/default__gw").path
        _ = try s.startController()
        let first = try s.startAgent(root: root, log: "agent-1")
        let httpsURL = "https://https.example.test:17612/", resolve = "https.example.test:17612:127.0.0.1"
        try s.wait("the Gateway serves the backend over HTTP and HTTPS and is Programmed") {
            try Curl.get("http://127.0.0.1:\(s.gatewayPort)/").body == "backend\n"
                && Curl.get(httpsURL, resolve: resolve).body == "backend\n" && s.programmed() == "True"
        }
        let master = try #require(GatewayScenario.nginxMaster(root: root), "one NGINX master for \(root)\n\(s.logs)")

        let loops = [RequestLoop.http(port: s.gatewayPort, body: "backend\n"), RequestLoop.curl(httpsURL, resolve: resolve, body: "backend\n")]
        for loop in loops { loop.start() }
        var stopped = false
        defer { if !stopped { for loop in loops { _ = loop.stop() } } }
        func waitForRequests(_ more: Int) throws { for loop in loops { try loop.waitFor(more: more) } }
        try waitForRequests(20)
        first.kill9()
        // Requests go on while no agent runs ...
        try waitForRequests(20)
        let second = try s.startAgent(root: root, log: "agent-2")
        // ... and while the new agent starts on the live version and says hello.
        try s.wait("the new agent is up on the live version") { second.output.contains(": live version ") }
        try s.wait("the new agent's version is reported as served") { try s.programmed() == "True" }
        try waitForRequests(40)
        let (http, https) = (loops[0].stop(), loops[1].stop())
        stopped = true
        #expect(second.output.contains("nginx: adopted(pid: \(master))"), "\(second.output)")

        #expect(http.failed == 0 && https.failed == 0, "no request may fail while the agent is replaced: HTTP \(http); HTTPS \(https)\n\(s.logs)")
        #expect(http.served >= 80 && https.served >= 80, "the clients ran throughout: HTTP \(http); HTTPS \(https)")
        #expect(GatewayScenario.nginxMaster(root: root) == master, "the adopted master keeps its pid\n\(s.logs)")
        #expect(!second.output.contains("nginx: started"), "no new master was started:\n\(second.output)")
        #expect(!second.output.contains("received version"), "the controller had nothing new to send:\n\(second.output)")

        // A new version is a reload of the adopted master.
        try s.writeManifests(path: "/v2")
        try s.wait("the new version is served") {
            try Curl.get("http://127.0.0.1:\(s.gatewayPort)/v2/x").body == "backend\n" && Curl.get("http://127.0.0.1:\(s.gatewayPort)/").status == "404"
        }
        #expect(second.output.contains("nginx: reloaded(pid: \(master))"), "\(second.output)")
        #expect(GatewayScenario.nginxMaster(root: root) == master, "a reload keeps the adopted master")
    }

    @Test("an adopted master that dies is started again; stopping the agent stops the adopted master")
    func adoptedMasterIsSupervised() throws {
        let s = try GatewayScenario("adopt-sup", gatewayPort: 17620, backendPort: 17621)
        defer { s.cleanUp() }
        try s.writeManifests()
        try s.startBackend()
        let root = s.state.appendingPathComponent("gateways/default__gw").path
        _ = try s.startController()
        let first = try s.startAgent(root: root, log: "agent-1")
        try s.wait("the Gateway serves the backend") { try Curl.get("http://127.0.0.1:\(s.gatewayPort)/").body == "backend\n" }
        let master = try #require(GatewayScenario.nginxMaster(root: root), "\(s.logs)")
        first.kill9()
        let second = try s.startAgent(root: root, log: "agent-2")
        try s.wait("the new agent adopted the running master") { second.output.contains("nginx: adopted(pid: \(master))") }

        // The adopted master dies hard: the agent notices without waitpid and starts a new one.
        kill(master, SIGKILL)
        try s.wait("a new master serves the live version") {
            guard let now = GatewayScenario.nginxMaster(root: root), now != master else { return false }
            return try Curl.get("http://127.0.0.1:\(s.gatewayPort)/").body == "backend\n"
        }
        #expect(second.output.contains("nginx: lost(pid: \(master))"), "\(second.output)")
        #expect(second.process.isRunning)

        // Adopt once more, then a clean stop of the agent stops the adopted master too.
        let replacement = try #require(GatewayScenario.nginxMaster(root: root))
        second.kill9()
        let third = try s.startAgent(root: root, log: "agent-3")
        try s.wait("the third agent adopted the master") { third.output.contains("nginx: adopted(pid: \(replacement))") }
        third.stop()
        #expect(third.process.terminationReason == .exit, "\(third.output)")
        #expect(GatewayScenario.nginxMaster(root: root) == nil, "the agent stopped the adopted master:\n\(third.output)")
        #expect(try Curl.get("http://127.0.0.1:\(s.gatewayPort)/").transportFailure)
    }

    // MARK: - The applier against a master left on its root (in-process agent, real NGINX)

    static let port = 17630

    @Test("a master left on the root serving the live version is adopted, reloaded for a new version, and replaced when it dies")
    func leftoverMasterIsAdopted() async throws {
        try await AgentHarness.with { h in
            try await Self.applyOK(h, 1, Self.files("v1"))
            await h.nginx.stop()
            // What a killed agent leaves: its NGINX, started with the agent's own arguments.
            let leftover = try RunningNginx.start(configFile: URL(fileURLWithPath: h.root.currentConfigFile),
                                                  prefix: URL(fileURLWithPath: h.root.runtimeDirectory))
            defer { leftover.stop() }
            let pid = leftover.process.processIdentifier
            let again = h.restarted()
            let live = try await again.applier.recover()
            #expect(live?.version == 1)
            #expect(await again.nginx.masterPid == pid, "the leftover master is adopted, not replaced")
            #expect(try Self.served() == "v1")

            try await Self.applyOK(again, 2, Self.files("v2"))
            #expect(try Self.served() == "v2")
            #expect(await again.nginx.masterPid == pid, "a new version reloads the adopted master")

            kill(pid, SIGKILL)
            var replaced: Int32?
            for _ in 0..<200 {
                if let p = await again.nginx.masterPid, p != pid, (try? Self.served()) == "v2" { replaced = p; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(replaced != nil, "a new master serves the live version after the adopted one died")
            #expect(await again.nginx.restartCount == 1)
            await again.nginx.stop()
            let events = await Self.events(again.nginx)
            #expect(events.first == .adopted(pid: pid), "\(events)")
            #expect(events.contains(.reloaded(pid: pid)) && events.contains(.lost(pid: pid)), "\(events)")
        }
    }

    @Test("a pid file naming another program or another root's NGINX: nothing is adopted or stopped, a new master starts")
    func foreignProcessIsNeitherAdoptedNorStopped() async throws {
        try await AgentHarness.with { h in
            try await Self.applyOK(h, 1, Self.files("v1"))
            await h.nginx.stop()

            let sleeper = try Process.run(URL(fileURLWithPath: "/bin/sleep"), arguments: ["60"])
            // Not waited for: processes spawned after it (the NGINX masters) inherit Foundation's
            // exit-monitoring descriptor of it and keep its exit from being reported until they end.
            defer { kill(sleeper.processIdentifier, SIGKILL) }
            try "\(sleeper.processIdentifier)\n".write(toFile: h.root.pidFile, atomically: true, encoding: .utf8)
            let second = h.restarted()
            _ = try await second.applier.recover()
            let started = try #require(await second.nginx.masterPid)
            #expect(started != sleeper.processIdentifier && sleeper.isRunning)
            #expect(try Self.served() == "v1")
            await second.nginx.stop()
            var events = await Self.events(second.nginx)
            #expect(events.contains { if case .notAdopted(sleeper.processIdentifier, let reason) = $0 { reason.contains("not an NGINX master") } else { false } }, "\(events)")

            // Another root's master: an NGINX that is not ours must survive our start.
            let otherDir = h.directory.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: otherDir, withIntermediateDirectories: true)
            let conf = otherDir.appendingPathComponent("nginx.conf")
            try "pid nginx.pid;\nevents {}\nhttp { access_log off; server { listen 127.0.0.1:\(Self.port + 1); return 200 \"other\\n\"; } }\n"
                .write(to: conf, atomically: true, encoding: .utf8)
            let other = try RunningNginx.start(configFile: conf, prefix: otherDir)
            defer { other.stop() }
            try "\(other.process.processIdentifier)\n".write(toFile: h.root.pidFile, atomically: true, encoding: .utf8)
            let third = h.restarted()
            _ = try await third.applier.recover()
            #expect(await third.nginx.masterPid != other.process.processIdentifier)
            #expect(try Self.served() == "v1")
            let otherServes = try Curl.get("http://127.0.0.1:\(Self.port + 1)/").body == "other\n"
            #expect(other.process.isRunning && otherServes, "another root's NGINX is left alone")
            await third.nginx.stop()
            events = await Self.events(third.nginx)
            #expect(events.contains { if case .notAdopted(other.process.processIdentifier, let reason) = $0 { reason.contains("another config root") } else { false } }, "\(events)")
        }
    }

    @Test("a leftover master serving the previous version (killed between swap and reload) is adopted and reloaded: same master, live version served")
    func leftoverServingPreviousVersionIsReloaded() async throws {
        try await AgentHarness.with { h in
            let v1 = Self.files("v1"), v2 = Self.files("v2")
            try await Self.applyOK(h, 1, v1)
            try await Self.applyOK(h, 2, v2)
            await h.nginx.stop()
            // NGINX runs version 1; `current` names version 2, which was never loaded.
            try Self.point(h.root, at: ConfigRoot.versionDirectoryName(version: 1, digest: v1.digest))
            let leftover = try RunningNginx.start(configFile: URL(fileURLWithPath: h.root.currentConfigFile),
                                                  prefix: URL(fileURLWithPath: h.root.runtimeDirectory))
            defer { leftover.stop() }
            #expect(try Self.served() == "v1")
            try Self.point(h.root, at: ConfigRoot.versionDirectoryName(version: 2, digest: v2.digest))

            let again = h.restarted()
            _ = try await again.applier.recover()
            let pid = try #require(await again.nginx.masterPid)
            #expect(pid == leftover.process.processIdentifier, "the leftover master is adopted, not replaced")
            #expect(try Self.served() == "v2")
            #expect(await again.probe.query() == VersionProbe.Answer(version: 2, digest: v2.digest))
            await again.nginx.stop()
            let events = await Self.events(again.nginx)
            #expect(events.contains { if case .adopted(leftover.process.processIdentifier) = $0 { true } else { false } }, "\(events)")
        }
    }

    @Test("killed after swapping in a version NGINX refuses (validation is the reload): the restarted agent swaps back to the previous version, with or without a leftover master", arguments: [true, false])
    func refusedLiveVersionFallsBack(leftoverRunning: Bool) async throws {
        do {
            try await AgentHarness.with { h in
                let v1 = Self.files("v1"), v2 = Self.files("v2")
                try await Self.applyOK(h, 1, v1)
                try await Self.applyOK(h, 2, v2)
                await h.nginx.stop()
                // Version 3 was renamed into place and swapped in, then the agent died before
                // its reload's verdict: a complete tree (with its record) that NGINX refuses.
                let v2Name = ConfigRoot.versionDirectoryName(version: 2, digest: v2.digest)
                let v3Name = "3-0123456789ab"
                let v3Dir = h.root.versionsDirectory + "/" + v3Name
                try FileManager.default.copyItem(atPath: h.root.versionsDirectory + "/" + v2Name, toPath: v3Dir)
                let conf = v3Dir + "/nginx.conf"
                try (String(contentsOfFile: conf, encoding: .utf8).replacingOccurrences(of: "access_log off;", with: "tollgate_no_such_directive on;"))
                    .write(toFile: conf, atomically: true, encoding: .utf8)
                try Data(#"{"digest":"0123456789abcdef","version":3}"#.utf8).write(to: URL(fileURLWithPath: v3Dir + "/.tollgate-version"))
                var leftover: RunningNginx?
                if leftoverRunning {
                    leftover = try RunningNginx.start(configFile: URL(fileURLWithPath: h.root.currentConfigFile),
                                                      prefix: URL(fileURLWithPath: h.root.runtimeDirectory))
                }
                defer { leftover?.stop() }
                try Self.point(h.root, at: v3Name)

                let again = h.restarted()
                let live = try await again.applier.recover()
                #expect(live?.version == 2, "leftover master: \(leftoverRunning)")
                #expect(h.currentTarget() == "versions/" + v2Name)
                #expect(!FileManager.default.fileExists(atPath: v3Dir), "the refused tree is removed")
                #expect(try Self.served() == "v2")
                #expect(await again.probe.query() == VersionProbe.Answer(version: 2, digest: v2.digest))
                let notes = await again.applier.takeRecoveryNotes()
                #expect(notes.count == 1 && notes[0].contains("unknown directive \"tollgate_no_such_directive\" in nginx.conf")
                        && notes[0].contains("swapped back to version 2"), "\(notes)")
                if let leftover {
                    #expect(await again.nginx.masterPid == leftover.process.processIdentifier, "the leftover master keeps serving")
                }
                await again.nginx.stop()
            }
        }
    }

    // MARK: Helpers

    @discardableResult
    static func applyOK(_ h: AgentHarness, _ version: UInt64, _ files: FileSet) async throws -> ApplyOutcome {
        let o = await h.applier.apply(version: version, digest: files.digest, files: files)
        guard o.result == .applied else { throw TestFailure("version \(version) not applied: \(o.result)") }
        return o
    }

    /// A minimal tree serving `body` on 127.0.0.1:`port` with the agent's include.
    static func files(_ body: String) -> FileSet {
        var set = FileSet()
        set.files["nginx.conf"] = RenderedFile("""
            worker_processes 1;
            pid nginx.pid;
            error_log error.log notice;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path client_body_temp;
                proxy_temp_path proxy_temp;
                fastcgi_temp_path fastcgi_temp;
                uwsgi_temp_path uwsgi_temp;
                scgi_temp_path scgi_temp;
                server {
                    listen 127.0.0.1:\(port);
                    location / { default_type text/plain; return 200 "\(body)\\n"; }
                }
                include agent/*.conf;
            }

            """)
        return set
    }

    /// The body served on `port` (trimmed), or the curl failure.
    static func served() throws -> String {
        let r = try Curl.get("http://127.0.0.1:\(port)/")
        return r.status == "200" ? r.body.trimmingCharacters(in: .whitespacesAndNewlines) : "curl: \(r)"
    }

    /// Points `current` at `versions/NAME` (atomically, as the applier does).
    static func point(_ root: ConfigRoot, at name: String) throws {
        let temp = root.path + "/.current.test"
        try FileManager.default.createSymbolicLink(atPath: temp, withDestinationPath: "versions/" + name)
        guard rename(temp, root.currentLink) == 0 else { throw TestFailure("rename failed: errno \(errno)") }
    }

    /// Every event up to and including `.stopped` (call after `stop()`).
    static func events(_ nginx: NginxProcess) async -> [NginxEvent] {
        var out: [NginxEvent] = []
        for await e in nginx.events {
            out.append(e)
            if e == .stopped { break }
        }
        return out
    }
}
