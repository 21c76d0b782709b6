import Foundation

/// A JSON document as the double stores and serves it: Kubernetes objects, patches and Status
/// bodies. Integers and floating-point numbers are kept apart so that `port: 80` stays `80` on the
/// wire. Objects serialize with sorted keys, so equal values always produce equal bytes.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text. Throws ``JSONValue/ParseError`` with the byte offset of the first problem.
    public init(parsing data: Data) throws(ParseError) {
        self = try JSONParser.parse(Array(data))
    }

    /// Parses JSON text.
    public init(parsing text: String) throws(ParseError) {
        self = try JSONParser.parse(Array(text.utf8))
    }

    /// Compact JSON text with sorted object keys.
    public func serialized() -> Data { Data(JSONWriter.write(self)) }

    /// Compact JSON text with sorted object keys.
    public var text: String { String(decoding: JSONWriter.write(self), as: UTF8.self) }

    /// Why text is not JSON, and where.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at offset \(offset): \(message)" }
    }
}

// MARK: - Access

extension JSONValue {
    /// The member `key` of an object; nil for a missing member or a non-object.
    public subscript(key: String) -> JSONValue? {
        get { if case .object(let o) = self { return o[key] } else { return nil } }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    /// Follows object members; nil as soon as one is missing.
    public subscript(path path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path { current = current?[key] }
        return current
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// `metadata.name`, `metadata.namespace` and friends.
    var metadata: [String: JSONValue] { self["metadata"]?.objectValue ?? [:] }
    var name: String? { metadata["name"]?.stringValue }
    var namespace: String? { metadata["namespace"]?.stringValue }
    var uid: String? { metadata["uid"]?.stringValue }
    var labels: [String: String] { (metadata["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
    var resourceVersion: String? { metadata["resourceVersion"]?.stringValue }

    /// Sets `metadata.KEY` (removes it for nil), creating `metadata` if needed.
    mutating func setMetadata(_ key: String, _ value: JSONValue?) {
        var meta = metadata
        meta[key] = value
        self["metadata"] = .object(meta)
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { text }
}
