#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import TollgateAgent
import TollgateNginx
import TollgateSnapshot

/// The agent's applier against the real NGINX on loopback: atomic swap, reload proven by the
/// version probe, rollback, dry run, verification and crash recovery.
@Suite(.serialized) struct AgentApplierTests {
    /// Applies `files` as `version` and expects success.
    @discardableResult
    func applyOK(_ h: AgentHarness, _ version: UInt64, _ files: FileSet) async throws -> ApplyOutcome {
        let o = await h.applier.apply(version: version, digest: files.digest, files: files)
        guard o.result == .applied else { throw TestFailure("version \(version) not applied: \(o.result)") }
        return o
    }

    @Test("v1 then v2: served, probe answers, keys 0600, reload keeps the master")
    func applyAndReload() async throws {
        try await AgentHarness.with { h in
            #expect(await !h.nginx.isRunning, "NGINX does not run before the first version")
            let v1 = AgentHarness.files(body: "v1")
            try await applyOK(h, 1, v1)
            #expect(try h.served() == "v1")
            #expect(await h.probe.query() == VersionProbe.Answer(version: 1, digest: v1.digest))
            let live = try #require(try h.root.liveState())
            #expect(live.version == 1 && live.digest == v1.digest && live.isIntact)
            #expect(live.fileHashes == v1.fileHashes, "agent/ and .tollgate-version are not reported")
            let keyMode = try FileManager.default.attributesOfItem(atPath: h.root.currentLink + "/certs/site.key")[.posixPermissions] as? Int
            #expect(keyMode == 0o600)
            let pid = try #require(await h.nginx.masterPid)

            let v2 = AgentHarness.files(body: "v2", key: "secret-2")
            try await applyOK(h, 2, v2)
            #expect(try h.served() == "v2")
            #expect(await h.probe.query() == VersionProbe.Answer(version: 2, digest: v2.digest))
            #expect(await h.nginx.masterPid == pid, "a reload, not a restart")
            #expect(h.currentTarget() == "versions/" + ConfigRoot.versionDirectoryName(version: 2, digest: v2.digest))
            #expect(try h.root.liveState()?.version == 2)

            // Applying the live version again is a no-op (no reload, nothing new on disk).
            let before = h.versionDirectories()
            try await applyOK(h, 2, v2)
            #expect(h.versionDirectories() == before)
            #expect(await h.nginx.restartCount == 0)
        }
    }

    @Test("a reload counts as applied once every worker that accepted before it has exited or is shutting down (/proc), then every new connection gets the new version")
    func appliedOnceOldWorkersRetired() async throws {
        try await AgentHarness.with { h in
            let o1 = try await applyOK(h, 1, AgentHarness.files(body: "v1"))
            #expect(o1.steps.contains("reload until served (first workers)"), "\(o1.steps)")
            let master = try #require(await h.nginx.masterPid)
            let before = try #require(RetiringWorkers.accepting(ofMaster: master))
            #expect(before.workers.count == 1, "worker_processes 1: \(before)")
            #expect(!before.allRetired)
            let o2 = try await applyOK(h, 2, AgentHarness.files(body: "v2"))
            #expect(o2.steps.contains("reload until served (1 old workers retired)"), "\(o2.steps)")
            #expect(before.allRetired, "the worker of version 1 exited or is shutting down")
            let after = try #require(RetiringWorkers.accepting(ofMaster: master))
            #expect(after.workers.count == 1 && Set(after.workers.map(\.pid)).isDisjoint(with: before.workers.map(\.pid)))
            for _ in 0..<20 { #expect(try h.served() == "v2") }
            #expect(RetiringWorkers.accepting(ofMaster: 999_999_999) == nil, "no such master: /proc cannot tell")
        }
    }

    @Test("a version NGINX rejects is reported with NGINX's line; the previous one stays live")
    func nginxRejects() async throws {
        try await AgentHarness.with { h in
            try await applyOK(h, 1, AgentHarness.files(body: "v1"))
            let v2 = AgentHarness.files(body: "v2")
            try await applyOK(h, 2, v2)
            let dirs = h.versionDirectories()
            let pid = await h.nginx.masterPid
            let logBefore = try Data(contentsOf: URL(fileURLWithPath: h.root.errorLog)).count
            let v3 = AgentHarness.files(body: "v3", extraDirective: "tollgate_no_such_directive on;")
            let o = await h.applier.apply(version: 3, digest: v3.digest, files: v3)
            guard case .rejected(let message) = o.result else { Issue.record("\(o.result)"); return }
            #expect(message.contains("[emerg] unknown directive \"tollgate_no_such_directive\" in http.conf:8"), "\(message)")
            // The running master refused it on reload and kept serving version 2: one SIGHUP, no
            // second reload to roll back, same master.
            let logged = try String(contentsOf: URL(fileURLWithPath: h.root.errorLog), encoding: .utf8).utf8.dropFirst(logBefore)
            #expect(String(decoding: logged, as: UTF8.self).components(separatedBy: "SIGHUP").count - 1 == 1, "\(String(decoding: logged, as: UTF8.self))")
            #expect(await h.nginx.masterPid == pid)
            #expect(try h.served() == "v2")
            #expect(await h.probe.query()?.version == 2)
            #expect(try h.root.liveState()?.version == 2)
            #expect(h.versionDirectories() == dirs, "the rejected tree is not kept")
        }
    }

    @Test("a reload that cannot bind is rolled back and reported with the bind() line")
    func bindFailureRollsBack() async throws {
        try await AgentHarness.with { h in
            try await applyOK(h, 1, AgentHarness.files(body: "v1"))
            let v2 = AgentHarness.files(body: "v2")
            try await applyOK(h, 2, v2)
            let pid = await h.nginx.masterPid
            let blocker = try PortBlocker(port: 17081)
            defer { blocker.release() }
            let v4 = AgentHarness.files(body: "v4", extraServer: "server { listen 127.0.0.1:17081; return 200 \"x\\n\"; }\n")
            let o = await h.applier.apply(version: 4, digest: v4.digest, files: v4)
            guard case .rejected(let message) = o.result else { Issue.record("\(o.result)"); return }
            #expect(message.hasPrefix("[emerg] bind() to 127.0.0.1:17081 failed (98: Address already in use)"), "\(message)")
            #expect(try h.served() == "v2")
            #expect(await h.probe.query() == VersionProbe.Answer(version: 2, digest: v2.digest))
            #expect(h.currentTarget() == "versions/" + ConfigRoot.versionDirectoryName(version: 2, digest: v2.digest))
            #expect(!h.versionDirectories().contains(ConfigRoot.versionDirectoryName(version: 4, digest: v4.digest)))
            #expect(await h.nginx.masterPid == pid)

            // Once the port is free, the next version applies normally.
            blocker.release()
            let v5 = AgentHarness.files(body: "v5", extraServer: "server { listen 127.0.0.1:17081; return 200 \"x\\n\"; }\n")
            try await applyOK(h, 5, v5)
            #expect(try h.served() == "v5")
            #expect(await h.probe.query()?.version == 5)
        }
    }

    @Test("dry run: a redacted diff, nothing on disk changes, NGINX untouched")
    func dryRun() async throws {
        try await AgentHarness.with { h in
            let v1 = AgentHarness.files(body: "v1")
            try await applyOK(h, 1, v1)
            let pid = await h.nginx.masterPid
            let dirs = h.versionDirectories()
            let live = try h.root.liveState()
            let errorLogBefore = try Data(contentsOf: URL(fileURLWithPath: h.root.errorLog))

            var v2 = AgentHarness.files(body: "v2", key: "secret-2")
            v2.files["servers/extra.conf"] = RenderedFile("# added\n")
            let o = await h.applier.apply(version: 2, digest: v2.digest, files: v2, dryRun: true)
            guard case .dryRunOK(let diff) = o.result else { Issue.record("\(o.result)"); return }
            #expect(diff.contains("Private key certs/site.key changed (contents redacted)"), "\(diff)")
            #expect(!diff.contains("secret"), "key material never appears: \(diff)")
            #expect(diff.contains("""
                --- a/servers/main.conf
                +++ b/servers/main.conf
                @@ -2,6 +2,6 @@
                     listen 127.0.0.1:17080;
                     location / {
                         default_type text/plain;
                -        return 200 "v1\\n";
                +        return 200 "v2\\n";
                     }
                 }
                """), "\(diff)")
            #expect(diff.contains("--- /dev/null\n+++ b/servers/extra.conf\n@@ -0,0 +1 @@\n+# added\n"), "\(diff)")

            let bad = AgentHarness.files(body: "v3", extraDirective: "tollgate_no_such_directive on;")
            let r = await h.applier.apply(version: 3, digest: bad.digest, files: bad, dryRun: true)
            guard case .dryRunRejected(let message, let badDiff) = r.result else { Issue.record("\(r.result)"); return }
            #expect(message.contains("unknown directive"))
            #expect(badDiff.contains("+tollgate_no_such_directive on;"), "\(badDiff)")

            #expect(h.versionDirectories() == dirs)
            #expect(try h.root.liveState() == live)
            #expect(await h.nginx.masterPid == pid)
            #expect(await h.probe.query() == VersionProbe.Answer(version: 1, digest: v1.digest))
            #expect(try h.served() == "v1")
            let errorLogAfter = try String(contentsOf: URL(fileURLWithPath: h.root.errorLog), encoding: .utf8)
            #expect(!errorLogAfter.dropFirst(errorLogBefore.count).contains("SIGHUP"), "no signal reached NGINX")
        }
    }

    @Test("unsafe paths, wrong sha256 or digest are rejected before anything is written")
    func verification() async throws {
        try await AgentHarness.with { h in
            let good = AgentHarness.files(body: "v1")
            for path in ["../escape.conf", "/etc/escape.conf", "servers/../../escape.conf", "agent/version.conf", ".tollgate-version", "a//b", "./nginx2.conf"] {
                var set = good
                set.files[path] = RenderedFile("x\n")
                let o = await h.applier.apply(version: 1, digest: set.digest, files: set)
                guard case .rejected(let message) = o.result else { Issue.record("\(path): \(o.result)"); continue }
                #expect(!message.isEmpty)
            }
            var hashes = good.fileHashes
            hashes["http.conf"] = String(repeating: "0", count: 64)
            let wrongHash = await h.applier.apply(version: 1, digest: good.digest, files: good, fileHashes: hashes)
            #expect(wrongHash.result == .rejected(message: "sha256 mismatch for http.conf: expected \(hashes["http.conf"]!), contents hash to \(good.files["http.conf"]!.sha256)"))
            let wrongDigest = await h.applier.apply(version: 1, digest: String(repeating: "a", count: 64), files: good)
            guard case .rejected(let m) = wrongDigest.result else { Issue.record("\(wrongDigest.result)"); return }
            #expect(m.hasPrefix("digest mismatch"))
            #expect(h.versionDirectories().isEmpty)
            #expect(h.currentTarget() == nil)
            #expect(await !h.nginx.isRunning)
            #expect(!FileManager.default.fileExists(atPath: h.directory.appendingPathComponent("escape.conf").path))
        }
    }

    @Test("after a crash the live state is read from disk and leftovers are removed")
    func crashRecovery() async throws {
        try await AgentHarness.with { h in
            let v1 = AgentHarness.files(body: "v1")
            try await applyOK(h, 1, v1)
            // The agent and its NGINX die; a staging tree, a record-less tree and a temporary
            // symlink are left behind.
            await h.nginx.stop()
            let fm = FileManager.default
            let staging = h.root.versionsDirectory + "/.staging-deadbeef"
            try fm.createDirectory(atPath: staging + "/servers", withIntermediateDirectories: true)
            _ = fm.createFile(atPath: staging + "/servers/main.conf", contents: Data("server {".utf8))
            try fm.createDirectory(atPath: h.root.versionsDirectory + "/2-0123456789ab", withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: h.root.path + "/.current.tmp-dead", withDestinationPath: "versions/2-0123456789ab")

            let again = h.restarted()
            let before = try #require(try again.root.liveState())
            #expect(before.version == 1 && before.digest == v1.digest && before.fileHashes == v1.fileHashes)
            let live = try await again.applier.recover()
            #expect(live?.version == 1 && live?.digest == v1.digest)
            #expect(again.versionDirectories() == [ConfigRoot.versionDirectoryName(version: 1, digest: v1.digest)])
            #expect(!fm.fileExists(atPath: h.root.path + "/.current.tmp-dead"))
            // In spawn mode the restarted agent serves the live version again.
            #expect(try again.served() == "v1")
            #expect(await again.probe.query() == VersionProbe.Answer(version: 1, digest: v1.digest))
            await again.nginx.stop()
        }
    }

    @Test("the supervisor restarts a master that dies")
    func supervisorRestarts() async throws {
        try await AgentHarness.with { h in
            try await applyOK(h, 1, AgentHarness.files(body: "v1"))
            let pid = try #require(await h.nginx.masterPid)
            kill(pid, SIGKILL)
            var newPid: Int32?
            for _ in 0..<200 {
                if let p = await h.nginx.masterPid, p != pid, try h.served() == "v1" { newPid = p; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(newPid != nil)
            #expect(await h.nginx.restartCount == 1)
            if newPid == nil {
                await h.nginx.stop(timeout: .seconds(2))
                var events: [NginxEvent] = []
                for await e in h.nginx.events { events.append(e); if e == .stopped { break } }
                Issue.record("events: \(events) \(try String(contentsOfFile: h.root.runtimeDirectory + "/nginx.stderr.log", encoding: .utf8))")
            }
            #expect(await h.probe.query()?.version == 1)
        }
    }

    @Test("submit coalesces: only the newest waiting request is applied")
    func coalescing() async throws {
        try await AgentHarness.with { h in
            try await applyOK(h, 1, AgentHarness.files(body: "v1"))
            let sets = (2...4).map { AgentHarness.files(body: "v\($0)") }
            async let a = h.applier.submit(ApplyRequest(version: 2, digest: sets[0].digest, files: sets[0]))
            try await Task.sleep(for: .milliseconds(20))
            async let b = h.applier.submit(ApplyRequest(version: 3, digest: sets[1].digest, files: sets[1]))
            try await Task.sleep(for: .milliseconds(20))
            async let c = h.applier.submit(ApplyRequest(version: 4, digest: sets[2].digest, files: sets[2]))
            let results = await [a, b, c].map(\.result)
            #expect(results[2] == .applied)
            #expect(results[1] == .superseded(byVersion: 4) || results[1] == .applied, "\(results)")
            #expect(try h.served() == "v4")
            #expect(try h.root.liveState()?.version == 4)
        }
    }

    @Test("nginx -v and the diff are deterministic helpers")
    func helpers() async throws {
        let v = try await NginxBinary().version()
        #expect(v.hasPrefix("nginx/"))
        let a = AgentHarness.files(body: "a"), b = AgentHarness.files(body: "b")
        #expect(UnifiedDiff.files(from: a, to: b, redactKeys: true) == UnifiedDiff.files(from: a, to: b, redactKeys: true))
        #expect(UnifiedDiff.files(from: a, to: a, redactKeys: true).isEmpty)
    }
}
