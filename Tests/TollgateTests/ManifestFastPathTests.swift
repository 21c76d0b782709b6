import Foundation
import Testing
@testable import TollgateManifests
import TollgateModel

/// The JSON reader (`JSONManifestReader`) against the YAML path it replaces for JSON text
/// (`ManifestDecoder.decodeViaYams`): the same trees, objects, errors and warnings for every
/// golden input, as written and converted to JSON; clear errors for hostile JSON.
@Suite struct ManifestFastPathTests {
    let decoder = ManifestDecoder()

    // MARK: - Equivalence

    @Test("every golden input decodes the same through decode and decodeViaYams")
    func goldenInputsUnchanged() throws {
        let files = try Self.goldenInputs()
        #expect(files.count > 50)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let new = decoder.decode(text: text, file: file.lastPathComponent)
            let old = decoder.decodeViaYams(text: text, file: file.lastPathComponent)
            Self.expectSame(new, old, "\(file.path)")
        }
    }

    @Test("every golden document converted to JSON decodes to the same objects, errors and warnings",
          arguments: [false, true])
    func goldenDocumentsAsJSON(pretty: Bool) throws {
        var documents = 0
        for file in try Self.goldenInputs() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for chunk in ManifestDecoder.splitDocuments(text) {
                guard let tree = try? ManifestDecoder.parse(chunk.text, firstLine: 1) else { continue }
                let json = FastPathJSONText.of(tree, pretty: pretty)
                let viaJSON = decoder.decode(text: json, file: "doc.json")
                let viaYAML = decoder.decodeViaYams(text: chunk.text, file: "doc.json")
                Self.expectSame(viaJSON, viaYAML, "\(file.path):\(chunk.firstLine)\n\(json)")
                // The reader's tree is the tree libyaml gives for the same JSON text.
                let jsonTree = try JSONManifestReader.read(json)
                let yamlTree = try #require(try ManifestDecoder.parse(json, firstLine: 1))
                #expect(Self.canonical(jsonTree) == Self.canonical(yamlTree), "\(file.path):\(chunk.firstLine)")
                Self.expectParentsConsistent(jsonTree)
                documents += 1
            }
        }
        #expect(documents > 200)
    }

    @Test("a Kubernetes List in JSON, compact as the API server sends it, decodes as before")
    func compactList() {
        let json = #"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team","labels":{"env":"prod"}}},{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r","namespace":"team","resourceVersion":"12"},"spec":{"parentRefs":[{"name":"gw","port":443}],"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/\u00e9t\u00e9"}}],"backendRefs":[{"name":"svc","port":8080,"weight":1}]}]}}]}"#
        let label = "List team (resourceVersion 12)"
        let new = decoder.decode(text: json, file: label)
        #expect(new.errors.isEmpty, "\(new.errors)")
        #expect(new.objects.count == 2)
        Self.expectSame(new, decoder.decodeViaYams(text: json, file: label), "list")
    }

    @Test("scalars keep the kinds the YAML path gives them")
    func scalarKinds() throws {
        let json = #"[1, -0, 9223372036854775807, -9223372036854775808, 9223372036854775808, 1.5, 1e3, -2.5E-3, true, false, null, "80", "true", "", "a\"b\\c\/d\n\t\u0041\u00e9"]"#
        let tree = try JSONManifestReader.read(json)
        let yaml = try #require(try ManifestDecoder.parse(json, firstLine: 1))
        #expect(Self.canonical(tree) == Self.canonical(yaml))
        guard case .array(let items) = tree.values[0] else { Issue.record("not a list"); return }
        let scalars = items.map { i -> ManifestScalar? in if case .scalar(let s) = tree.values[i] { s } else { nil } }
        #expect(scalars[2]?.kind == .int(Int64.max))
        #expect(scalars[3]?.kind == .int(Int64.min))
        #expect(scalars[4]?.kind == .int(nil))
        #expect(scalars[5]?.kind == .float)
        #expect(scalars[11]?.style == .doubleQuoted && scalars[11]?.kind == .string)
        #expect(scalars[14]?.text == "a\"b\\c/d\n\tAé")
        // libyaml refuses surrogate escapes; JSON pairs them.
        let pair = try JSONManifestReader.read(#"["\ud83d\ude00 \uD83D\uDE00"]"#)
        #expect(Self.canonical(pair) == #"[(string doubleQuoted 1 "😀 😀")]"#)
        // A bare scalar is a JSON text too (decode only hands over objects and arrays).
        #expect(Self.canonical(try JSONManifestReader.read(" 42 ")) == "(int(Optional(42)) plain 1 \"42\")")
    }

    @Test("flow-style YAML that is not JSON still reads as YAML outside .json files")
    func flowYAMLFallsBack() {
        let flow = "{apiVersion: v1, kind: Namespace, metadata: {name: team}}\n---\n{apiVersion: v1, kind: Namespace, metadata: {name: other}}\n"
        let r = decoder.decode(text: flow, file: "ns.yaml")
        #expect(r.objects.map { $0.object.key.name } == ["team", "other"])
        #expect(r.errors.isEmpty)
        let strict = decoder.decode(text: flow, file: "ns.json")
        #expect(strict.objects.isEmpty)
        #expect(strict.errors.map(\.message) == ["invalid JSON at line 1, column 2: expected a string key, found 'a'"])
    }

    // MARK: - Hostile JSON

    @Test("hostile JSON gets a clear error with line and column, never a crash")
    func hostile() {
        let cases: [(String, String)] = [
            (String(repeating: "[", count: 101) + String(repeating: "]", count: 101),
             "invalid JSON at line 1, column 101: nesting deeper than 100 levels"),
            (String(repeating: "[", count: 200_000), "nesting deeper than 100 levels"),
            (String(repeating: "{\"a\":", count: 200_000), "nesting deeper than 100 levels"),
            ("{\"a\": \"\\q\"}", "invalid JSON at line 1, column 8: invalid escape \\q in a string"),
            ("{\"a\": \"\\u12G4\"}", "column 8: invalid \\u escape in a string: expected four hex digits"),
            ("{\"a\": \"\\uD800\"}", "column 8: a lone high surrogate \\uD800 in a string"),
            ("{\"a\": \"\\uD800\\u0041\"}", "a high surrogate \\uD800 not followed by a low surrogate"),
            ("{\"a\": \"\\uDC00x\"}", "column 8: a lone low surrogate \\uDC00 in a string"),
            ("{\"a\": \"line\nbreak\"}", "invalid JSON at line 1, column 12: a control character (U+000A) must be escaped in a string"),
            ("{\"a\": \"open", "unterminated string"),
            ("{\"a\": \"\\", "unterminated string"),
            ("{\"a\": 1} x", "invalid JSON at line 1, column 10: unexpected 'x' after the JSON document"),
            ("{\"a\": 1}\n{\"b\": 2}", "invalid JSON at line 2, column 1: unexpected '{' after the JSON document"),
            ("{\"a\": NaN}", "invalid JSON at line 1, column 7: expected a value, found 'N'"),
            ("{\"a\": Infinity}", "expected a value, found 'I'"),
            ("{\"a\": -}", "expected a digit in a number, found '}'"),
            ("{\"a\": 01}", "expected ',' or '}', found '1'"),
            ("{\"a\": 1.}", "expected a digit after '.', found '}'"),
            ("{\"a\": 1e}", "expected a digit in an exponent, found '}'"),
            ("{\"a\": tru}", "expected a value, found 't'"),
            ("{\"a\": 1,}", "expected a string key, found '}'"),
            ("[1, 2,]", "expected a value, found ']'"),
            ("{\"a\" 1}", "expected ':' after an object key, found '1'"),
            ("{\"a\": 1", "expected ',' or '}', found the end of the input"),
            ("[", "expected a value, found the end of the input"),
            ("{\n  \"a\": [1,\n    2 3]}", "invalid JSON at line 3, column 7: expected ',' or ']', found '3'"),
            ("{\"é\": \"ü\" x}", "invalid JSON at line 1, column 11: expected ',' or '}', found 'x'"),
            ("{\"a\": \u{0}}", "expected a value, found '\\x00'"),
        ]
        for (input, expected) in cases {
            let r = decoder.decode(text: input, file: "hostile.json")
            #expect(r.objects.isEmpty)
            #expect(r.errors.count == 1 && r.errors[0].message.contains(expected) && r.errors[0].field.isEmpty,
                    "\(input.prefix(40)): \(r.errors.map(\.message))")
        }
    }

    @Test("100 levels of nesting are accepted, as in YAML")
    func depthLimitIsTheYAMLOne() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try JSONManifestReader.read(deep)
        let r = decoder.decode(text: deep, file: "deep.json")
        #expect(r.errors.map(\.message) == ["expected an object with apiVersion and kind"])
    }

    @Test("duplicate keys give the YAML path's error", arguments: [
        #"{"apiVersion": "v1", "kind": "Service", "apiVersion": "v2"}"#,
        #"{"b": 1, "a": 2, "b": 3, "a": 4, "c": 5}"#,
        #"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x",\#n "name": "y"}}"#,
        #"{"a": {"x": 1, "x": 2}, "a": 3}"#,
        #"{"\u0061": 1, "a": 2}"#,
    ])
    func duplicateKeys(json: String) {
        let new = decoder.decode(text: json, file: "dup.json")
        let old = decoder.decodeViaYams(text: json, file: "dup.json")
        #expect(new.errors.count == 1)
        #expect(new.errors.map(\.message).first?.contains("duplicate key") == true)
        Self.expectSame(new, old, json)
    }

    @Test("a 4 MiB string and 100,000 keys read in one pass")
    func large() throws {
        let big = String(repeating: "x", count: 4 << 20)
        let annotations = (0..<100_000).map { "\"k\($0)\": \"v\($0)\"" }.joined(separator: ",")
        let json = #"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"#
            + annotations + #"}}, "data": {"big": ""# + big + #""}}"#
        let r = decoder.decode(text: json, file: "big.json")
        #expect(r.errors.isEmpty, "\(r.errors.prefix(1))")
        guard case .configMap(let c)? = r.objects.first?.object else { Issue.record("expected a ConfigMap"); return }
        #expect(c.data?["big"]?.count == big.count)
        #expect(c.metadata.annotations?.count == 100_000)
    }

    @Test("mutated JSON never crashes, and what it accepts the YAML path reads alike")
    func mutations() throws {
        let seed = #"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a\u00e9", "labels": {"x": "1"}}, "spec": {"ports": [{"port": 80, "name": "h"}, {"port": 8.5}], "x": [true, null, -1e2, "\u00fc\/"]}}"#
        let bytes = Array(seed.utf8)
        let alphabet = Array(#"{}[]:,"\u0123456789-+.eEtrufalsn xD8"#.utf8)
        var rng = SplitMix64(seed: 9)
        var compared = 0, refused = 0
        for _ in 0..<3_000 {
            var m = bytes
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(m.count))
                switch rng.next() % 3 {
                case 0: m[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: m.remove(at: at)
                default: m.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                }
            }
            let text = String(decoding: m, as: UTF8.self)
            let new = decoder.decode(text: text, file: "m.json")
            if (try? JSONManifestReader.read(text)) != nil, JSONManifestReader.looksLikeJSON(text) {
                let old = decoder.decodeViaYams(text: text, file: "m.json")
                if old.errors.allSatisfy({ !$0.message.hasPrefix("invalid YAML") }) {
                    Self.expectSame(new, old, text)
                    compared += 1
                }
            } else {
                #expect(new.errors.count == 1 && new.objects.isEmpty, "\(text)")
                refused += 1
            }
        }
        #expect(compared > 300 && refused > 1_000, "compared \(compared), refused \(refused)")
    }

    // MARK: - Helpers

    static func goldenInputs() throws -> [URL] {
        let root = Fixtures.golden
        let fm = FileManager.default
        var out: [URL] = []
        for case let name in try fm.contentsOfDirectory(atPath: root.path).sorted() {
            let input = root.appendingPathComponent(name).appendingPathComponent("input")
            guard let files = try? fm.contentsOfDirectory(atPath: input.path) else { continue }
            for f in files.sorted() where f.hasSuffix(".yaml") || f.hasSuffix(".yml") || f.hasSuffix(".json") {
                out.append(input.appendingPathComponent(f))
            }
        }
        return out
    }

    static func expectSame(_ a: ManifestDecoder.Result, _ b: ManifestDecoder.Result, _ label: String,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(a.objects.map(\.object) == b.objects.map(\.object), "objects differ: \(label)", sourceLocation: sourceLocation)
        #expect(a.objects.map(\.location) == b.objects.map(\.location), "locations differ: \(label)", sourceLocation: sourceLocation)
        #expect(a.errors == b.errors, "errors differ: \(label)", sourceLocation: sourceLocation)
        #expect(a.warnings == b.warnings, "warnings differ: \(label)", sourceLocation: sourceLocation)
    }

    /// Every value with its kind, style, text and line, in document order.
    static func canonical(_ tree: ManifestTree) -> String {
        var out = ""
        func walk(_ i: Int) {
            switch tree.values[i] {
            case .scalar(let s): out += "(\(s.kind) \(s.style) \(s.line) \(s.text.debugDescription))"
            case .array(let range):
                out += "["
                for c in range { walk(c) }
                out += "]"
            case .object(let o):
                out += "{"
                for (k, c) in zip(o.keys, o.children) {
                    out += k.debugDescription + ":"
                    walk(c)
                }
                out += "}"
            }
        }
        walk(ManifestTree.root)
        return out
    }

    static func expectParentsConsistent(_ tree: ManifestTree) {
        #expect(tree.parents.count == tree.values.count)
        for (i, value) in tree.values.enumerated() {
            let children: Range<Int>
            switch value {
            case .array(let r): children = r
            case .object(let o): children = o.children
            case .scalar: continue
            }
            for c in children where tree.parents[c] != i {
                Issue.record("value \(c) has parent \(tree.parents[c]), expected \(i)")
                return
            }
        }
    }
}

/// A `ManifestTree` written back as JSON: strings quoted (optionally with every non-ASCII
/// character as a `\u` escape, surrogate pairs included), numbers and literals bare.
enum FastPathJSONText {
    static func of(_ tree: ManifestTree, pretty: Bool) -> String {
        var out = ""
        func newline(_ depth: Int) {
            if pretty { out += "\n" + String(repeating: "  ", count: depth) }
        }
        func walk(_ i: Int, _ depth: Int) {
            switch tree.values[i] {
            case .scalar(let s): out += scalar(s, asciiOnly: pretty)
            case .array(let range):
                out += "["
                for (n, c) in range.enumerated() {
                    if n > 0 { out += "," }
                    newline(depth + 1)
                    walk(c, depth + 1)
                }
                if !range.isEmpty { newline(depth) }
                out += "]"
            case .object(let o):
                out += "{"
                for (n, (k, c)) in zip(o.keys, o.children).enumerated() {
                    if n > 0 { out += "," }
                    newline(depth + 1)
                    out += quoted(k, asciiOnly: pretty) + (pretty ? ": " : ":")
                    walk(c, depth + 1)
                }
                if !o.keys.isEmpty { newline(depth) }
                out += "}"
            }
        }
        walk(ManifestTree.root, 0)
        return out
    }

    static func scalar(_ s: ManifestScalar, asciiOnly: Bool) -> String {
        switch s.kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v?): return "\(v)"
        case .int(nil), .float:
            return isJSONNumber(s.text) ? s.text : quoted(s.text, asciiOnly: asciiOnly)
        case .string: return quoted(s.text, asciiOnly: asciiOnly)
        }
    }

    static func isJSONNumber(_ text: String) -> Bool {
        text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil
    }

    static func quoted(_ text: String, asciiOnly: Bool) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "/" where asciiOnly: out += "\\/"
            default:
                if u.value < 0x20 || (asciiOnly && u.value > 0x7E) {
                    for unit in String(u).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

