/// The path of a field inside an object, written the way the API server writes it:
/// `spec.listeners[0].tls.certificateRefs[1].name`, with map keys as `metadata.labels[app]`.
/// Map keys come from untrusted input, so they are escaped and shortened like echoed values.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public private(set) var description: String

    /// A path starting at `root` (`metadata`, `spec`, or `""` for the object itself).
    public init(_ root: String = "") { description = root }

    /// `path.name`.
    public func child(_ name: String) -> FieldPath {
        var p = self
        p.description = description.isEmpty ? name : "\(description).\(name)"
        return p
    }

    /// `path[i]`.
    public func index(_ i: Int) -> FieldPath {
        var p = self
        p.description += "[\(i)]"
        return p
    }

    /// `path[key]`, the key escaped and shortened.
    public func key(_ key: String) -> FieldPath {
        var p = self
        p.description += "[\(EchoedText.escaped(key))]"
        return p
    }
}
