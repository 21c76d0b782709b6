/// One decoded YAML (or JSON) document as a flat tree of values: every value sits in `values`
/// and refers to its children by index, so nothing here recurses (not even deinitialisation) and
/// objects find a key through a dictionary instead of a scan.
struct ManifestTree: Sendable {
    /// One value of the document.
    enum Value: Sendable {
        case scalar(ManifestScalar)
        /// A list; its items are `values[range]`, in order.
        case array(Range<Int>)
        case object(ManifestObject)
    }

    /// The root is `values[0]`; the items of a list, and the values of an object, sit next to each
    /// other (in document order).
    var values: [Value]
    /// The parent of each value (`-1` for the root), to name the field of an error.
    var parents: [Int]

    static let root = 0

    /// The dotted field path of `index` (`spec.listeners[0].port`), empty for the root.
    func path(of index: Int) -> String {
        var parts: [String] = []
        var child = index
        while child > 0, child < parents.count {
            let parent = parents[child]
            guard parent >= 0 else { break }
            switch values[parent] {
            case .array(let range): parts.append("[\(child - range.lowerBound)]")
            case .object(let object): parts.append(object.key(at: child))
            case .scalar: break
            }
            child = parent
        }
        var out = ""
        for part in parts.reversed() {
            if !out.isEmpty && !part.hasPrefix("[") { out += "." }
            out += part
        }
        return out
    }

    /// `path(of:)` extended by one key.
    func path(of index: Int, key: String) -> String {
        let base = path(of: index)
        return base.isEmpty ? key : base + "." + key
    }
}

/// A mapping: keys in document order, each value at `first + offset`.
struct ManifestObject: Sendable {
    var first: Int
    var keys: [String]
    var offsets: [String: Int]

    /// The index of the value stored under `key`, if any.
    func child(_ key: String) -> Int? { offsets[key].map { first + $0 } }

    func key(at child: Int) -> String {
        let offset = child - first
        return keys.indices.contains(offset) ? keys[offset] : ""
    }

    var children: Range<Int> { first..<(first + keys.count) }
}

/// A scalar with its original text and what it resolves to (the way Kubernetes' YAML reader,
/// go-yaml v2, resolves plain scalars).
struct ManifestScalar: Sendable {
    enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        /// An integer; `nil` when it does not fit in 64 bits.
        case int(Int64?)
        case float
        case string
    }

    enum Style: Sendable, Equatable { case plain, singleQuoted, doubleQuoted, literal, folded }

    /// The scalar's text after YAML unquoting/folding (what a `String` field receives).
    var text: String
    var kind: Kind
    var style: Style
    /// 1-based line in the file.
    var line: Int
}
