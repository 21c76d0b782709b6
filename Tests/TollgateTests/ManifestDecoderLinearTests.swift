import Foundation
import Testing
@testable import TollgateManifests
import TollgateModel

/// The manifest decoder on large and hostile input: scalar resolution as Kubernetes does it,
/// strict integers and booleans, duplicate keys, bounded aliases and nesting (errors, never a
/// crash), and big objects decoded correctly. Nothing here asserts on time.
@Suite struct ManifestDecoderLinearTests {
    let decoder = ManifestDecoder()

    private func decode(_ text: String, file: String = "t.yaml") -> ManifestDecoder.Result {
        decoder.decode(text: text, file: file)
    }

    private func service(port: String, targetPort: String = "8080") -> String {
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - {name: http, port: \(port), targetPort: \(targetPort)}\n"
    }

    private func firstService(_ r: ManifestDecoder.Result) -> Service? {
        guard case .service(let s)? = r.objects.first?.object else { return nil }
        return s
    }

    // MARK: - Scalars

    @Test("plain scalars resolve like go-yaml v2: null, bool, int, float, string")
    func resolutionTable() {
        let table: [(String, ManifestScalar.Kind)] = [
            ("", .null), ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("nULL", .string),
            ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)), ("yes", .bool(true)), ("Yes", .bool(true)),
            ("YES", .bool(true)), ("on", .bool(true)), ("ON", .bool(true)), ("y", .bool(true)), ("Y", .bool(true)),
            ("false", .bool(false)), ("no", .bool(false)), ("No", .bool(false)), ("off", .bool(false)), ("n", .bool(false)),
            ("N", .bool(false)), ("tRuE", .string), ("yess", .string),
            ("0", .int(0)), ("80", .int(80)), ("+80", .int(80)), ("-80", .int(-80)), ("-0", .int(0)), ("1_000", .int(1000)),
            ("0x1F", .int(31)), ("0X1f", .int(31)), ("0o17", .int(15)), ("017", .int(15)), ("0b101", .int(5)), ("-0x10", .int(-16)),
            ("9223372036854775807", .int(Int64.max)), ("-9223372036854775808", .int(Int64.min)),
            ("9223372036854775808", .int(nil)), ("99999999999999999999999", .int(nil)), ("0xFFFFFFFFFFFFFFFFFF", .int(nil)),
            ("08", .float), ("1.5", .float), ("-1.5e3", .float), ("1e3", .float), ("1.", .float), (".5", .float), ("-.5", .float),
            (".inf", .float), ("-.Inf", .float), ("+.INF", .float), (".nan", .float), (".NaN", .float),
            ("0x", .string), ("0b2", .string), ("1:30", .string), ("1.2.3", .string), ("-", .string), ("+", .string),
            (".", .string), ("1e", .string), ("abc", .string), ("2024-01-01", .string), ("10.0.0.1", .string), ("_1", .string),
        ]
        for (text, kind) in table {
            #expect(ScalarResolution.resolvePlain(text) == kind, "\(text)")
        }
        #expect(ScalarResolution.kind(of: "80", style: .doubleQuoted, tag: "tag:yaml.org,2002:str") == .string)
        #expect(ScalarResolution.kind(of: "true", style: .literal, tag: "") == .string)
        #expect(ScalarResolution.kind(of: "80", style: .plain, tag: "tag:yaml.org,2002:str") == .string)
        #expect(ScalarResolution.kind(of: "80", style: .doubleQuoted, tag: "tag:yaml.org,2002:int") == .int(80))
        #expect(ScalarResolution.kind(of: "80", style: .plain, tag: "!") == .string)
    }

    @Test("integer fields take only integer scalars; a quoted number is not an integer")
    func strictIntegers() {
        #expect(firstService(decode(service(port: "0x50")))?.spec?.ports?.first?.port == 80)
        #expect(firstService(decode(service(port: "+8_0")))?.spec?.ports?.first?.port == 80)
        for bad in ["\"80\"", "'80'", "80.0", "8e1", "eighty", "true", "[80]", "{a: 1}", "1:20"] {
            let r = decode(service(port: bad))
            #expect(r.objects.isEmpty, "\(bad)")
            #expect(r.errors.map(\.description) == ["t.yaml (document 1): field spec.ports[0].port: expected an integer"], "\(bad)")
        }
        let null = decode(service(port: "~"))
        #expect(null.errors.map(\.description) == ["t.yaml (document 1): field spec.ports[0].port: expected an integer, found null"])
    }

    @Test("integers that do not fit in 64 bits are an error naming the field, never a trap")
    func integerOverflow() {
        for big in ["9223372036854775808", "-9223372036854775809", "18446744073709551616", String(repeating: "9", count: 100_000), "0x" + String(repeating: "F", count: 40)] {
            let r = decode(service(port: big))
            #expect(r.errors.map(\.description) == ["t.yaml (document 1): field spec.ports[0].port: integer out of range"])
        }
        let generation = "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, generation: 9223372036854775807}\n"
        guard case .namespace(let ns)? = decode(generation).objects.first?.object else { Issue.record("no namespace"); return }
        #expect(ns.metadata.generation == Int64.max)
    }

    @Test("IntOrString: a plain number is an int, a quoted one or a name is a string")
    func intOrString() {
        let cases: [(String, IntOrString)] = [
            ("8080", .int(8080)), ("\"8080\"", .string("8080")), ("'8080'", .string("8080")), ("http", .string("http")),
            ("0x1F90", .int(8080)), ("99999999999999999999", .string("99999999999999999999")),
        ]
        for (text, want) in cases {
            #expect(firstService(decode(service(port: "80", targetPort: text)))?.spec?.ports?.first?.targetPort == want, "\(text)")
        }
    }

    @Test("booleans take only boolean scalars; strings take any non-null scalar's text")
    func booleansAndStrings() throws {
        let slice = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: e
          labels: {version: 1, enabled: yes, ratio: 1.50, hex: 0x10, empty: , tilde: ~, quoted: "true", nothing: null}
        addressType: IPv4
        endpoints:
        - {addresses: [10.0.0.1], conditions: {ready: yes, serving: False, terminating: off}}
        """
        let r = decode(slice)
        #expect(r.errors.isEmpty)
        guard case .endpointSlice(let e)? = r.objects.first?.object else { Issue.record("no slice"); return }
        #expect(e.metadata.labels == ["version": "1", "enabled": "yes", "ratio": "1.50", "hex": "0x10", "empty": "", "tilde": "", "quoted": "true", "nothing": ""])
        let c = try #require(e.endpoints?.first?.conditions)
        #expect(c.ready == true && c.serving == false && c.terminating == false)

        let quotedBool = slice.replacingOccurrences(of: "ready: yes", with: "ready: \"yes\"")
        #expect(decode(quotedBool).errors.map(\.description) == ["t.yaml (document 1): field endpoints[0].conditions.ready: expected a boolean"])
        let nullName = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ~}\n"
        #expect(decode(nullName).errors.map(\.description) == ["t.yaml (document 1): field metadata.name: expected a string, found null"])
        let listName = "apiVersion: v1\nkind: Namespace\nmetadata: {name: [a]}\n"
        #expect(decode(listName).errors.map(\.description) == ["t.yaml (document 1): field metadata.name: expected a string"])
        let objectLabels = "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: {a: {b: c}}}\n"
        #expect(decode(objectLabels).errors.map(\.description) == ["t.yaml (document 1): field metadata.labels.a: expected a string"])
        let listSpec = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: [1]\n"
        #expect(decode(listSpec).errors.map(\.description) == ["t.yaml (document 1): field spec: expected an object"])
        let scalarPorts = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: 80}\n"
        #expect(decode(scalarPorts).errors.map(\.description) == ["t.yaml (document 1): field spec.ports: expected a list"])
    }

    @Test("special scalars: .inf, -0, tabs, huge strings, explicit tags")
    func specialScalars() {
        #expect(decode(service(port: ".inf")).errors.first?.message == "expected an integer")
        #expect(firstService(decode(service(port: "-0")))?.spec?.ports?.first?.port == 0)
        #expect(firstService(decode(service(port: "!!int \"80\"")))?.spec?.ports?.first?.port == 80)
        #expect(decode(service(port: "!!str 80")).errors.first?.message == "expected an integer")
        let huge = String(repeating: "x", count: 2_000_000)
        let ns = decode("apiVersion: v1\nkind: Namespace\nmetadata: {name: n, annotations: {big: \(huge)}}\n")
        guard case .namespace(let n)? = ns.objects.first?.object else { Issue.record("no namespace"); return }
        #expect(n.metadata.annotations?["big"]?.count == huge.count)
        let tabs = decode("apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: n\n")
        #expect(tabs.objects.isEmpty && tabs.errors.count == 1 && tabs.errors[0].message.hasPrefix("invalid YAML at line 4"))
    }

    // MARK: - Structure

    @Test("duplicate keys are an error; the rest of the file still loads")
    func duplicateKeys() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: 1, x: 2}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
        let r = decode(text)
        #expect(r.objects.map { $0.object.key.name } == ["b"])
        #expect(r.errors.map(\.description) == ["t.yaml (document 1): invalid YAML at line 5, column 12: duplicate key x"])
        // Keys equal as text but with different tags: found by the tree, with the field path.
        let tagged = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: 1, !custom x: 2}\n"
        #expect(decode(tagged).errors.map(\.description) == ["t.yaml (document 1): field metadata.labels.x: duplicate key"])
    }

    @Test("List kinds and JSON documents decode, errors name the item's field")
    func listAndJSON() {
        let json = """
        {"apiVersion": "v1", "kind": "ServiceList", "items": [
          {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"ports": [{"port": 80, "targetPort": "http"}]}},
          {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}, "spec": {"ports": [{"port": "80"}]}},
          {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"a": "1", "b": 2, "c": true}}}
        ]}
        """
        let r = decode(json, file: "l.json")
        #expect(r.objects.map { $0.object.key.name } == ["a", "n"])
        #expect(r.errors.map(\.description) == ["l.json (document 1): field spec.ports[0].port: expected an integer"])
        #expect(firstService(r)?.spec?.ports?.first?.targetPort == .string("http"))
        guard case .namespace(let n)? = r.objects.last?.object else { Issue.record("no namespace"); return }
        #expect(n.metadata.labels == ["a": "1", "b": "2", "c": "true"])
    }

    @Test("CRLF files split into documents like LF files")
    func crlf() {
        let text = "apiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: a}\r\n---\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: b}\r\n"
        let r = decode(text)
        #expect(r.errors.isEmpty)
        #expect(r.objects.map { $0.object.key.name } == ["a", "b"])
    }

    @Test("the decode-errors golden case keeps its exact diagnostics")
    func goldenDiagnostics() throws {
        let input = Fixtures.golden.appendingPathComponent("decode-errors/input")
        let load = try DirectoryLoader().load(root: input.path)
        let base = Fixtures.golden.path + "/"
        let lines = (load.errors.map { "error: \($0)" } + load.warnings.map { "warning: \($0)" })
            .map { $0.replacingOccurrences(of: base, with: "") }
        let expected = Fixtures.read(Fixtures.golden.appendingPathComponent("decode-errors/expected/diagnostics.txt")) ?? ""
        #expect(lines.joined(separator: "\n") + "\n" == expected)
    }

    // MARK: - Hostile input

    @Test("billion laughs: alias expansion is bounded and reported")
    func billionLaughs() {
        var text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            let p = "*a\(i - 1)"
            text += "x\(i): &a\(i) [\(Array(repeating: p, count: 10).joined(separator: ", "))]\n"
        }
        let r = decode(text)
        #expect(r.objects.isEmpty)
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.message.contains("expands to more than") == true, "\(r.errors)")
        // Aliases that stay small are fine.
        let small = "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: &l {a: b}, annotations: *l}\n"
        guard case .namespace(let n)? = decode(small).objects.first?.object else { Issue.record("aliases must work"); return }
        #expect(n.metadata.annotations == ["a": "b"])
        // An alias used as (part of) a mapping key would be hashed in full by Yams: refused.
        let keyed = "a: &x [1, 2]\nb: {? *x : 1}\n"
        #expect(decode(keyed).errors.first?.message.contains("cannot be combined with aliases") == true)
    }

    static let deepInputs: [(String, String)] = [
        ("flow sequences", String(repeating: "[", count: 100_000)),
        ("flow sequences, closed", String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)),
        ("flow mappings", String(repeating: "{a: ", count: 50_000) + "1" + String(repeating: "}", count: 50_000)),
        ("flow pairs", String(repeating: "[a: ", count: 50_000)),
        ("compact block sequences", String(repeating: "- ", count: 50_000) + "x"),
        ("block mappings", (0..<300).map { String(repeating: " ", count: $0) + "a:\n" }.joined() + String(repeating: " ", count: 300) + "b"),
        ("indentless sequences", (0..<300).map { String(repeating: " ", count: 2 * $0) + "- a:\n" }.joined()),
        ("explicit keys", String(repeating: "? ", count: 50_000) + "x"),
        ("mixed", "spec:\n  x: " + String(repeating: "[{a: ", count: 20_000)),
    ]

    @Test("deep nesting is an error, not a stack overflow", arguments: deepInputs)
    func deepNesting(_ input: (String, String)) {
        let r = decode(input.1)
        #expect(r.objects.isEmpty, "\(input.0)")
        #expect(r.errors.count == 1, "\(input.0)")
        #expect(r.errors.first?.message.contains("nesting deeper than \(YAMLStructureScan.maxDepth) levels") == true, "\(input.0): \(r.errors)")
    }

    @Test("deep nesting inside a Task (small stack) is an error too")
    func deepNestingInTask() async {
        let errors = await Task.detached {
            Self.deepInputs.map { ManifestDecoder().decode(text: $0.1, file: "t.yaml").errors.map(\.message) }
        }.value
        for (input, messages) in zip(Self.deepInputs, errors) {
            #expect(messages.count == 1 && messages[0].contains("nesting deeper"), "\(input.0)")
        }
    }

    @Test("nesting up to the limit still decodes")
    func nestingWithinLimit() {
        let depth = YAMLStructureScan.maxDepth - 2
        let flow = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nextra: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let r = decode(flow)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.objects.count == 1)
        // Block mappings with indentless sequences (a CRD schema's shape): two levels per indent.
        var block = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nextra:\n"
        for level in 0..<(depth / 2 - 1) { block += String(repeating: " ", count: 2 * level) + "- k\(level):\n" }
        let b = decode(block)
        #expect(b.errors.isEmpty, "\(b.errors)")
        #expect(b.objects.count == 1)
    }

    @Test("NUL bytes, control characters and replaced invalid UTF-8 are errors or values, never traps")
    func invalidCharacters() throws {
        let nul = decode("apiVersion: v1\nkind: Namespace\nmetadata: {name: a\u{0}b}\n")
        #expect(nul.objects.isEmpty && nul.errors.count == 1 && nul.errors[0].message.hasPrefix("invalid YAML"))
        let control = decode("apiVersion: v1\nkind: Namespace\nmetadata: {name: a\u{7}b}\n")
        #expect(control.objects.isEmpty && control.errors.count == 1)
        // What DirectoryProvider passes for bytes that are not UTF-8: replacement characters.
        let bytes: [UInt8] = Array("apiVersion: v1\nkind: Namespace\nmetadata: {name: a".utf8) + [0xFF, 0xFE] + Array("}\n".utf8)
        let replaced = decode(String(decoding: bytes, as: UTF8.self))
        guard case .namespace(let n)? = replaced.objects.first?.object else { Issue.record("\(replaced.errors)"); return }
        #expect(n.name == "a\u{FFFD}\u{FFFD}")
        // The directory loader refuses a file that is not UTF-8 at all.
        let dir = try Processes.temporaryDirectory("utf8")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(bytes).write(to: dir.appendingPathComponent("bad.yaml"))
        let load = try DirectoryLoader().load(root: dir.path)
        #expect(load.errors.map(\.message) == ["file is not UTF-8 text"])
    }

    @Test("random bytes and truncated documents never crash the decoder")
    func fuzz() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("abc: -[]{},?&*!|>'\"#%@`\n\t  01.~\\".unicodeScalars)
        let seed = service(port: "80")
        for round in 0..<2_000 {
            var text = ""
            if round % 2 == 0 {
                for _ in 0..<Int(rng.next() % 200) { text.unicodeScalars.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            } else {
                var scalars = Array(seed.unicodeScalars)
                for _ in 0..<3 { scalars[Int(rng.next() % UInt64(scalars.count))] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                text = String(String.UnicodeScalarView(scalars.prefix(Int(rng.next() % UInt64(scalars.count + 1)))))
            }
            _ = decode(text)
        }
    }

    // MARK: - Size

    @Test("a 1 MiB ConfigMap with 10k keys decodes completely")
    func bigConfigMap() throws {
        var text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: ns}\ndata:\n"
        var expected: [String: String] = [:]
        var i = 0
        while text.utf8.count < 1_048_576 - 200 {
            let key = "key-\(i).conf", value = "value \(i) " + String(repeating: "v", count: 70)
            text += "  \(key): \"\(value)\"\n"
            expected[key] = value
            i += 1
        }
        let r = decode(text)
        #expect(r.errors.isEmpty)
        guard case .configMap(let c)? = r.objects.first?.object else { Issue.record("no ConfigMap"); return }
        #expect(c.data == expected)
        #expect(expected.count > 10_000)
    }

    @Test("a Namespace with 10k labels and a Secret with 10k keys decode completely")
    func manyLabels() throws {
        var text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wide\n  labels:\n"
        for i in 0..<10_000 { text += "    example.com/label-\(i): v\(i)\n" }
        guard case .namespace(let n)? = decode(text).objects.first?.object else { Issue.record("no Namespace"); return }
        #expect(n.metadata.labels?.count == 10_000)
        #expect(n.metadata.labels?["example.com/label-9999"] == "v9999")

        var secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n"
        for i in 0..<10_000 { secret += "  k\(i): aGVsbG8=\n" }
        guard case .secret(let s)? = decode(secret).objects.first?.object else { Issue.record("no Secret"); return }
        #expect(s.data?.count == 10_000)
        #expect(try s.value("k42") == Data("hello".utf8))
    }

    @Test("directory loader: many duplicate definitions warn once per differing definition")
    func manyDuplicates() throws {
        var result = DirectoryLoader.Result()
        let a = AnyKubeObject.namespace(Namespace(metadata: ObjectMeta(name: "n", labels: ["v": "1"])))
        let b = AnyKubeObject.namespace(Namespace(metadata: ObjectMeta(name: "n", labels: ["v": "2"])))
        for i in 0..<1_000 {
            DirectoryLoader.add(i % 10 == 9 ? b : a, SourceLocation(file: "f\(i).yaml", document: 1), to: &result)
        }
        // a→b and b→a changes: 100 + 99.
        #expect(result.warnings.count == 199)
        #expect(result.store.namespaces["n"]?.metadata.labels == ["v": "2"])
    }
}
