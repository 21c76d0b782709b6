/// A `Decoder` over a `ManifestTree`, with the rules the Kubernetes API server applies to JSON:
/// integer fields take only integer scalars (a quoted `"80"` is not an integer), booleans only
/// boolean scalars, strings any non-null scalar's text (`version: 1` is the string `"1"`).
/// Keys are found through each object's dictionary, so decoding is linear in the document.
/// Decoding recurses only as deep as the Swift types being decoded, never as deep as the input.
struct ManifestValueDecoder: Decoder {
    let tree: ManifestTree
    let index: Int
    /// The value decoding started from (a document, or one item of a `List`): coding paths are
    /// relative to it, and computed from the tree only when asked for (on errors).
    let base: Int
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(tree: ManifestTree, index: Int = ManifestTree.root) {
        self.init(tree: tree, index: index, base: index)
    }

    private init(tree: ManifestTree, index: Int, base: Int) {
        self.tree = tree
        self.index = index
        self.base = base
    }

    /// The decoder of a child value (an object's value or a list's item).
    func child(_ index: Int) -> ManifestValueDecoder {
        ManifestValueDecoder(tree: tree, index: index, base: base)
    }

    var codingPath: [any CodingKey] {
        var keys: [any CodingKey] = []
        var child = index
        while child != base, child > 0, child < tree.parents.count {
            let parent = tree.parents[child]
            guard parent >= 0 else { break }
            switch tree.values[parent] {
            case .array(let range): keys.append(ManifestCodingKey(intValue: child - range.lowerBound))
            case .object(let object): keys.append(ManifestCodingKey(stringValue: object.key(at: child)))
            case .scalar: break
            }
            child = parent
        }
        return keys.reversed()
    }

    var value: ManifestTree.Value { tree.values[index] }

    var isNull: Bool {
        if case .scalar(let s) = value, s.kind == .null { return true }
        return false
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch([String: Any].self) }
        return KeyedDecodingContainer(ManifestKeyedContainer<Key>(decoder: self, object: object))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let range) = value else { throw mismatch([Any].self) }
        return ManifestUnkeyedContainer(decoder: self, items: range)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: - Values

    /// The error for a value that is not what `expected` needs: null, or another kind.
    func mismatch(_ expected: Any.Type) -> DecodingError {
        let context = DecodingError.Context(codingPath: codingPath, debugDescription: "found \(describeValue())")
        return isNull ? .valueNotFound(expected, context) : .typeMismatch(expected, context)
    }

    private func describeValue() -> String {
        switch value {
        case .object: return "an object"
        case .array: return "a list"
        case .scalar(let s):
            switch s.kind {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a number"
            case .string: return "a string"
            }
        }
    }

    func decodeString() throws -> String {
        guard case .scalar(let s) = value, s.kind != .null else { throw mismatch(String.self) }
        return s.text
    }

    func decodeBool() throws -> Bool {
        guard case .scalar(let s) = value, case .bool(let b) = s.kind else { throw mismatch(Bool.self) }
        return b
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .scalar(let s) = value, case .int(let v) = s.kind else { throw mismatch(T.self) }
        guard let v, let exact = T(exactly: v) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "integer out of range"))
        }
        return exact
    }

    func decodeFloat<T: BinaryFloatingPoint>(_ type: T.Type) throws -> T {
        guard case .scalar(let s) = value else { throw mismatch(T.self) }
        switch s.kind {
        case .int(let v?): return T(v)
        case .int(nil), .float:
            if let d = Self.floatValue(s.text) { return T(d) }
            throw mismatch(T.self)
        default: throw mismatch(T.self)
        }
    }

    private static func floatValue(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: return Double(text.filter { $0 != "_" })
        }
    }

    /// A `[String: String]` straight from an object (labels, annotations, ConfigMap and Secret
    /// data): one dictionary insert per key. A null value is the empty string, as in Kubernetes.
    func decodeStringMap() throws -> [String: String] {
        guard case .object(let object) = value else { throw mismatch([String: String].self) }
        var out: [String: String] = [:]
        out.reserveCapacity(object.keys.count)
        for (offset, key) in object.keys.enumerated() {
            let item = object.first + offset
            switch tree.values[item] {
            case .scalar(let s): out[key] = s.kind == .null ? "" : s.text
            default: throw child(item).mismatch(String.self)
            }
        }
        return out
    }

    /// `[String: String]`'s type, looked up once: comparing with it in unspecialised generic code
    /// would otherwise instantiate the dictionary's metadata on every call.
    private static let stringMapType = ObjectIdentifier([String: String].self)

    /// Decodes any type, taking the direct paths for scalars and string maps.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if ObjectIdentifier(T.self) == Self.stringMapType, let v = try decodeStringMap() as? T { return v }
        if T.self == String.self, let v = try decodeString() as? T { return v }
        if T.self == Int.self, let v = try decodeInteger(Int.self) as? T { return v }
        if T.self == Int64.self, let v = try decodeInteger(Int64.self) as? T { return v }
        if T.self == Bool.self, let v = try decodeBool() as? T { return v }
        return try T(from: self)
    }
}

extension ManifestValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decodeFloat(Double.self) }
    func decode(_ type: Float.Type) throws -> Float { try decodeFloat(Float.self) }
    func decode(_ type: Int.Type) throws -> Int { try decodeInteger(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeInteger(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeInteger(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeInteger(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeInteger(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeInteger(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeInteger(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeInteger(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeInteger(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeInteger(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(T.self) }
}

/// Object keys (`stringValue`) and list positions (`Index N`, with `intValue`).
struct ManifestCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init(intValue: Int) { self.stringValue = "Index \(intValue)"; self.intValue = intValue }
}
