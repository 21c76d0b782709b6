/// HTTPRoute path match values of type `Exact` and `PathPrefix`, checked as the CRD's CEL rules do:
/// an absolute path of URL path characters and percent-encodings, without `//`, `/./`, `/../`,
/// `%2f`/`%2F`, `#`, and not ending in `/.` or `/..`. Comparisons are on bytes, like CEL's
/// `contains`/`startsWith` on code points (not on Swift's grapheme clusters).
public enum GatewayPath {
    public static let maxLength = 1024
    public static let characterRegex = #"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$"#
    static let pathCharacters: Set<UInt8> = ASCIIBytes.alnum.union(ASCIIBytes.set("-/._~!$&'()*+,;=:@"))

    private static let forbidden: [(String, String)] = [
        ("//", "must not contain '//' when type one of ['Exact', 'PathPrefix']"),
        ("/./", "must not contain '/./' when type one of ['Exact', 'PathPrefix']"),
        ("/../", "must not contain '/../' when type one of ['Exact', 'PathPrefix']"),
        ("%2f", "must not contain '%2f' when type one of ['Exact', 'PathPrefix']"),
        ("%2F", "must not contain '%2F' when type one of ['Exact', 'PathPrefix']"),
        ("#", "must not contain '#' when type one of ['Exact', 'PathPrefix']"),
    ]

    /// Whether `value` is a valid `Exact`/`PathPrefix` value.
    public static func isValid(_ value: String) -> Bool { problems(value).isEmpty }

    /// The CRD's messages for `value` (empty when valid); the length limit is checked apart.
    public static func problems(_ value: String) -> [String] {
        let bytes = Array(value.utf8)
        var out: [String] = []
        if !bytes.starts(with: "/".utf8) {
            out.append("value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']")
        }
        for (needle, message) in forbidden where contains(bytes, Array(needle.utf8)) { out.append(message) }
        if bytes.reversed().starts(with: "../".utf8) { out.append("must not end with '/..' when type one of ['Exact', 'PathPrefix']") }
        if bytes.reversed().starts(with: "./".utf8) { out.append("must not end with '/.' when type one of ['Exact', 'PathPrefix']") }
        if !matchesCharacterPattern(bytes) {
            out.append("must only contain valid characters (matching \(characterRegex)) for types ['Exact', 'PathPrefix']")
        }
        return out
    }

    /// `^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$`.
    static func matchesCharacterPattern(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if pathCharacters.contains(b) {
                i += 1
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count,
                      ASCIIBytes.hexValue(bytes[i + 1]) != nil, ASCIIBytes.hexValue(bytes[i + 2]) != nil {
                i += 3
            } else {
                return false
            }
        }
        return true
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
