/// DNS names the way Kubernetes validates them (`k8s.io/apimachinery/pkg/util/validation`): RFC 1123
/// labels and subdomains, RFC 1035 labels, fully qualified domain names. The `…Problems` functions
/// return the API server's messages (empty when valid); the `is…` functions answer yes or no.
public enum DNSName {
    public static let labelMaxLength = 63
    public static let subdomainMaxLength = 253

    static let labelRegex = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let subdomainRegex = #"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"#
    static let dns1035Regex = "[a-z]([-a-z0-9]*[a-z0-9])?"

    static let labelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '\(labelRegex)')"
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '\(subdomainRegex)')"
    static let dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '\(dns1035Regex)')"

    // MARK: RFC 1123 label

    /// An RFC 1123 label: at most 63 characters, `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
    public static func isLabel(_ s: String) -> Bool { s.utf8.count <= labelMaxLength && matchesLabelPattern(s) }

    /// Kubernetes' `IsDNS1123Label` messages.
    public static func labelProblems(_ s: String) -> [String] {
        var out: [String] = []
        if s.utf8.count > labelMaxLength { out.append(maxLengthMessage(labelMaxLength)) }
        if !matchesLabelPattern(s) {
            out.append(matchesSubdomainPattern(s) ? "must not contain dots" : labelMessage)
        }
        return out
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit (Gateway API CRDs set maxLength apart).
    public static func matchesLabelPattern(_ s: String) -> Bool { matchesLabelBytes(s.utf8) }

    // MARK: RFC 1123 subdomain

    /// An RFC 1123 subdomain: at most 253 characters, dot-separated labels.
    public static func isSubdomain(_ s: String) -> Bool {
        s.utf8.count <= subdomainMaxLength && matchesSubdomainPattern(s)
    }

    /// Kubernetes' `IsDNS1123Subdomain` messages.
    public static func subdomainProblems(_ s: String) -> [String] {
        var out: [String] = []
        if s.utf8.count > subdomainMaxLength { out.append(maxLengthMessage(subdomainMaxLength)) }
        if !matchesSubdomainPattern(s) { out.append(subdomainMessage) }
        return out
    }

    /// The subdomain pattern without a length limit (labels may be longer than 63, as in the regex).
    public static func matchesSubdomainPattern(_ s: String) -> Bool { matchesSubdomainBytes(s.utf8) }

    // MARK: RFC 1035 label

    /// An RFC 1035 label: at most 63 characters, starts with a letter (Service names).
    public static func isDNS1035Label(_ s: String) -> Bool { dns1035LabelProblems(s).isEmpty }

    /// Kubernetes' `IsDNS1035Label` messages.
    public static func dns1035LabelProblems(_ s: String) -> [String] {
        var out: [String] = []
        if s.utf8.count > labelMaxLength { out.append(maxLengthMessage(labelMaxLength)) }
        if !(matchesLabelPattern(s) && s.utf8.first.map(ASCIIBytes.isLower) == true) { out.append(dns1035Message) }
        return out
    }

    // MARK: Fully qualified domain name

    /// Kubernetes' `IsFullyQualifiedDomainName`: one trailing dot allowed, a subdomain of at least two
    /// labels, each an RFC 1123 label (≤ 63).
    public static func fullyQualifiedProblems(_ s: String) -> [String] {
        if s.isEmpty { return ["must be non-empty"] }
        let name = s.hasSuffix(".") ? String(s.dropLast()) : s
        let sub = subdomainProblems(name)
        if !sub.isEmpty { return sub }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count < 2 { return ["should be a domain with at least two segments separated by dots"] }
        for label in labels {
            let problems = labelProblems(String(label))
            if !problems.isEmpty { return problems }
        }
        return []
    }

    /// Whether `s` is a fully qualified domain name (see `fullyQualifiedProblems`).
    public static func isFullyQualified(_ s: String) -> Bool { fullyQualifiedProblems(s).isEmpty }

    // MARK: Byte matchers

    static func maxLengthMessage(_ n: Int) -> String { "must be no more than \(n) characters" }

    static func matchesLabelBytes<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let first = bytes.first, ASCIIBytes.isLowerAlnum(first) else { return false }
        var last = first
        for b in bytes {
            guard ASCIIBytes.isLowerAlnum(b) || b == UInt8(ascii: "-") else { return false }
            last = b
        }
        return last != UInt8(ascii: "-")
    }

    static func matchesSubdomainBytes<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var labelLength = 0
        var last: UInt8 = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard labelLength > 0, last != UInt8(ascii: "-") else { return false }
                labelLength = 0
            } else if ASCIIBytes.isLowerAlnum(b) {
                labelLength += 1
            } else if b == UInt8(ascii: "-") {
                guard labelLength > 0 else { return false }
                labelLength += 1
            } else {
                return false
            }
            last = b
        }
        return labelLength > 0 && last != UInt8(ascii: "-")
    }
}
