import Foundation
import Testing
import TollgateControlPlane
import TollgateModel

/// The directory provider: admission on every poll, emulated generations that never overflow,
/// symlinked files followed, a touched file that did not change is no new state.
@Suite struct DirectoryProviderTests {
    static let route = """
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: app, namespace: default}
    spec:
      parentRefs: [{name: gateway}]
      rules:
      - matches: [{headers: [{name: x-a, value: "VALUE"}]}]
    """

    func write(_ dir: URL, _ text: String) throws {
        try text.write(to: dir.appendingPathComponent("route.yaml"), atomically: true, encoding: .utf8)
    }

    @Test("an object admission refuses does not exist for the store; fixing it brings it in")
    func admissionOnPoll() throws {
        let dir = try Processes.temporaryDirectory("provider")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = ObjectKey(kind: .httpRoute, namespace: "default", name: "app")
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: #""x\nserver { listen 1; }""#))
        var provider = DirectoryProvider(roots: [dir.path])
        let first = try #require(try provider.poll())
        #expect(first.store.httpRoutes[key] == nil)
        #expect(first.errors.contains { $0.field == "spec.rules[0].matches[0].headers[0].value" && $0.location.document == 1 })
        // Let the file's modification time move on, then fix the value.
        Thread.sleep(forTimeInterval: 0.01)
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "ok"))
        let second = try #require(try provider.poll())
        #expect(second.store.httpRoutes[key] != nil && second.errors.isEmpty && second.changed.contains(key))
    }

    @Test("an emulated generation at Int64.max saturates on edit instead of trapping")
    func generationSaturates() throws {
        let dir = try Processes.temporaryDirectory("provider-gen")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = ObjectKey(kind: .httpRoute, namespace: "default", name: "app")
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "one"))
        var provider = DirectoryProvider(roots: [dir.path], generations: [key: Int64.max])
        #expect(try provider.poll()?.store.httpRoutes[key]?.generation == Int64.max)
        Thread.sleep(forTimeInterval: 0.01)
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "two"))
        let edited = try #require(try provider.poll())
        #expect(edited.store.httpRoutes[key]?.generation == Int64.max)
        #expect(edited.changed.contains(key))
    }

    @Test("a ConfigMap volume's ..data symlink swap is a change, though the linked file's own link did not move")
    func configMapSwap() throws {
        let dir = try Processes.temporaryDirectory("provider-swap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = ObjectKey(kind: .httpRoute, namespace: "default", name: "app")
        func version(_ name: String, _ value: String) throws {
            let v = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: v, withIntermediateDirectories: true)
            try write(v, Self.route.replacingOccurrences(of: "\"VALUE\"", with: value))
        }
        try version("..v1", "one")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("..data").path, withDestinationPath: "..v1")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("route.yaml").path, withDestinationPath: "..data/route.yaml")
        var provider = DirectoryProvider(roots: [dir.path])
        #expect(try provider.poll()?.store.httpRoutes[key]?.spec.rules?.first?.matches?.first?.headers?.first?.value == "one")
        try version("..v2", "two")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("..tmp").path, withDestinationPath: "..v2")
        #expect(rename(dir.appendingPathComponent("..tmp").path, dir.appendingPathComponent("..data").path) == 0)
        let swapped = try #require(try provider.poll())
        #expect(swapped.store.httpRoutes[key]?.spec.rules?.first?.matches?.first?.headers?.first?.value == "two")
        #expect(swapped.changed == [key])
    }

    @Test("a file touched without a change is no new state; a file that comes or goes is")
    func touchIsNoChange() throws {
        let dir = try Processes.temporaryDirectory("provider-touch")
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "one"))
        var provider = DirectoryProvider(roots: [dir.path])
        #expect(try provider.poll() != nil)
        #expect(try provider.poll() == nil)
        Thread.sleep(forTimeInterval: 0.01)
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "one"))    // new inode, same bytes
        #expect(try provider.poll() == nil)
        let other = dir.appendingPathComponent("empty.yaml")
        try "".write(to: other, atomically: true, encoding: .utf8)
        #expect(try provider.poll()?.changed == [])
        try FileManager.default.removeItem(at: other)
        #expect(try provider.poll()?.changed == [])
    }

    @Test("only an edited object is a change: a reformatted file or an object moved to another file keeps its generation")
    func generationsFollowContent() throws {
        let dir = try Processes.temporaryDirectory("provider-content")
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = ObjectKey(kind: .httpRoute, namespace: "default", name: "app")
        let other = ObjectKey(kind: .httpRoute, namespace: "default", name: "other")
        let otherRoute = Self.route.replacingOccurrences(of: "name: app", with: "name: other")
            .replacingOccurrences(of: "\"VALUE\"", with: "b")
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "a") + "\n---\n" + otherRoute)
        var provider = DirectoryProvider(roots: [dir.path])
        let first = try #require(try provider.poll())
        #expect(first.store.httpRoutes[app]?.generation == 1 && first.store.httpRoutes[other]?.generation == 1)
        // Reformatted (a comment, quotes, flow style kept): same objects, no change.
        Thread.sleep(forTimeInterval: 0.01)
        try write(dir, "# reformatted\n" + Self.route.replacingOccurrences(of: "\"VALUE\"", with: "\"a\"") + "\n---\n" + otherRoute)
        let reformatted = try #require(try provider.poll())
        #expect(reformatted.changed.isEmpty)
        #expect(reformatted.store.httpRoutes[app]?.generation == 1 && reformatted.store.httpRoutes[other]?.generation == 1)
        // `other` moves to its own file, unchanged; `app` is edited: only `app` changes.
        Thread.sleep(forTimeInterval: 0.01)
        try otherRoute.write(to: dir.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        try write(dir, Self.route.replacingOccurrences(of: "\"VALUE\"", with: "edited"))
        let moved = try #require(try provider.poll())
        #expect(moved.changed == [app])
        #expect(moved.store.httpRoutes[app]?.generation == 2 && moved.store.httpRoutes[other]?.generation == 1)
        #expect(moved.sources[other]?.file.hasSuffix("other.yaml") == true)
    }
}
