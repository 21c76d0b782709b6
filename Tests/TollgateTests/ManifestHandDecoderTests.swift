import Foundation
import Testing
@testable import TollgateManifests
import TollgateModel

/// `ManifestHandDecoder` (HTTPRoute, Service and EndpointSlice without `Codable`) against the
/// `Codable` path it stands in for: the same objects, errors (with their field paths) and
/// warnings for the golden inputs, the examples, generated routes, every field of every handled
/// kind replaced by values of every other shape or removed, and YAML's corners.
@Suite struct ManifestHandDecoderTests {
    static let hand = ManifestDecoder()
    static let codable: ManifestDecoder = {
        var d = ManifestDecoder()
        d.handWritten = false
        return d
    }()

    /// Decodes `text` both ways and expects the same result; returns the hand-written result.
    @discardableResult
    static func expectSame(_ text: String, file: String = "m.yaml", _ label: String,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ManifestDecoder.Result {
        let new = hand.decode(text: text, file: file)
        let old = codable.decode(text: text, file: file)
        ManifestFastPathTests.expectSame(new, old, label, sourceLocation: sourceLocation)
        return new
    }

    @Test("the hand-written decoders are on: their prototypes match the models' fields")
    func prototypesAvailable() throws {
        #expect(ManifestHandDecoder.Prototypes.route != nil)
        #expect(ManifestHandDecoder.Prototypes.service != nil)
        #expect(ManifestHandDecoder.Prototypes.slice != nil)
        for (kind, text) in [(ObjectKind.httpRoute, Self.route), (.service, Self.service), (.endpointSlice, Self.slice)] {
            let tree = try #require(try ManifestDecoder.parse(text, firstLine: 1, events: true))
            #expect(ManifestHandDecoder.decode(kind, tree, at: ManifestTree.root) != nil, "\(kind) fell back to Codable")
        }
    }

    @Test("golden inputs, examples and generated routes decode the same by hand and through Codable")
    func corpus() throws {
        var files = try ManifestFastPathTests.goldenInputs()
        let examples = FileManager.default.enumerator(at: Fixtures.examples, includingPropertiesForKeys: nil)
        for case let url as URL in examples?.allObjects ?? [] where url.pathExtension == "yaml" { files.append(url) }
        #expect(files.count > 50)
        var objects = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            objects += Self.expectSame(text, file: file.lastPathComponent, file.path).objects.count
        }
        let generated = GeneratedRoutes.manifests(routes: 300, gateways: 3, hostnames: 7)
        let result = Self.expectSame(generated, "GeneratedRoutes")
        #expect(result.errors.isEmpty)
        #expect(result.objects.count == 1 + 3 + 30 + 30 + 300)
        #expect(objects > 200)
    }

    @Test("every value of every handled kind, replaced by each shape or removed, gives the same result",
          arguments: ["route", "service", "slice"])
    func mutations(_ name: String) throws {
        let text = name == "route" ? Self.route : name == "service" ? Self.service : Self.slice
        let tree = try #require(try ManifestDecoder.parse(text, firstLine: 1, events: true))
        let base = Self.expectSame(text, "\(name) as written")
        #expect(base.errors.isEmpty && base.objects.count == 1, "\(base.errors)")
        var failures = 0, cases = 0
        for index in 1..<tree.values.count {
            for replacement in Self.replacements {
                // JSON text (`JSONManifestReader`), and the same as YAML (a comment first:
                // libyaml's events).
                let mutated = MutatedJSON.text(tree, replacing: index, with: replacement)
                let result = Self.expectSame(mutated, "\(name): \(tree.path(of: index)) = \(replacement)\n\(mutated)")
                Self.expectSame("# yaml\n" + mutated, "\(name): \(tree.path(of: index)) = \(replacement) (YAML)")
                failures += result.errors.isEmpty ? 0 : 1
                cases += 1
            }
            let removed = MutatedJSON.text(tree, removing: index)
            Self.expectSame(removed, "\(name): without \(tree.path(of: index))\n\(removed)")
        }
        // Many replacements are errors, many are not: both sides are exercised.
        #expect(failures > cases / 4 && failures < cases, "\(failures) of \(cases)")
    }

    @Test("YAML's corners in handled kinds: anchors, aliases, tags, duplicate keys, nesting, huge scalars")
    func corners() {
        let head = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: n}\n"
        let huge = String(repeating: "a", count: 300_000)
        let deep = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        let texts: [String] = [
            head + "spec:\n  parentRefs: [&p {name: gw}, *p]\n  hostnames: [&h a.example, *h]\n",
            head + "spec:\n  rules: [{backendRefs: [{name: s, port: !!str 80}]}]\n",
            head + "spec:\n  rules: [{backendRefs: [{name: s, port: !!int '80'}]}]\n",
            head + "spec:\n  rules: [{backendRefs: [{name: !!int 5, port: 80}]}]\n",
            head + "spec:\n  rules: [{backendRefs: [{name: s, port: 80, port: 81}]}]\n",
            head + "spec:\n  rules: [{matches: [{path: {value: /a, value: /b}}]}]\n",
            head + "spec:\n  rules: [{matches: [{path: " + deep + "}]}]\n",
            head + "spec:\n  hostnames: [" + huge + "]\n",
            head + "spec:\n  rules: [{name: \"" + huge + "\", timeouts: {request: 10s, backendRequest: ~}}]\n",
            head + "spec:\n  rules: [{matches: [{path: {type: Exact, value: /a}, method: GET, queryParams: [{name: q, value: '1'}]}]}]\n",
            head + "spec: ~\n",
            head + "spec: []\n",
            head + "spec:\n  parentRefs: [{name: gw, port: 0x50}, {name: gw, port: 1_000}, {name: gw, port: 017}]\n",
            head + "spec:\n  parentRefs: [{name: gw, port: 99999999999999999999}]\n",
            head + "spec:\n  hostnames: [~, a]\n",
            head + "spec:\n  hostnames: [yes, 1, 1.5, .inf]\n",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nspec: {}\n",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {namespace: n}\nspec: {}\n",
            "apiVersion: gateway.networking.k8s.io/v2\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, targetPort: 99999999999999999999}, {port: 81, targetPort: http}, {port: 82, targetPort: ~}]}\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: '80'}]}\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {a: ~, b: 1, c: [x]}}\n",
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1, ~]}]\n",
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1], conditions: {ready: 'true'}}]\n",
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\nendpoints: []\n",
            "apiVersion: v1\nkind: List\nitems:\n- " + Self.service.replacingOccurrences(of: "\n", with: "\n  ") + "\n- {apiVersion: v1, kind: Service, metadata: {name: t}, spec: {ports: [{}]}}\n",
        ]
        for (n, text) in texts.enumerated() {
            Self.expectSame(text, "corner \(n): \(text.prefix(300))")
        }
        // Several documents with the kinds mixed, one bad in the middle.
        Self.expectSame([Self.route, Self.service, "apiVersion: v1\nkind: Service\nmetadata: {name: [x]}\n", Self.slice]
            .joined(separator: "---\n"), "stream")
    }

    // MARK: - Inputs

    /// Replacements for one value: every shape and scalar kind the decoders tell apart.
    static let replacements = [
        "null", "\"80\"", "80", "-1", "true", "1.5", "9223372036854775808", "\"x\"", "\"\"", "[]", "{}",
        "[\"a\"]", "[{}]", #"{"name":"n","value":"v","type":"t","port":1,"addresses":["a"]}"#,
    ]

    /// Every field the hand-written decoders read, with a value of the right type.
    static let route = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: r
          namespace: team
          labels: {app: web, tier: "1"}
          annotations: {note: hi}
          generation: 3
          resourceVersion: "42"
          uid: abc
          creationTimestamp: "2024-01-01T00:00:00Z"
          extra: ignored
        spec:
          parentRefs:
          - {group: gateway.networking.k8s.io, kind: Gateway, namespace: gw, name: gw, sectionName: https, port: 443}
          hostnames: [a.example, b.example]
          unknown: {x: 1}
          rules:
          - name: first
            matches:
            - path: {type: PathPrefix, value: /api}
              headers: [{type: Exact, name: X-A, value: a}]
              method: GET
              queryParams: [{type: RegularExpression, name: q, value: "^1$"}]
            backendRefs:
            - {group: "", kind: Service, name: svc, namespace: team, port: 8080, weight: 2, filters: [{type: RequestHeaderModifier}]}
            filters: [{type: URLRewrite}]
            timeouts: {request: 10s}

        """

    static let service = """
        apiVersion: v1
        kind: Service
        metadata: {name: svc, namespace: team}
        spec:
          type: ClusterIP
          clusterIP: 10.0.0.1
          ports:
          - {name: http, port: 80, targetPort: 8080, protocol: TCP, appProtocol: http}
          - {name: named, port: 81, targetPort: web}

        """

    static let slice = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: svc-1
          namespace: team
          labels: {kubernetes.io/service-name: svc}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - addresses: [10.0.0.1, 10.0.0.2]
          conditions: {ready: true, serving: false, terminating: false}

        """
}

/// A `ManifestTree` written back as JSON text (which is YAML too), with one value replaced by
/// raw text or one value (an object's key with it, or a list's item) left out.
enum MutatedJSON {
    static func text(_ tree: ManifestTree, replacing target: Int = -1, with replacement: String = "",
                     removing removed: Int = -1) -> String {
        var out = ""
        func walk(_ i: Int) {
            if i == target { out += replacement; return }
            switch tree.values[i] {
            case .scalar(let s): out += FastPathJSONText.scalar(s, asciiOnly: false)
            case .array(let range):
                out += "["
                var first = true
                for c in range where c != removed {
                    if !first { out += "," }
                    first = false
                    walk(c)
                }
                out += "]"
            case .object(let o):
                out += "{"
                var first = true
                for (k, c) in zip(o.keys, o.children) where c != removed {
                    if !first { out += "," }
                    first = false
                    out += FastPathJSONText.quoted(k, asciiOnly: false) + ":"
                    walk(c)
                }
                out += "}"
            }
        }
        walk(ManifestTree.root)
        return out + "\n"
    }
}
