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
    /// Key → offset, only for objects with more than `ManifestKeys.linearLimit` keys; smaller
    /// ones (nearly every object of a manifest) are searched by a short scan of `keys`.
    var offsets: [String: Int]?

    init(first: Int, keys: ManifestKeys) {
        self.first = first
        self.keys = keys.names
        self.offsets = keys.index
    }

    init(first: Int, keys: [String], offsets: [String: Int]?) {
        self.first = first
        self.keys = keys
        self.offsets = offsets
    }

    /// The offset of `key` among the keys, if present.
    func offset(_ key: String) -> Int? {
        if let offsets { return offsets[key] }
        return keys.firstIndex(of: key)
    }

    /// The index of the value stored under `key`, if any.
    func child(_ key: String) -> Int? { offset(key).map { first + $0 } }

    func key(at child: Int) -> String {
        let offset = child - first
        return keys.indices.contains(offset) ? keys[offset] : ""
    }

    var children: Range<Int> { first..<(first + keys.count) }
}

/// The keys of a mapping being built, in document order, refusing duplicates: a linear scan
/// while there are at most `linearLimit` keys (no hashing, no dictionary for small objects),
/// a dictionary beyond. Each insert costs at most `linearLimit` comparisons or one hash, so
/// building stays linear in the keys.
struct ManifestKeys: Sendable {
    static let linearLimit = 8

    private(set) var names: [String] = []
    private(set) var index: [String: Int]?

    init() {}

    var count: Int { names.count }

    /// Appends `key`; false (and nothing appended) when the mapping already has it.
    mutating func insert(_ key: String) -> Bool {
        if index != nil {
            guard index!.updateValue(names.count, forKey: key) == nil else { return false }
        } else {
            guard !names.contains(key) else { return false }
            if names.count == Self.linearLimit {
                var built: [String: Int] = [:]
                built.reserveCapacity(2 * Self.linearLimit + 2)
                for (offset, name) in names.enumerated() { built[name] = offset }
                built[key] = names.count
                index = built
            }
        }
        names.append(key)
        return true
    }

    mutating func reserveCapacity(_ n: Int) {
        names.reserveCapacity(n)
        if n > Self.linearLimit, index == nil {
            var built: [String: Int] = [:]
            built.reserveCapacity(n)
            for (offset, name) in names.enumerated() { built[name] = offset }
            index = built
        }
    }
}

/// The keys of the mappings a streaming reader has open, innermost last, in one buffer: each
/// mapping's keys become one array of the exact size when it closes (no growth per key). Refuses
/// duplicates like `ManifestKeys`: a short scan up to `ManifestKeys.linearLimit` keys, a
/// dictionary (kept by the caller, per mapping) beyond.
struct ManifestPendingKeys {
    private let names = ManifestMoveBuffer<String>(capacity: 32)

    init() {}

    var count: Int { names.count }

    /// Appends `key` to the open mapping whose keys start at `start`; false (and nothing
    /// appended) when it already has it.
    mutating func insert(_ key: String, start: Int, index: inout [String: Int]?) -> Bool {
        let offset = names.count - start
        if index != nil {
            guard index!.updateValue(offset, forKey: key) == nil else { return false }
        } else {
            if names.contains(from: start, where: { $0 == key }) { return false }
            if offset == ManifestKeys.linearLimit {
                var built: [String: Int] = [:]
                built.reserveCapacity(2 * ManifestKeys.linearLimit + 2)
                for i in start..<names.count { built[names[i]] = i - start }
                built[key] = offset
                index = built
            }
        }
        names.append(key)
        return true
    }

    /// The keys from `start` on, removed.
    mutating func take(from start: Int) -> [String] { names.moveOut(from: start) }
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
