/// Kubernetes qualified names, the keys of labels and annotations (`IsQualifiedName`): an optional
/// RFC 1123 subdomain prefix (≤ 253) and `/`, then a name of at most 63 characters matching
/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
public enum QualifiedName {
    public static let nameMaxLength = 63
    static let nameRegex = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let nameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '\(nameRegex)')"

    /// Whether `s` is a qualified name.
    public static func isValid(_ s: String) -> Bool { problems(s).isEmpty }

    /// The API server's messages for `s` (empty when valid).
    public static func problems(_ s: String) -> [String] {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        var out: [String] = []
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                out.append("prefix part must be non-empty")
            } else {
                out += DNSName.subdomainProblems(String(prefix)).map { "prefix part " + $0 }
            }
        default:
            return ["a qualified name \(nameMessage) with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            out.append("name part must be non-empty")
        } else if name.utf8.count > nameMaxLength {
            out.append("name part must be no more than \(nameMaxLength) characters")
        }
        if !matchesNamePattern(name.utf8) { out.append("name part " + nameMessage) }
        return out
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: alphanumeric at both ends, `-_.` inside.
    static func matchesNamePattern<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let first = bytes.first, ASCIIBytes.isAlnum(first) else { return false }
        var last = first
        for b in bytes {
            guard ASCIIBytes.isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") else {
                return false
            }
            last = b
        }
        return ASCIIBytes.isAlnum(last)
    }
}

/// Kubernetes label values (`IsValidLabelValue`): empty, or at most 63 characters matching
/// `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`.
public enum LabelValue {
    public static let maxLength = 63
    static let regex = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
    static let message = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '\(regex)')"

    /// Whether `s` is a valid label value.
    public static func isValid(_ s: String) -> Bool { problems(s).isEmpty }

    /// The API server's messages for `s` (empty when valid).
    public static func problems(_ s: String) -> [String] {
        var out: [String] = []
        if s.utf8.count > maxLength { out.append("must be no more than \(maxLength) characters") }
        if !matchesPattern(s) { out.append(message) }
        return out
    }

    /// The pattern alone (Gateway API's infrastructure labels set maxLength apart).
    public static func matchesPattern(_ s: String) -> Bool {
        s.isEmpty || QualifiedName.matchesNamePattern(s.utf8)
    }
}
