/// Gateway API hostname matching between listeners and routes.
public enum Hostnames {
    /// Whether `name` (exact or wildcard) is matched by the listener hostname `listener`
    /// (nil matches everything; `*.example.com` matches any name with at least one more label).
    public static func listenerMatches(_ listener: String?, _ name: String) -> Bool {
        guard let listener else { return true }
        if listener == name { return true }
        if listener.hasPrefix("*.") {
            let suffix = String(listener.dropFirst(1)) // ".example.com"
            let n = name.hasPrefix("*.") ? String(name.dropFirst(1)) : name
            return n.hasSuffix(suffix) && n.count > suffix.count
        }
        return false
    }

    /// The hostnames a route serves on a listener. `nil` means the route does not intersect the
    /// listener; an empty list means "all hostnames of the listener".
    public static func intersect(listener: String?, route: [String]) -> [String]? {
        if route.isEmpty { return listener.map { [$0] } ?? [] }
        guard let l = listener else { return route }
        var out: [String] = []
        for r in route {
            if r == l {
                out.append(r)
            } else if listenerMatches(l, r) {
                out.append(r)            // route is more specific
            } else if r.hasPrefix("*.") && listenerMatches(r, l) {
                out.append(l)            // listener is more specific
            }
        }
        var seen = Set<String>()
        out = out.filter { seen.insert($0).inserted }
        return out.isEmpty ? nil : out
    }

    /// Specificity order used to pick the listener a hostname selects: exact names first, then
    /// wildcards with longer suffixes, then no hostname.
    public static func specificity(_ h: String?) -> (Int, Int) {
        guard let h else { return (0, 0) }
        return h.hasPrefix("*.") ? (1, h.count) : (2, h.count)
    }

    /// Whether `s` is a valid RFC 1123 hostname, optionally with a leading `*.` label.
    public static func isValid(_ s: String, allowWildcard: Bool = true) -> Bool {
        var name = Substring(s).utf8
        if s.hasPrefix("*.") {
            guard allowWildcard else { return false }
            name = name.dropFirst(2)
        }
        guard !name.isEmpty, name.count <= 253 else { return false }
        // Labels of 1-63 lower-case letters, digits and inner `-`; only ASCII passes, so bytes
        // are characters here.
        var labelLength = 0, last: UInt8 = 0, onlyDigits = true
        for b in name {
            if b == UInt8(ascii: ".") {
                guard labelLength > 0, last != UInt8(ascii: "-") else { return false }
                labelLength = 0
                last = b
                continue
            }
            let digit = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
            guard digit || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || b == UInt8(ascii: "-") else { return false }
            guard labelLength > 0 || b != UInt8(ascii: "-") else { return false }
            labelLength += 1
            guard labelLength <= 63 else { return false }
            onlyDigits = onlyDigits && digit
            last = b
        }
        guard labelLength > 0, last != UInt8(ascii: "-") else { return false }
        // An IP address is not a hostname.
        return !onlyDigits
    }
}
