/// Builds request paths and query strings: every name and value is percent-encoded, so a name
/// can never add a path segment or a query parameter.
enum APIPath {
    /// Bytes that stay as they are in a path segment or a query component (RFC 3986 unreserved).
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes everything but unreserved characters.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += byte < 16 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return out
    }

    /// One path segment; `.` and `..` are escaped too so they cannot walk the path.
    static func segment(_ text: String) -> String {
        switch text {
        case ".": return "%2E"
        case "..": return "%2E%2E"
        default: return escape(text)
        }
    }

    /// The path of a collection (`name == nil`), an object, or an object's subresource.
    static func path(
        _ resource: ResourceType, namespace: String?, name: String? = nil, subresource: String? = nil
    ) -> String {
        var path = resource.groupVersionPath
        if resource.namespaced, let namespace, !namespace.isEmpty {
            path += "/namespaces/\(segment(namespace))"
        }
        path += "/\(segment(resource.plural))"
        if let name {
            path += "/\(segment(name))"
            if let subresource { path += "/\(segment(subresource))" }
        }
        return path
    }

    /// `?k=v&…` for the pairs whose value is not nil, in the given order; empty when none.
    static func query(_ items: [(String, String?)]) -> String {
        let parts = items.compactMap { key, value in value.map { "\(escape(key))=\(escape($0))" } }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}
