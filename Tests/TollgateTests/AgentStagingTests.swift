#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import TollgateAgent
import TollgateSnapshot

/// Staging a version: the tree is written first and flushed afterwards (many fsyncs at once,
/// alongside `nginx -t`); nothing is swapped in before the flush succeeded.
@Suite(.serialized) struct AgentStagingTests {
    /// A port of its own: suites run in parallel, and AgentApplierTests serves on the harness's.
    static let port = 17091

    /// `count` server files plus the harness's tree (so `nginx -t` has work to do), on `port`.
    static func manyFiles(_ count: Int, body: String) -> FileSet {
        var set = AgentHarness.files(body: body)
        set.files["servers/main.conf"] = RenderedFile(String(decoding: set.files["servers/main.conf"]!.contents, as: UTF8.self)
            .replacingOccurrences(of: "127.0.0.1:\(AgentHarness.port)", with: "127.0.0.1:\(port)"))
        for i in 0..<count {
            set.files["servers/extra/host-\(i).conf"] = RenderedFile("""
                # extra host \(i)
                server {
                    listen 127.0.0.1:\(port);
                    server_name host-\(i).example.com;
                    return 200 "host \(i) \(body)\\n";
                }

                """)
        }
        set.files["http.conf"] = RenderedFile(String(decoding: set.files["http.conf"]!.contents, as: UTF8.self)
            .replacingOccurrences(of: "include servers/*.conf;", with: "include servers/*.conf;\ninclude servers/extra/*.conf;"))
        return set
    }

    @Test("write: final modes from the first byte, the record last, directories deepest first; makeDurable flushes it all")
    func writeThenFlush() async throws {
        let dir = try Processes.temporaryDirectory("staging")
        defer { try? FileManager.default.removeItem(at: dir) }
        let staging = dir.appendingPathComponent(".staging-test").path
        let files = Self.manyFiles(40, body: "x")
        let record = VersionRecord(version: 7, digest: files.digest)
        let tree = try TreeStager.write(files, extra: ["agent/version.conf": RenderedFile("# probe\n")], record: record, into: staging)

        #expect(tree.files.count == files.files.count + 2, "every file, the agent's include and the record")
        #expect(tree.files.last == staging + "/" + AgentPaths.versionRecord, "the record is written last")
        #expect(Set(tree.files) == Set(files.paths.map { staging + "/" + $0 } + [staging + "/agent/version.conf", staging + "/" + AgentPaths.versionRecord]))
        #expect(tree.directories.last == staging, "the staging directory is flushed last")
        #expect(Set(tree.directories) == Set([staging, staging + "/agent", staging + "/certs", staging + "/servers", staging + "/servers/extra"]))
        for (i, d) in tree.directories.enumerated() {
            #expect(!tree.directories[(i + 1)...].contains { $0.hasPrefix(d + "/") }, "\(d) comes after a directory inside it")
        }
        var st = stat()
        #expect(lstat(staging + "/certs/site.key", &st) == 0 && st.st_mode & 0o7777 == 0o600)
        #expect(lstat(staging + "/servers/extra/host-3.conf", &st) == 0 && st.st_mode & 0o7777 == 0o644)
        #expect(VersionRecord.read(inDirectory: staging) == record)
        #expect(try TreeReader.fileSet(of: staging) == files, "the tree reads back as the set")

        try await TreeStager.makeDurable(tree)
        #expect(try TreeReader.fileSet(of: staging) == files)
        #expect(throws: AgentError.self, "a staging directory is never reused") {
            try TreeStager.write(files, extra: [:], record: record, into: staging)
        }
    }

    @Test("ParallelFsync flushes every path it can and names one that failed")
    func parallelFsync() async throws {
        let dir = try Processes.temporaryDirectory("fsync")
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = (0..<50).map { dir.appendingPathComponent("f\($0)").path }
        for p in paths { try DurableFiles.createFile(p, contents: Data("x".utf8), mode: 0o600, sync: false) }
        try ParallelFsync.run(paths)
        try await ParallelFsync.sync(paths + [dir.path], width: 4)
        let missing = dir.appendingPathComponent("missing").path
        do {
            try await ParallelFsync.sync(Array(paths[..<20]) + [missing] + Array(paths[20...]))
            Issue.record("a missing file was not reported")
        } catch {
            #expect("\(error)".contains(missing), "\(error)")
        }
        #expect(throws: AgentError.self) { try ParallelFsync.run([missing], width: 1) }
    }

    @Test("write reusing the live tree: identical files (bytes, mode) become hard links; changed, re-moded, tampered or symlinked ones are written anew")
    func unchangedFilesAreLinked() throws {
        let dir = try Processes.temporaryDirectory("staging-link")
        defer { try? FileManager.default.removeItem(at: dir) }
        func inode(_ path: String) -> UInt64? {
            var st = stat()
            return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? UInt64(st.st_ino) : nil
        }
        let live = dir.appendingPathComponent("1-live").path
        let v1 = Self.manyFiles(20, body: "v1")
        _ = try TreeStager.write(v1, extra: ["agent/version.conf": RenderedFile("# probe 1\n")],
                                 record: VersionRecord(version: 1, digest: v1.digest), into: live)
        // Tampered on disk after it was written: must not be reused.
        try Data("# tampered\n".utf8).write(to: URL(fileURLWithPath: live + "/servers/extra/host-2.conf"))
        // A symlink where a file was: never followed.
        unlink(live + "/servers/extra/host-3.conf")
        symlink(live + "/servers/extra/host-4.conf", live + "/servers/extra/host-3.conf")

        var v2 = v1
        v2.files["servers/extra/host-1.conf"] = RenderedFile("# changed\n")
        v2.files["servers/extra/host-5.conf"] = RenderedFile(contents: v1.files["servers/extra/host-5.conf"]!.contents, mode: 0o600)
        let staging = dir.appendingPathComponent(".staging-2").path
        let tree = try TreeStager.write(v2, extra: ["agent/version.conf": RenderedFile("# probe 2\n")],
                                        record: VersionRecord(version: 2, digest: v2.digest), into: staging, reusing: live)
        let fresh = ["servers/extra/host-1.conf", "servers/extra/host-2.conf", "servers/extra/host-3.conf", "servers/extra/host-5.conf"]
        #expect(tree.linked == v2.files.count - fresh.count, "\(tree.linked) of \(v2.files.count)")
        #expect(Set(tree.files) == Set((fresh + ["agent/version.conf", AgentPaths.versionRecord]).map { staging + "/" + $0 }),
                "only new files are flushed")
        for path in v2.paths {
            let same = inode(staging + "/" + path) == inode(live + "/" + path)
            #expect(same == !fresh.contains(path), "\(path)")
            #expect(FileManager.default.contents(atPath: staging + "/" + path) == v2.files[path]!.contents, "\(path)")
        }
        var st = stat()
        #expect(lstat(staging + "/certs/site.key", &st) == 0 && st.st_mode & 0o7777 == 0o600 && st.st_nlink == 2, "the key is shared, still 0600")
        #expect(lstat(staging + "/servers/extra/host-5.conf", &st) == 0 && st.st_mode & 0o7777 == 0o600)
        #expect(inode(staging + "/agent/version.conf") != inode(live + "/agent/version.conf"), "agent files are always written")
    }

    @Test("a 300-file version: applied and served; the steps are logged; a rejected one leaves no staging directory")
    func largeVersion() async throws {
        try await AgentHarness.with(largeVersion)
    }

    func largeVersion(_ h: AgentHarness) async throws {
        do {
            let v1 = Self.manyFiles(300, body: "v1")
            let o1 = await h.applier.apply(version: 1, digest: v1.digest, files: v1)
            #expect(o1.result == .applied, "\(o1.result)")
            #expect(try Curl.get("http://127.0.0.1:\(Self.port)/").body == "v1\n")
            #expect(try Curl.get("http://127.0.0.1:\(Self.port)/", host: "host-299.example.com").body == "host 299 v1\n")
            for step in ["verify 304 files", "write 306 files", "nginx -t", "fsync (beyond nginx -t)", "swap", "reload until served"] {
                #expect(o1.steps.contains(step), "\(o1.steps)")
            }

            var v2 = Self.manyFiles(300, body: "v2")
            v2.files["servers/extra/host-150.conf"] = RenderedFile("server { tollgate_no_such_directive on; }\n")
            let o2 = await h.applier.apply(version: 2, digest: v2.digest, files: v2)
            guard case .rejected(let message) = o2.result else { Issue.record("\(o2.result)"); return }
            #expect(message.contains("unknown directive \"tollgate_no_such_directive\""), "\(message)")
            #expect(!h.versionDirectories().contains { $0.hasPrefix(".staging-") }, "\(h.versionDirectories())")
            #expect(try Curl.get("http://127.0.0.1:\(Self.port)/").body == "v1\n")
            #expect(try h.root.liveState()?.version == 1)

            let v3 = Self.manyFiles(300, body: "v3")
            let dry = await h.applier.apply(version: 3, digest: v3.digest, files: v3, dryRun: true)
            guard case .dryRunOK = dry.result else { Issue.record("\(dry.result)"); return }
            #expect(!dry.steps.contains("fsync"), "a dry run's tree is deleted: never flushed (\(dry.steps))")
            #expect(h.versionDirectories().count == 1)
            let o3 = await h.applier.apply(version: 3, digest: v3.digest, files: v3)
            #expect(o3.result == .applied, "\(o3.result)")
            #expect(try Curl.get("http://127.0.0.1:\(Self.port)/", host: "host-150.example.com").body == "host 150 v3\n")
            #expect(o3.steps.contains("linked to the live tree's"), "the key and unchanged files are linked: \(o3.steps)")
            // The running master validates by reloading: no separate `nginx -t`.
            #expect(!o3.steps.contains("nginx -t") && o3.steps.contains("fsync") && o3.steps.contains("reload until served"), "\(o3.steps)")
        }
    }
}
