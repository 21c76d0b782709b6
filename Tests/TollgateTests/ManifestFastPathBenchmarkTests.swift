import CYaml
import Foundation
import Testing
@testable import TollgateManifests

/// Decode timings for generated HTTPRoutes, old path (`decodeViaYams`) and new (`decode`) with
/// bare-parser baselines in the same run. Prints figures, asserts nothing about time; runs only
/// with `TOLLGATE_FASTPATH_BENCH=1` (`swift test --skip-build --filter ManifestFastPathBenchmark`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_FASTPATH_BENCH"] != nil))
struct ManifestFastPathBenchmarkTests {
    @Test("decode timings, YAML and JSON List")
    func timings() {
        for routes in [1_000, 4_000] {
            let yaml = Self.yaml(routes: routes)
            let json = Self.jsonList(routes: routes)
            let decoder = ManifestDecoder()
            var lines: [String] = []
            func row(_ label: String, _ seconds: Double) {
                let padded = label.padding(toLength: 42, withPad: " ", startingAt: 0)
                lines.append("  " + padded + String(format: "%8.1f ms  %7.1f µs/route", seconds * 1000, seconds / Double(routes) * 1e6))
            }
            row("JSON List: decodeViaYams (before)", Self.best { _ = decoder.decodeViaYams(text: json, file: "b.json") })
            row("JSON List: decode (JSONManifestReader)", Self.best { _ = decoder.decode(text: json, file: "b.json") })
            row("JSON List: JSONManifestReader.read only", Self.best { _ = try? JSONManifestReader.read(json) })
            row("JSON: JSONSerialization (bare parse)", Self.best {
                _ = try? JSONSerialization.jsonObject(with: Data(json.utf8))
            })
            row("YAML: decodeViaYams (before)", Self.best { _ = decoder.decodeViaYams(text: yaml, file: "b.yaml") })
            row("YAML: decode (YAMLEventReader)", Self.best { _ = decoder.decode(text: yaml, file: "b.yaml") })
            let chunks = ManifestDecoder.splitDocuments(yaml)
            row("YAML: splitDocuments", Self.best { _ = ManifestDecoder.splitDocuments(yaml) })
            row("YAML: YAMLStructureScan.check per document", Self.best { for c in chunks { try? YAMLStructureScan.check(c.text) } })
            row("YAML: YAMLEventReader.read per document", Self.best {
                for c in chunks { if case .tree = YAMLEventReader.read(c.text, lineOffset: 0) {} else { Issue.record("not read from events") } }
            })
            row("YAML: libyaml events only (bare parse)", Self.best { _ = Self.libyamlEvents(yaml) })
            print("decode \(routes) HTTPRoutes (debug build; YAML \(yaml.utf8.count / 1024) KiB, JSON \(json.utf8.count / 1024) KiB):\n" + lines.joined(separator: "\n"))
        }
    }

    /// Best of three runs, in seconds.
    static func best(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            body()
            let d = ContinuousClock.now - start
            best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        return best
    }

    /// Parses `text` with libyaml and counts its events: the floor any YAML decoder on libyaml has.
    static func libyamlEvents(_ text: String) -> Int {
        var parser = yaml_parser_t()
        yaml_parser_initialize(&parser)
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        var count = 0
        bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                let done = event.type == YAML_STREAM_END_EVENT
                yaml_event_delete(&event)
                count += 1
                if done { break }
            }
        }
        return count
    }

    static func yaml(routes: Int) -> String {
        (0..<routes).map { i in
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: route-\(i)
              namespace: ns-\(i % 50)
              labels: {app: app-\(i), tier: web}
            spec:
              parentRefs:
              - name: gw-\(i % 8)
                namespace: gateways
                sectionName: https
              hostnames: ["app-\(i).example.com"]
              rules:
              - matches:
                - path: {type: PathPrefix, value: /api/\(i)}
                  headers:
                  - {name: x-tenant, value: "t\(i)"}
                backendRefs:
                - {name: svc-\(i), port: 8080, weight: 90}
                - {name: svc-\(i)-canary, port: 8080, weight: 10}
              - matches:
                - path: {type: Exact, value: /health}
                backendRefs:
                - {name: svc-\(i), port: 8080}
            """
        }.joined(separator: "\n---\n")
    }

    static func jsonList(routes: Int) -> String {
        let items = (0..<routes).map { i in
            #"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"route-\#(i)","namespace":"ns-\#(i % 50)","labels":{"app":"app-\#(i)","tier":"web"}},"spec":{"parentRefs":[{"name":"gw-\#(i % 8)","namespace":"gateways","sectionName":"https"}],"hostnames":["app-\#(i).example.com"],"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/api/\#(i)"},"headers":[{"name":"x-tenant","value":"t\#(i)"}]}],"backendRefs":[{"name":"svc-\#(i)","port":8080,"weight":90},{"name":"svc-\#(i)-canary","port":8080,"weight":10}]},{"matches":[{"path":{"type":"Exact","value":"/health"}}],"backendRefs":[{"name":"svc-\#(i)","port":8080}]}]}}"#
        }
        return #"{"apiVersion":"v1","kind":"List","items":["# + items.joined(separator: ",\n") + "]}"
    }
}
