/// Gateway API `Hostname` and `PreciseHostname`, exactly as the CRDs write them: at most 253
/// characters, `^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$` (the
/// wildcard only for `Hostname`). Like the CRD pattern, this accepts text that looks like an IPv4
/// address; whether a listener or route may use one is for the graph to say.
public enum GatewayHostname {
    public static let maxLength = 253
    public static let wildcardRegex = #"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
    public static let preciseRegex = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#

    /// Whether `s` is a valid hostname: length 1–253 and the pattern, with a leading `*.` only when
    /// `allowWildcard`.
    public static func isValid(_ s: String, allowWildcard: Bool = true) -> Bool {
        let n = s.utf8.count
        return n >= 1 && n <= maxLength && matchesPattern(s, allowWildcard: allowWildcard)
    }

    /// The pattern alone (the CRDs check length with separate minLength/maxLength keywords).
    public static func matchesPattern(_ s: String, allowWildcard: Bool) -> Bool {
        let bytes = s.utf8
        if allowWildcard, bytes.starts(with: "*.".utf8) {
            return DNSName.matchesSubdomainBytes(bytes.dropFirst(2))
        }
        return DNSName.matchesSubdomainBytes(bytes)
    }
}
