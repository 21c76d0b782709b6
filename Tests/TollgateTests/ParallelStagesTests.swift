import Foundation
import Testing
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

/// The stages that run on all cores (files decoded and admitted, routes resolved, Gateways
/// rendered) give exactly what one core gives, in the same order, every time.
@Suite struct ParallelStagesTests {
    @Test("Parallel.map equals map, in order, for sizes around the chunking")
    func mapKeepsOrder() {
        for n in [0, 1, 2, 3, 15, 16, 17, 1_001, 10_007] {
            let items = Array(0..<n)
            #expect(Parallel.map(items) { $0 &* 31 &+ 7 } == items.map { $0 &* 31 &+ 7 }, "n = \(n)")
        }
    }

    @Test("Gateways rendered concurrently equal each Gateway rendered alone; the result is the same every time")
    func renderEqualsOneByOne() throws {
        let text = GeneratedRoutes.manifests(routes: 600, gateways: 7, hostnames: 9)
        let decoded = DirectoryLoader.admit(DirectoryLoader.decode([DirectoryLoader.Text(path: "gen.yaml", text: text)]))
        #expect(decoded.count == 1 && decoded[0].errors.isEmpty)
        var loaded = DirectoryLoader.Result()
        for (o, l) in decoded[0].objects { DirectoryLoader.add(o, l, to: &loaded) }
        let graph = GraphBuilder().build(loaded.store, now: Fixtures.defaultNow)
        #expect(graph.gateways.count == 7 && graph.gateways.values.allSatisfy(\.accepted))
        var renderer = GatewayRenderer()
        let files = renderer.render(graph)
        #expect(renderer.lastRenderCount == 7 && renderer.lastRefusals.isEmpty)
        var alone: [ObjectKey: RenderedFiles] = [:]
        for (key, gw) in graph.gateways { alone[key] = try GatewayRenderer().render(gw) }
        #expect(files == alone)
        for _ in 0..<3 {
            var again = GatewayRenderer()
            #expect(again.render(graph) == files)
            #expect(GraphBuilder().build(loaded.store, now: Fixtures.defaultNow) == graph)
        }
        // Unchanged models keep their files without rendering.
        #expect(renderer.render(graph) == files && renderer.lastRenderCount == 0)
    }

    @Test("files decoded concurrently come back in the order given, each with its own locations")
    func decodeKeepsFileOrder() {
        let texts = (0..<12).map { i in
            DirectoryLoader.Text(path: "f\(i).yaml", text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns\(i)}\n")
        }
        let results = DirectoryLoader.admit(DirectoryLoader.decode(texts))
        #expect(results.count == 12)
        for (i, r) in results.enumerated() {
            #expect(r.errors.isEmpty && r.objects.count == 1)
            #expect(r.objects.first?.0.key.name == "ns\(i)" && r.objects.first?.1.file == "f\(i).yaml")
        }
    }

    @Test("hostname validity at the edges of labels, lengths and characters")
    func hostnameEdges() {
        let label63 = String(repeating: "a", count: 63)
        #expect(Hostnames.isValid("\(label63).example.com"))
        #expect(!Hostnames.isValid("\(label63)a.example.com"))
        let long = Array(repeating: "abcdefghi", count: 25).joined(separator: ".")   // 249 bytes
        #expect(Hostnames.isValid(long + ".abc"))       // 253
        #expect(!Hostnames.isValid(long + ".abcd"))     // 254
        #expect(!Hostnames.isValid(""))
        #expect(!Hostnames.isValid("*."))
        #expect(!Hostnames.isValid("a.b."))
        #expect(!Hostnames.isValid(".a.b"))
        #expect(!Hostnames.isValid("a-.b"))
        #expect(!Hostnames.isValid("a.-b"))
        #expect(Hostnames.isValid("a-b.c-d"))
        #expect(Hostnames.isValid("1a.2"))
        #expect(!Hostnames.isValid("1.2.3"))
        #expect(!Hostnames.isValid("*.1.2"))     // an address behind a wildcard
        #expect(!Hostnames.isValid("caf\u{E9}.example.com"))
        #expect(!Hostnames.isValid("a b.example.com"))
        #expect(!Hostnames.isValid("a_b.example.com"))
        #expect(!Hostnames.isValid("a.example.com\r\n"))
    }
}
