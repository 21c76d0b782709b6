import Foundation
import Synchronization
import Testing
@testable import TollgateControlPlane
import TollgateModel

/// The directory provider on file-system events: every kind of change is delivered without a
/// polling interval (the watchers here poll and rescan once an hour), and a burst is one update.
@Suite struct FileEventsTests {
    static func route(_ name: String, host: String) -> String {
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: \(name), namespace: default}
        spec:
          parentRefs: [{name: gateway}]
          hostnames: [\(host)]

        """
    }

    static func key(_ name: String) -> ObjectKey { ObjectKey(kind: .httpRoute, namespace: "default", name: name) }

    /// A `ManifestWatcher` running on events only, and what it delivered.
    final class Watching: Sendable {
        final class Recorder: Sendable { let updates = Mutex<[ProviderUpdate]>([]) }
        let recorder = Recorder()
        let task: Task<Void, any Error>

        init(_ roots: [String]) {
            let watcher = ManifestWatcher(roots: roots, generationsFile: nil, interval: .seconds(3600),
                                          watch: .events(rescan: .seconds(3600)))
            let recorder = self.recorder
            task = Task { try await watcher.run { u in recorder.updates.withLock { $0.append(u) } } }
        }

        deinit { task.cancel() }

        var count: Int { recorder.updates.withLock { $0.count } }
        var latest: Store? { recorder.updates.withLock { $0.last?.store } }

        func host(_ name: String) -> String? { latest?.httpRoutes[FileEventsTests.key(name)]?.spec.hostnames?.first }

        /// Waits (without blocking a thread) until `condition` holds.
        func until(_ what: String, timeout: Double = 30, _ condition: (Watching) -> Bool) async throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition(self) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw TestFailure("timed out waiting for: \(what)")
        }
    }

    func directory(_ label: String) throws -> URL { try Processes.temporaryDirectory("events-\(label)") }

    @Test("an edit in place is delivered without a polling interval")
    func editInPlace() async throws {
        let dir = try directory("edit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.yaml")
        try Self.route("a", host: "one.example").write(to: file, atomically: false, encoding: .utf8)
        let w = Watching([dir.path])
        try await w.until("first load") { $0.host("a") == "one.example" }
        try Self.route("a", host: "two.example").write(to: file, atomically: false, encoding: .utf8)
        try await w.until("the edit") { $0.host("a") == "two.example" }
        #expect(w.recorder.updates.withLock { $0.last?.changed } == [Self.key("a")])
    }

    @Test("a new subdirectory and a file in it are seen; deleting the file is seen")
    func newDirectoryAndDeletion() async throws {
        let dir = try directory("subdir")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.route("a", host: "a.example").write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let w = Watching([dir.path])
        try await w.until("first load") { $0.host("a") != nil }
        let sub = dir.appendingPathComponent("team/deeper")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try Self.route("b", host: "b.example").write(to: sub.appendingPathComponent("b.yaml"), atomically: false, encoding: .utf8)
        try await w.until("the file in the new directory") { $0.host("b") == "b.example" }
        // The new directory is watched itself: a second file there is seen too.
        try Self.route("c", host: "c.example").write(to: sub.appendingPathComponent("c.yaml"), atomically: false, encoding: .utf8)
        try await w.until("a second file in the new directory") { $0.host("c") == "c.example" }
        try FileManager.default.removeItem(at: sub.appendingPathComponent("b.yaml"))
        try await w.until("the deletion") { $0.latest?.httpRoutes[Self.key("b")] == nil }
        #expect(w.host("a") == "a.example" && w.host("c") == "c.example")
    }

    @Test("a file moved in by an atomic rename (editors, kubectl cp) is seen")
    func atomicRename() async throws {
        let dir = try directory("rename")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outside = try directory("rename-src")
        defer { try? FileManager.default.removeItem(at: outside) }
        let w = Watching([dir.path])
        try await w.until("first load") { $0.count == 1 }
        // Written elsewhere, renamed in: only IN_MOVED_TO happens in the watched directory.
        let temp = outside.appendingPathComponent("a.yaml")
        try Self.route("a", host: "moved.example").write(to: temp, atomically: false, encoding: .utf8)
        #expect(rename(temp.path, dir.appendingPathComponent("a.yaml").path) == 0)
        try await w.until("the renamed file") { $0.host("a") == "moved.example" }
        // And the editor's way: a temporary file beside it, renamed over it.
        try Self.route("a", host: "replaced.example").write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try await w.until("the replaced file") { $0.host("a") == "replaced.example" }
    }

    @Test("a burst of 50 edits within 100 ms is at most 3 updates and ends with the last content")
    func burstIsDebounced() async throws {
        let dir = try directory("burst")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.yaml")
        try Self.route("a", host: "h0.example").write(to: file, atomically: false, encoding: .utf8)
        let w = Watching([dir.path])
        try await w.until("first load") { $0.host("a") == "h0.example" }
        for i in 1...50 {
            try Self.route("a", host: "h\(i).example").write(to: file, atomically: i.isMultiple(of: 2), encoding: .utf8)
            usleep(2000)
        }
        try await w.until("the last edit") { $0.host("a") == "h50.example" }
        // Anything still queued would be delivered by now; give it a debounce period or two.
        try await Task.sleep(for: .milliseconds(500))
        #expect(w.count - 1 <= 3, "deliveries after the first load: \(w.count - 1)")
        #expect(w.host("a") == "h50.example")
    }

    @Test("a root that is a single file is watched through its directory; siblings do not matter")
    func singleFileRoot() async throws {
        let dir = try directory("single")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("routes.yaml")
        try Self.route("a", host: "one.example").write(to: file, atomically: true, encoding: .utf8)
        let w = Watching([file.path])
        try await w.until("first load") { $0.host("a") == "one.example" }
        try Self.route("other", host: "other.example").write(to: dir.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        try Self.route("a", host: "two.example").write(to: file, atomically: true, encoding: .utf8)
        try await w.until("the edit") { $0.host("a") == "two.example" }
        #expect(w.latest?.httpRoutes[Self.key("other")] == nil)
    }

    @Test("a ConfigMap volume's ..data symlink swap is seen")
    func configMapSwap() async throws {
        let dir = try directory("configmap")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The kubelet's layout: routes.yaml -> ..data/routes.yaml, ..data -> ..<timestamp>/.
        func version(_ name: String, host: String) throws {
            let v = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: v, withIntermediateDirectories: true)
            try Self.route("a", host: host).write(to: v.appendingPathComponent("routes.yaml"), atomically: false, encoding: .utf8)
        }
        try version("..2026_01_01_00_00_00.1", host: "one.example")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("..data").path, withDestinationPath: "..2026_01_01_00_00_00.1")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("routes.yaml").path, withDestinationPath: "..data/routes.yaml")
        let w = Watching([dir.path])
        try await w.until("first load") { $0.host("a") == "one.example" }
        try version("..2026_01_01_00_00_00.2", host: "two.example")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("..data_tmp").path, withDestinationPath: "..2026_01_01_00_00_00.2")
        #expect(rename(dir.appendingPathComponent("..data_tmp").path, dir.appendingPathComponent("..data").path) == 0)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("..2026_01_01_00_00_00.1"))
        try await w.until("the swapped content") { $0.host("a") == "two.example" }
    }

    @Test("inotify events parse from the kernel's byte layout, names without their NUL padding")
    func parse() {
        var bytes: [UInt8] = []
        func append(_ wd: Int32, _ mask: UInt32, _ name: String, padded: Int) {
            withUnsafeBytes(of: wd) { bytes += $0 }
            withUnsafeBytes(of: mask) { bytes += $0 }
            withUnsafeBytes(of: UInt32(0)) { bytes += $0 }
            withUnsafeBytes(of: UInt32(padded)) { bytes += $0 }
            bytes += Array(name.utf8) + Array(repeating: 0, count: padded - name.utf8.count)
        }
        append(1, 8, "a.yaml", padded: 16)
        append(-1, 0x4000, "", padded: 0)
        #expect(InotifyWatchSet.parse(bytes[...]) == [.init(wd: 1, mask: 8, name: "a.yaml"), .init(wd: -1, mask: 0x4000, name: "")])
    }
}
