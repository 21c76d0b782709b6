/// Where an object lives inside one collection: the etcd key order (namespace, then name) is the
/// order of every list.
struct ObjectKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// "" for cluster-scoped objects.
    var namespace: String
    var name: String

    static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }

    var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    /// The `start` of a continue token.
    var token: String { "\(namespace)/\(name)" }

    init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    init?(token: String) {
        guard let slash = token.firstIndex(of: "/") else { return nil }
        namespace = String(token[..<slash])
        name = String(token[token.index(after: slash)...])
    }
}

/// One change in the event history, as etcd's watch would report it.
struct StoreEvent: Sendable {
    enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    var kind: Kind
    /// The revision this change created.
    var revision: Int
    var storageKey: String
    var key: ObjectKey
    /// The new state; for DELETED the last state, stamped with the deletion revision.
    var object: JSONValue
    /// The state before the change (nil for ADDED), to undo it when listing at an older revision
    /// and to tell selector watches that an object stopped matching.
    var previous: JSONValue?
}
