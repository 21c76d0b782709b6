import Foundation

/// The three patch formats the double accepts, applied to a stored object.
///
/// - JSON merge patch (RFC 7386), for every kind.
/// - JSON patch (RFC 6902), for every kind.
/// - Strategic merge patch, for built-in kinds only (custom resources answer 415, as the real server
///   does). It is an approximation of the real algorithm: merge-patch semantics plus the
///   directives kubectl sends (`$patch: replace|delete|merge`, `$retainKeys`,
///   `$setElementOrder/FIELD`, `$deleteFromPrimitiveList/FIELD`) and list-merge by key for the
///   lists of the served built-in kinds that declare a merge key (`spec.ports` by `port`,
///   `status.conditions` by `type`, `metadata.ownerReferences` by `uid`, `metadata.finalizers` as a
///   set). Every other list is replaced whole.
enum Patch {
    enum Format: String, Sendable {
        case json = "application/json-patch+json"
        case merge = "application/merge-patch+json"
        case strategic = "application/strategic-merge-patch+json"
        case apply = "application/apply-patch+yaml"
    }

    static func apply(_ format: Format, patch: JSONValue, to original: JSONValue, type: ResourceType) throws(APIError) -> JSONValue {
        switch format {
        case .merge:
            return merge(original, patch)
        case .json:
            return try jsonPatch(original, patch)
        case .strategic:
            guard type.origin == .builtIn else { throw Patch.unsupported(format.rawValue) }
            guard case .object = patch else { throw .badRequest("strategic merge patch must be a JSON object") }
            return strategic(original, patch, path: [], keys: MergeKeys.forKind(type.kind)) ?? .object([:])
        case .apply:
            throw Patch.unsupported(format.rawValue)
        }
    }

    static let acceptedFormats = [Format.json.rawValue, Format.merge.rawValue, Format.strategic.rawValue]

    static func unsupported(_ contentType: String) -> APIError {
        // The double does not implement server-side apply: the real server would accept it.
        APIError.unsupportedMediaType(contentType, accepted: [Format.json.rawValue, Format.merge.rawValue, Format.strategic.rawValue])
    }

    // MARK: JSON merge patch

    static func merge(_ target: JSONValue?, _ patch: JSONValue) -> JSONValue {
        guard case .object(let members) = patch else { return patch }
        var result = target?.objectValue ?? [:]
        for (key, value) in members {
            if value.isNull { result[key] = nil } else { result[key] = merge(result[key], value) }
        }
        return .object(result)
    }

    // MARK: Strategic merge patch

    /// List fields of the served built-in kinds that merge instead of being replaced.
    enum MergeKeys {
        enum Strategy: Equatable { case byKey(String), set }
        static func forKind(_ kind: String) -> [String: Strategy] {
            var keys: [String: Strategy] = ["metadata.ownerReferences": .byKey("uid"), "metadata.finalizers": .set]
            switch kind {
            case "Service":
                keys["spec.ports"] = .byKey("port")
                keys["status.conditions"] = .byKey("type")
            case "Namespace":
                keys["status.conditions"] = .byKey("type")
            default: break
            }
            return keys
        }
    }

    /// nil means "delete this field".
    static func strategic(_ original: JSONValue?, _ patch: JSONValue, path: [String], keys: [String: MergeKeys.Strategy]) -> JSONValue? {
        guard case .object(var members) = patch else { return patch }
        switch members["$patch"]?.stringValue {
        case "replace": members["$patch"] = nil; return .object(members)
        case "delete": return nil
        default: members["$patch"] = nil
        }
        var result = original?.objectValue ?? [:]
        let retain = members.removeValue(forKey: "$retainKeys")?.arrayValue?.compactMap(\.stringValue)
        var orders: [String: [JSONValue]] = [:]
        for (key, value) in members {
            if key.hasPrefix("$setElementOrder/") {
                orders[String(key.dropFirst("$setElementOrder/".count))] = value.arrayValue ?? []
            } else if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let remove = value.arrayValue ?? []
                if let list = result[field]?.arrayValue { result[field] = .array(list.filter { !remove.contains($0) }) }
            }
        }
        for (key, value) in members where !key.hasPrefix("$") {
            let fieldPath = (path + [key]).joined(separator: ".")
            if value.isNull { result[key] = nil; continue }
            if case .array(let items) = value, let strategy = keys[fieldPath] {
                result[key] = .array(mergeList(result[key]?.arrayValue ?? [], items, strategy: strategy, path: path + [key], keys: keys))
            } else if case .object = value {
                result[key] = strategic(result[key], value, path: path + [key], keys: keys)
            } else {
                result[key] = value
            }
        }
        for (field, order) in orders {
            if let list = result[field]?.arrayValue, case .byKey(let k)? = keys[(path + [field]).joined(separator: ".")] {
                result[field] = .array(reorder(list, by: order.compactMap { $0[k] }, key: k))
            } else if let list = result[field]?.arrayValue, keys[(path + [field]).joined(separator: ".")] == .set {
                result[field] = .array(order.filter(list.contains) + list.filter { !order.contains($0) })
            }
        }
        if let retain { result = result.filter { retain.contains($0.key) } }
        return .object(result)
    }

    private static func mergeList(_ original: [JSONValue], _ patch: [JSONValue], strategy: MergeKeys.Strategy, path: [String], keys: [String: MergeKeys.Strategy]) -> [JSONValue] {
        switch strategy {
        case .set:
            return original + patch.filter { !original.contains($0) }
        case .byKey(let key):
            var result = original
            for item in patch {
                guard let id = item[key] else { result.append(item); continue }
                let index = result.firstIndex { $0[key] == id }
                if item["$patch"]?.stringValue == "delete" {
                    if let index { result.remove(at: index) }
                } else if let index {
                    if let merged = strategic(result[index], item, path: path, keys: keys) { result[index] = merged } else { result.remove(at: index) }
                } else if let created = strategic(nil, item, path: path, keys: keys) {
                    result.append(created)
                }
            }
            return result
        }
    }

    private static func reorder(_ list: [JSONValue], by order: [JSONValue], key: String) -> [JSONValue] {
        let ordered = order.compactMap { id in list.first { $0[key] == id } }
        return ordered + list.filter { item in !order.contains { $0 == item[key] } }
    }

    // MARK: JSON patch

    static func jsonPatch(_ original: JSONValue, _ patch: JSONValue) throws(APIError) -> JSONValue {
        guard case .array(let operations) = patch else { throw .badRequest("json patch must be a JSON array of operations") }
        var doc = original
        for op in operations {
            guard let name = op["op"]?.stringValue, let path = op["path"]?.stringValue else {
                throw .badRequest("invalid JSON patch operation: \(op.text)")
            }
            let pointer = try JSONPointer(path)
            switch name {
            case "add":
                guard let value = op["value"] else { throw .badRequest("add operation requires a value") }
                doc = try pointer.add(value, to: doc)
            case "remove":
                doc = try pointer.remove(from: doc).document
            case "replace":
                guard let value = op["value"] else { throw .badRequest("replace operation requires a value") }
                _ = try pointer.get(doc)
                doc = try pointer.remove(from: doc).document
                doc = try pointer.add(value, to: doc)
            case "move", "copy":
                guard let from = op["from"]?.stringValue else { throw .badRequest("\(name) operation requires from") }
                let source = try JSONPointer(from)
                let value = try source.get(doc)
                if name == "move" { doc = try source.remove(from: doc).document }
                doc = try pointer.add(value, to: doc)
            case "test":
                guard let value = op["value"] else { throw .badRequest("test operation requires a value") }
                guard try pointer.get(doc) == value else {
                    throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: testing value \(path) failed")
                }
            default:
                throw .badRequest("unknown JSON patch operation \"\(name)\"")
            }
        }
        return doc
    }
}

/// An RFC 6901 pointer, for JSON patch.
struct JSONPointer {
    var tokens: [String]

    init(_ text: String) throws(APIError) {
        guard text.isEmpty || text.hasPrefix("/") else { throw .badRequest("JSON pointer \"\(text)\" must start with '/'") }
        tokens = text.isEmpty ? [] : text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func missing(_ token: String) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: missing value at \(token)")
    }

    func get(_ doc: JSONValue) throws(APIError) -> JSONValue {
        var current = doc
        for t in tokens {
            switch current {
            case .object(let o):
                guard let next = o[t] else { throw JSONPointer.missing(t) }
                current = next
            case .array(let a):
                guard let i = Int(t), a.indices.contains(i) else { throw JSONPointer.missing(t) }
                current = a[i]
            default: throw JSONPointer.missing(t)
            }
        }
        return current
    }

    func add(_ value: JSONValue, to doc: JSONValue) throws(APIError) -> JSONValue {
        try JSONPointer.add(value, to: doc, tokens[...])
    }

    private static func add(_ value: JSONValue, to doc: JSONValue, _ rest: ArraySlice<String>) throws(APIError) -> JSONValue {
        guard let t = rest.first else { return value }
        let last = rest.count == 1
        switch doc {
        case .object(var o):
            if last { o[t] = value } else {
                guard let child = o[t] else { throw missing(t) }
                o[t] = try add(value, to: child, rest.dropFirst())
            }
            return .object(o)
        case .array(var a):
            if last {
                if t == "-" { a.append(value) } else {
                    guard let i = Int(t), i >= 0, i <= a.count else { throw missing(t) }
                    a.insert(value, at: i)
                }
            } else {
                guard let i = Int(t), a.indices.contains(i) else { throw missing(t) }
                a[i] = try add(value, to: a[i], rest.dropFirst())
            }
            return .array(a)
        default:
            throw missing(t)
        }
    }

    func remove(from doc: JSONValue) throws(APIError) -> (document: JSONValue, removed: JSONValue) {
        try JSONPointer.remove(from: doc, tokens[...])
    }

    private static func remove(from doc: JSONValue, _ rest: ArraySlice<String>) throws(APIError) -> (document: JSONValue, removed: JSONValue) {
        guard let t = rest.first else { throw APIError.badRequest("cannot remove the whole document") }
        let last = rest.count == 1
        switch doc {
        case .object(var o):
            guard let child = o[t] else { throw missing(t) }
            if last { o[t] = nil; return (.object(o), child) }
            let r = try remove(from: child, rest.dropFirst())
            o[t] = r.document
            return (.object(o), r.removed)
        case .array(var a):
            guard let i = Int(t), a.indices.contains(i) else { throw missing(t) }
            if last { let v = a.remove(at: i); return (.array(a), v) }
            let r = try remove(from: a[i], rest.dropFirst())
            a[i] = r.document
            return (.array(a), r.removed)
        default:
            throw missing(t)
        }
    }
}
