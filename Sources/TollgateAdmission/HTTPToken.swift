/// HTTP field names and values as Gateway API constrains them.
public enum HTTPToken {
    /// `tchar` of RFC 7230 §3.2.6: ``!#$%&'*+-.^_`|~``, digits and letters.
    static let tchar: Set<UInt8> = ASCIIBytes.alnum.union(ASCIIBytes.set("!#$%&'*+-.^_`|~"))
    public static let regex = #"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$"#

    /// An RFC 7230 token (a header name): one or more `tchar`.
    public static func isToken(_ s: String) -> Bool { ASCIIBytes.allIn(s.utf8, tchar) }
}

/// Values of HTTPRoute header matches, with the experimental channel's pattern
/// `^[!-~]+([\t ]?[!-~]+)*$`: visible ASCII words separated by single spaces or tabs; no control
/// character, no leading, trailing or doubled blank. Stricter than the standard channel (no pattern),
/// and what keeps a header value from carrying a line break into a proxy configuration.
public enum HTTPHeaderMatchValue {
    public static let regex = #"^[!-~]+([\t ]?[!-~]+)*$"#

    /// Whether `s` matches the pattern (checked in one pass; no backtracking).
    public static func matchesPattern(_ s: String) -> Bool {
        var previousBlank = true   // a blank may not start the value
        var any = false
        for b in s.utf8 {
            switch b {
            case 0x21...0x7E:
                previousBlank = false
            case 0x20, 0x09:
                if previousBlank { return false }
                previousBlank = true
            default:
                return false
            }
            any = true
        }
        return any && !previousBlank
    }
}
