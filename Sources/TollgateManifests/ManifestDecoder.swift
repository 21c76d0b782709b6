import Foundation
import TollgateModel
import Yams

/// Decodes the text of one manifest file (multi-document YAML, or JSON) into typed objects.
/// Every document is decoded on its own: one bad document does not hide the others.
///
/// Decoding is linear in the input. A JSON document (text starting with `{` or `[`, as the
/// Kubernetes API server sends objects) is read by `JSONManifestReader`; YAML is parsed document
/// by document by libyaml, built from its events (`YAMLEventReader`) or, for anchors, aliases,
/// tags and errors, through Yams without regex tag resolution. Each becomes a
/// `ManifestTree` (objects index their keys) decoded by `ManifestValueDecoder`. Input is
/// untrusted: nesting deeper than `YAMLStructureScan.maxDepth` and alias expansion past
/// `ManifestTreeBuilder.nodeLimit` are errors, never a crash or a hang.
public struct ManifestDecoder: Sendable {
    public struct Result: Sendable {
        public var objects: [(object: AnyKubeObject, location: SourceLocation)] = []
        public var errors: [ManifestError] = []
        public var warnings: [ManifestWarning] = []
    }

    /// Decode `HTTPRoute`, `Service` and `EndpointSlice` with `ManifestHandDecoder` (falling back
    /// to `Codable` for anything it does not take); off only to compare the two in tests.
    var handWritten = true

    public init() {}

    /// Decodes `text`, read from `file` (a path, or a label naming an API object). Text that
    /// starts with `{` or `[` is read as one JSON document; in a `*.json` file it must be strict
    /// JSON, elsewhere text that is not JSON (flow-style YAML, several documents) is read as YAML,
    /// as it always was.
    public func decode(text: String, file: String) -> Result {
        guard JSONManifestReader.looksLikeJSON(text) else { return decodeYAML(text: text, file: file, events: true) }
        var result = Result()
        let location = SourceLocation(file: file, document: 1)
        do {
            let tree = try JSONManifestReader.read(text)
            decodeDocument(tree, at: ManifestTree.root, location: location, into: &result)
        } catch {
            guard file.hasSuffix(".json") else { return decodeYAML(text: text, file: file, events: true) }
            result.errors.append(ManifestError(location, field: "", error.message))
        }
        return result
    }

    /// `decode(text:file:)` as it was before the JSON and event readers and the hand-written
    /// decoders: every document through Yams' `Node` tree and `Codable`. Kept for the
    /// equivalence tests.
    func decodeViaYams(text: String, file: String) -> Result {
        var plain = self
        plain.handWritten = false
        return plain.decodeYAML(text: text, file: file, events: false)
    }

    /// Every document of a YAML stream; with `events`, through `YAMLEventReader` when it can.
    private func decodeYAML(text: String, file: String, events: Bool) -> Result {
        var result = Result()
        for (index, chunk) in Self.splitDocuments(text).enumerated() {
            let location = SourceLocation(file: file, document: index + 1)
            do {
                guard let tree = try Self.parse(chunk.text, firstLine: chunk.firstLine, events: events) else { continue }
                decodeDocument(tree, at: ManifestTree.root, location: location, into: &result)
            } catch {
                result.errors.append(ManifestError(location, field: error.field, error.message))
            }
        }
        return result
    }

    /// One document's text → its value tree; nil for an empty document. With `events`, a plain
    /// document no deeper than `YAMLEventReader.maxDepth` is built from libyaml's events
    /// (`YAMLEventReader`), which neither recurses nor expands aliases. Any other document has its
    /// structure checked (`YAMLStructureScan`: nesting depth, aliases with complex keys) and goes
    /// through Yams with the basic resolver (no regular expressions); the tree is then built with
    /// aliases bounded.
    static func parse(_ text: String, firstLine: Int, events: Bool = false) throws(ManifestTreeBuilder.Failure) -> ManifestTree? {
        let lineOffset = firstLine - 1
        if events {
            switch YAMLEventReader.read(text, lineOffset: lineOffset) {
            case .tree(let tree): return isEmpty(tree) ? nil : tree
            case .empty: return nil
            case .unsupported: break
            }
        }
        do {
            try YAMLStructureScan.check(text)
        } catch {
            throw .init(field: "", message: "invalid YAML at line \(error.line + lineOffset), column \(error.column): \(error.problem)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, .basic, .default, .utf8)
        } catch {
            throw .init(field: "", message: describeYAML(error, lineOffset: lineOffset))
        }
        guard let node else { return nil }
        let builder = ManifestTreeBuilder(lineOffset: lineOffset,
                                          nodeLimit: ManifestTreeBuilder.nodeLimit(byteCount: text.utf8.count))
        let tree = try builder.build(node)
        return isEmpty(tree) ? nil : tree
    }

    /// A document that is only a null or empty scalar.
    private static func isEmpty(_ tree: ManifestTree) -> Bool {
        if case .scalar(let s) = tree.values[ManifestTree.root], s.kind == .null || s.text.isEmpty { return true }
        return false
    }

    private func decodeDocument(_ tree: ManifestTree, at index: Int, location: SourceLocation, into result: inout Result) {
        guard case .object(let object) = tree.values[index] else {
            result.errors.append(ManifestError(location, field: "", "expected an object with apiVersion and kind"))
            return
        }
        guard let apiVersion = Self.text(tree, object.child("apiVersion")), !apiVersion.isEmpty else {
            result.errors.append(ManifestError(location, field: "apiVersion", "is required"))
            return
        }
        guard let kind = Self.text(tree, object.child("kind")), !kind.isEmpty else {
            result.errors.append(ManifestError(location, field: "kind", "is required"))
            return
        }
        if kind == "List" || kind.hasSuffix("List"), let itemsIndex = object.child("items"),
           case .array(let items) = tree.values[itemsIndex] {
            for item in items { decodeDocument(tree, at: item, location: location, into: &result) }
            return
        }
        let (group, version) = Self.splitAPIVersion(apiVersion)
        guard let objectKind = ObjectKind(rawValue: kind), objectKind.group == group else {
            result.warnings.append(ManifestWarning(location, "skipping unsupported kind \(kind) (\(apiVersion))"))
            return
        }
        guard Self.acceptedVersions[objectKind]?.contains(version) ?? objectKind.acceptedVersions.contains(version) else {
            let accepted = objectKind.acceptedVersions.sorted().joined(separator: ", ")
            result.errors.append(ManifestError(location, field: "apiVersion",
                "\(apiVersion) is not a supported version of \(kind) (supported: \(accepted))"))
            return
        }
        do {
            if handWritten, let object = ManifestHandDecoder.decode(objectKind, tree, at: index) {
                result.objects.append((object, location))
                return
            }
            let object = try Self.decodeObject(objectKind, ManifestValueDecoder(tree: tree, index: index))
            result.objects.append((object, location))
        } catch let error as DecodingError {
            let (field, message) = Self.describe(error)
            result.errors.append(ManifestError(location, field: field, message))
        } catch {
            result.errors.append(ManifestError(location, field: "", "\(error)"))
        }
    }

    /// `ObjectKind.acceptedVersions` (which builds its set on every call), once per kind.
    private static let acceptedVersions: [ObjectKind: Set<String>] =
        Dictionary(uniqueKeysWithValues: ObjectKind.allCases.map { ($0, $0.acceptedVersions) })

    /// The text of a non-null scalar at `index`.
    private static func text(_ tree: ManifestTree, _ index: Int?) -> String? {
        guard let index, case .scalar(let s) = tree.values[index], s.kind != .null else { return nil }
        return s.text
    }

    private static func decodeObject(_ kind: ObjectKind, _ d: ManifestValueDecoder) throws -> AnyKubeObject {
        switch kind {
        case .namespace: return .namespace(try d.decodeValue(Namespace.self))
        case .gatewayClass: return .gatewayClass(try d.decodeValue(GatewayClass.self))
        case .gateway: return .gateway(try d.decodeValue(Gateway.self))
        case .httpRoute: return .httpRoute(try d.decodeValue(HTTPRoute.self))
        case .backendTLSPolicy: return .backendTLSPolicy(try d.decodeValue(BackendTLSPolicy.self))
        case .referenceGrant: return .referenceGrant(try d.decodeValue(ReferenceGrant.self))
        case .secret: return .secret(try d.decodeValue(Secret.self))
        case .configMap: return .configMap(try d.decodeValue(ConfigMap.self))
        case .service: return .service(try d.decodeValue(Service.self))
        case .endpointSlice: return .endpointSlice(try d.decodeValue(EndpointSlice.self))
        case .nginxProxy: return .nginxProxy(try d.decodeValue(NginxProxy.self))
        }
    }

    /// `group/version` → (group, version); `v1` → ("", "v1").
    static func splitAPIVersion(_ s: String) -> (String, String) {
        guard let slash = s.lastIndex(of: "/") else { return ("", s) }
        return (String(s[..<slash]), String(s[s.index(after: slash)...]))
    }

    static func describeYAML(_ error: Error, lineOffset: Int) -> String {
        guard let y = error as? YamlError else { return "invalid YAML: \(error)" }
        switch y {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "invalid YAML at line \(mark.line + lineOffset), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            return "invalid YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { $0.count > 100 ? $0.prefix(100) + "…" : $0 }
            let keys = names.count == 1 ? "key \(names[0])" : "keys \(names.joined(separator: ", "))"
            return "invalid YAML at line \(context.mark.line + lineOffset), column \(context.mark.column): duplicate \(keys)"
        default:
            return "invalid YAML: \(y)"
        }
    }

    /// Turns a DecodingError into (field path, message).
    static func describe(_ error: DecodingError) -> (String, String) {
        switch error {
        case .keyNotFound(let key, let ctx):
            return (path(ctx.codingPath + [key]), "is required")
        case .typeMismatch(let type, let ctx):
            return (path(ctx.codingPath), "expected \(typeName(type))")
        case .valueNotFound(let type, let ctx):
            return (path(ctx.codingPath), "expected \(typeName(type)), found null")
        case .dataCorrupted(let ctx):
            return (path(ctx.codingPath), ctx.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        var out = ""
        for k in keys {
            if let i = k.intValue, k.stringValue == "\(i)" || k.stringValue.hasPrefix("Index") {
                out += "[\(i)]"
            } else {
                if !out.isEmpty { out += "." }
                out += k.stringValue
            }
        }
        return out
    }

    private static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        default:
            let n = "\(t)"
            if n.hasPrefix("Array") { return "a list" }
            if n.hasPrefix("Dictionary") { return "an object" }
            return "a value of type \(n)"
        }
    }
}
