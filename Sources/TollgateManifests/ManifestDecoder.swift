import Foundation
import TollgateModel
import Yams

/// Decodes the text of one manifest file (multi-document YAML, or JSON) into typed objects.
/// Every document is decoded on its own: one bad document does not hide the others.
public struct ManifestDecoder: Sendable {
    public struct Result: Sendable {
        public var objects: [(object: AnyKubeObject, location: SourceLocation)] = []
        public var errors: [ManifestError] = []
        public var warnings: [ManifestWarning] = []
    }

    public init() {}

    public func decode(text: String, file: String) -> Result {
        var result = Result()
        for (index, chunk) in Self.splitDocuments(text).enumerated() {
            let location = SourceLocation(file: file, document: index + 1)
            let node: Node?
            do {
                node = try Yams.compose(yaml: chunk.text)
            } catch {
                result.errors.append(ManifestError(location, field: "", Self.describeYAML(error, lineOffset: chunk.firstLine - 1)))
                continue
            }
            guard let node, !Self.isEmpty(node) else { continue }
            decodeNode(node, location: location, into: &result)
        }
        return result
    }

    private func decodeNode(_ node: Node, location: SourceLocation, into result: inout Result) {
        guard node.mapping != nil else {
            result.errors.append(ManifestError(location, field: "", "expected an object with apiVersion and kind"))
            return
        }
        let apiVersion = node["apiVersion"]?.string
        let kind = node["kind"]?.string
        guard let apiVersion, !apiVersion.isEmpty else {
            result.errors.append(ManifestError(location, field: "apiVersion", "is required"))
            return
        }
        guard let kind, !kind.isEmpty else {
            result.errors.append(ManifestError(location, field: "kind", "is required"))
            return
        }
        if kind == "List" || kind.hasSuffix("List"), let items = node["items"]?.sequence {
            for item in items { decodeNode(item, location: location, into: &result) }
            return
        }
        let (group, version) = Self.splitAPIVersion(apiVersion)
        guard let objectKind = ObjectKind(rawValue: kind), objectKind.group == group else {
            result.warnings.append(ManifestWarning(location, "skipping unsupported kind \(kind) (\(apiVersion))"))
            return
        }
        guard objectKind.acceptedVersions.contains(version) else {
            let accepted = objectKind.acceptedVersions.sorted().joined(separator: ", ")
            result.errors.append(ManifestError(location, field: "apiVersion",
                "\(apiVersion) is not a supported version of \(kind) (supported: \(accepted))"))
            return
        }
        do {
            let object = try Self.decodeObject(objectKind, node)
            result.objects.append((object, location))
        } catch let error as DecodingError {
            let (field, message) = Self.describe(error)
            result.errors.append(ManifestError(location, field: field, message))
        } catch {
            result.errors.append(ManifestError(location, field: "", "\(error)"))
        }
    }

    private static func decodeObject(_ kind: ObjectKind, _ node: Node) throws -> AnyKubeObject {
        let d = YAMLDecoder()
        switch kind {
        case .namespace: return .namespace(try d.decode(Namespace.self, from: node))
        case .gatewayClass: return .gatewayClass(try d.decode(GatewayClass.self, from: node))
        case .gateway: return .gateway(try d.decode(Gateway.self, from: node))
        case .httpRoute: return .httpRoute(try d.decode(HTTPRoute.self, from: node))
        case .backendTLSPolicy: return .backendTLSPolicy(try d.decode(BackendTLSPolicy.self, from: node))
        case .referenceGrant: return .referenceGrant(try d.decode(ReferenceGrant.self, from: node))
        case .secret: return .secret(try d.decode(Secret.self, from: node))
        case .configMap: return .configMap(try d.decode(ConfigMap.self, from: node))
        case .service: return .service(try d.decode(Service.self, from: node))
        case .endpointSlice: return .endpointSlice(try d.decode(EndpointSlice.self, from: node))
        case .nginxProxy: return .nginxProxy(try d.decode(NginxProxy.self, from: node))
        }
    }

    /// `group/version` → (group, version); `v1` → ("", "v1").
    static func splitAPIVersion(_ s: String) -> (String, String) {
        guard let slash = s.lastIndex(of: "/") else { return ("", s) }
        return (String(s[..<slash]), String(s[s.index(after: slash)...]))
    }

    private static func isEmpty(_ node: Node) -> Bool {
        if case .scalar(let s) = node { return s.string.isEmpty || s.string == "~" || s.string == "null" }
        return false
    }

    /// Splits a YAML stream at `---` / `...` document markers (at column 0). Each document keeps
    /// the file line it starts on, so errors can name file lines.
    static func splitDocuments(_ text: String) -> [(text: String, firstLine: Int)] {
        var docs: [(String, Int)] = []
        var current: [Substring] = []
        var start = 1
        var sawContent = false
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed == "---" || trimmed.hasPrefix("--- ") || trimmed == "..." {
                if sawContent { docs.append((current.joined(separator: "\n"), start)) }
                current = []
                sawContent = false
                start = i + 2
                if trimmed.hasPrefix("--- ") {
                    current.append(trimmed.dropFirst(4)); sawContent = true; start = i + 1
                }
                continue
            }
            current.append(line)
            let t = line.trimmingCharacters(in: .whitespaces)
            if !t.isEmpty && !t.hasPrefix("#") { sawContent = true }
        }
        if sawContent { docs.append((current.joined(separator: "\n"), start)) }
        return docs
    }

    private static func describeYAML(_ error: Error, lineOffset: Int) -> String {
        guard let y = error as? YamlError else { return "invalid YAML: \(error)" }
        switch y {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "invalid YAML at line \(mark.line + lineOffset), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            return "invalid YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "invalid YAML: duplicate keys \(duplicates.joined(separator: ", "))"
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
