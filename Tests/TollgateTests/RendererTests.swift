import Foundation
import Testing
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

@Suite struct RendererTests {
    func load(_ name: String) throws -> Store {
        try DirectoryLoader().load(roots: [Fixtures.golden.appendingPathComponent("shared").path,
                                           Fixtures.golden.appendingPathComponent("\(name)/input").path]).store
    }

    @Test("Gateways whose inputs did not change are not rendered again")
    func cache() throws {
        var store = try load("frontend-mtls-guide")
        for var gw in try load("backend-mtls-guide").gateways.values {
            gw.metadata.namespace = "other"
            store.gateways[gw.key] = gw
        }
        var renderer = GatewayRenderer()
        let first = renderer.render(GraphBuilder().build(store, now: Fixtures.defaultNow))
        #expect(renderer.lastRenderCount == 2 && first.count == 2)
        let again = renderer.render(GraphBuilder().build(store, now: Fixtures.defaultNow))
        #expect(renderer.lastRenderCount == 0)
        #expect(again == first)
        // Change one route: only its Gateway renders again.
        let tea = ObjectKey(kind: .httpRoute, namespace: "default", name: "tea")
        store.httpRoutes[tea]!.spec.rules![0].matches![0].path!.value = "/green-tea"
        let changed = renderer.render(GraphBuilder().build(store, now: Fixtures.defaultNow))
        #expect(renderer.lastRenderCount == 1)
        let gw = ObjectKey(kind: .gateway, namespace: "default", name: "gateway")
        #expect(changed[gw]?.digest != first[gw]?.digest)
    }

    @Test("keys are 0600 and file bytes do not depend on dictionary order")
    func modesAndDigest() throws {
        let store = try load("backend-mtls-guide")
        var renderer = GatewayRenderer()
        let files = renderer.render(GraphBuilder().build(store, now: Fixtures.defaultNow))
        let gw = try #require(files[ObjectKey(kind: .gateway, namespace: "default", name: "gateway")])
        let keys = gw.files.filter { $0.key.hasSuffix(".key") }
        #expect(!keys.isEmpty && keys.values.allSatisfy { $0.mode == 0o600 })
        #expect(gw.files.filter { !$0.key.hasSuffix(".key") }.values.allSatisfy { $0.mode == 0o644 })
        var reordered = RenderedFiles()
        for p in gw.paths.reversed() { reordered.files[p] = gw.files[p] }
        #expect(reordered.digest == gw.digest)
        let dir = try Processes.temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(at: dir) }
        try gw.write(to: dir.path)
        for p in keys.keys {
            let attrs = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(p).path)
            #expect((attrs[.posixPermissions] as? Int) == 0o600, "\(p) on disk")
        }
    }
}
