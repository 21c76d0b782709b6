import Foundation
import Testing
import TollgateManifests
import TollgateModel

@Suite struct ManifestDecoderTests {
    let decoder = ManifestDecoder()

    @Test("multi-document YAML: every valid document loads; errors name file, document and field")
    func multiDocument() {
        let text = """
        # leading comment
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          gatewayClassName: nginx
          listeners:
          - {name: http, port: eighty, protocol: HTTP}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c, namespace: other}
        data: {ca.crt: x}
        ...
        """
        let r = decoder.decode(text: text, file: "m.yaml")
        #expect(r.objects.map { $0.object.key.description } == ["Service default/a", "ConfigMap other/c"])
        #expect(r.objects.map(\.location.document) == [1, 3])
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.description == "m.yaml (document 2): field spec.listeners[0].port: expected an integer")
    }

    @Test("missing required fields and unsupported versions are errors; unknown kinds one warning")
    func requiredAndUnknown() {
        let text = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: x}
        spec: {}
        ---
        apiVersion: gateway.networking.k8s.io/v9
        kind: Gateway
        metadata: {name: g}
        spec: {gatewayClassName: c, listeners: []}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        ---
        kind: Secret
        metadata: {name: s}
        """
        let r = decoder.decode(text: text, file: "f.yaml")
        #expect(r.objects.isEmpty)
        #expect(r.errors.map(\.field) == ["metadata.name", "apiVersion", "apiVersion"])
        #expect(r.errors[1].message.contains("v9 is not a supported version of Gateway"))
        #expect(r.warnings.count == 1 && r.warnings[0].description == "f.yaml (document 3): skipping unsupported kind Deployment (apps/v1)")
    }

    @Test("JSON manifests and List kinds")
    func jsonAndList() throws {
        let json = """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "labels": {"env": "prod"}}},
          {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team"}, "type": "Opaque", "data": {"ca.crt": "aGVsbG8="}}
        ]}
        """
        let r = decoder.decode(text: json, file: "x.json")
        #expect(r.errors.isEmpty)
        #expect(r.objects.count == 2)
        guard case .secret(let s)? = r.objects.last?.object else { Issue.record("expected a Secret"); return }
        #expect(try s.value("ca.crt") == Data("hello".utf8))
        guard case .namespace(let n)? = r.objects.first?.object else { Issue.record("expected a Namespace"); return }
        #expect(n.effectiveLabels == ["env": "prod", "kubernetes.io/metadata.name": "team"])
    }

    @Test("a YAML syntax error reports the file line, and only that document is lost")
    func syntaxErrorLine() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: [b\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n"
        let r = decoder.decode(text: text, file: "s.yaml")
        #expect(r.objects.map { $0.object.key.name } == ["a", "c"])
        #expect(r.errors.count == 1)
        #expect(r.errors[0].location.document == 2)
        #expect(r.errors[0].message.contains("line 7") || r.errors[0].message.contains("line 8"), "\(r.errors[0])")
    }

    @Test("Secret stringData wins over data; invalid base64 is reported")
    func secretValues() throws {
        let text = """
        apiVersion: v1
        kind: Secret
        metadata: {name: s}
        data: {a: aGVsbG8=, bad: "@@@"}
        stringData: {a: plain}
        """
        let r = decoder.decode(text: text, file: "s.yaml")
        guard case .secret(let s)? = r.objects.first?.object else { Issue.record("no secret"); return }
        #expect(try s.value("a") == Data("plain".utf8))
        #expect(throws: Secret.ValueError.self) { try s.value("bad") }
    }

    @Test("directory loader: identical duplicates are silent, differing ones warn and the later wins")
    func duplicates() throws {
        let dir = try Processes.temporaryDirectory("dup")
        defer { try? FileManager.default.removeItem(at: dir) }
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n"
        try svc.write(to: dir.appendingPathComponent("1.yaml"), atomically: true, encoding: .utf8)
        try svc.write(to: dir.appendingPathComponent("2.yml"), atomically: true, encoding: .utf8)
        try svc.replacingOccurrences(of: "80", with: "81").write(to: dir.appendingPathComponent("3.yaml"), atomically: true, encoding: .utf8)
        try "not a manifest".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let r = try DirectoryLoader().load(root: dir.path)
        #expect(r.warnings.count == 1 && r.warnings[0].location.file.hasSuffix("3.yaml"))
        #expect(r.store.services[ObjectKey(kind: .service, namespace: "default", name: "a")]?.spec?.ports?.first?.port == 81)
        #expect(throws: DirectoryLoader.LoaderError.self) { try DirectoryLoader().load(root: dir.appendingPathComponent("missing").path) }
    }
}
