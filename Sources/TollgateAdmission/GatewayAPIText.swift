/// The string patterns of the Gateway API CRDs (v1.6.1), each matched by hand in one pass over the
/// bytes instead of by a regular-expression engine. Where a CRD pattern leaves an alternative
/// unanchored by accident (`^Hostname|IPAddress|…$`), the intended, fully anchored form is checked.
public enum GatewayAPIText {
    // MARK: Regexes as the CRDs write them (for messages)

    public static let groupRegex = #"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
    public static let kindRegex = "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
    public static let namespaceRegex = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    public static let sectionNameRegex = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
    public static let controllerNameRegex = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"#
    public static let protocolRegex = #"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$"#
    public static let addressTypeRegex = #"^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"#
    public static let wellKnownCARegex = #"^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$"#
    public static let subjectAltNameURIRegex = #"^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?"#
    public static let infrastructureKeyRegex = #"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$"#
    public static let durationRegex = "^([0-9]{1,5}(h|m|s|ms)){1,4}$"

    static let pathSegmentCharacters: Set<UInt8> = ASCIIBytes.alnum.union(ASCIIBytes.set("/-._~%!$&'()*+,;=:"))

    // MARK: Matchers

    /// `Group`: empty (the core group) or an RFC 1123 subdomain pattern.
    public static func isGroup(_ s: String) -> Bool { s.isEmpty || DNSName.matchesSubdomainPattern(s) }

    /// `Kind`: a letter, then letters, digits and `-`, ending in a letter or digit.
    public static func isKind(_ s: String) -> Bool {
        let bytes = s.utf8
        guard let first = bytes.first, ASCIIBytes.isLetter(first), let last = bytes.last, ASCIIBytes.isAlnum(last) else { return false }
        return bytes.allSatisfy { ASCIIBytes.isAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `Namespace`: the RFC 1123 label pattern.
    public static func isNamespace(_ s: String) -> Bool { DNSName.matchesLabelPattern(s) }

    /// `SectionName` (listener names, rule names, `sectionName`): the RFC 1123 subdomain pattern.
    public static func isSectionName(_ s: String) -> Bool { DNSName.matchesSubdomainPattern(s) }

    /// `GatewayController`: `example.com/path`, a subdomain, `/`, then URL path characters.
    public static func isControllerName(_ s: String) -> Bool { isDomainPrefixed(s, rest: pathSegmentCharacters) }

    /// `ProtocolType`: `HTTP`-like words, or `example.com/name`.
    public static func isListenerProtocol(_ s: String) -> Bool {
        let bytes = s.utf8
        if let first = bytes.first, let last = bytes.last, ASCIIBytes.isAlnum(first), ASCIIBytes.isAlnum(last),
           bytes.allSatisfy({ ASCIIBytes.isAlnum($0) || $0 == UInt8(ascii: "-") }) {
            return true
        }
        return isDomainPrefixed(s, rest: ASCIIBytes.alnum)
    }

    /// `AddressType`: `Hostname`, `IPAddress`, `NamedAddress`, or `example.com/type`.
    public static func isAddressType(_ s: String) -> Bool {
        s == "Hostname" || s == "IPAddress" || s == "NamedAddress" || isDomainPrefixed(s, rest: pathSegmentCharacters)
    }

    /// `WellKnownCACertificatesType`: `System`, or `example.com/name` with a qualified-name part.
    public static func isWellKnownCACertificates(_ s: String) -> Bool {
        if s == "System" { return true }
        guard let slash = s.utf8.firstIndex(of: UInt8(ascii: "/")) else { return false }
        let prefix = s.utf8[..<slash]
        let name = s.utf8[s.utf8.index(after: slash)...]
        return DNSName.matchesSubdomainBytes(prefix) && name.count <= 63 && QualifiedName.matchesNamePattern(name)
    }

    /// A `SubjectAltName` URI. The CRD pattern asks for `scheme://` at the start (the rest is
    /// unanchored); this also refuses blanks and control characters anywhere, which no URI
    /// (RFC 3986) contains and which a certificate's SAN could never match.
    public static func isSubjectAltNameURI(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return false }
        guard let colon = bytes.firstIndex(where: { ":/?#".utf8.contains($0) }), colon > 0,
              bytes[colon] == UInt8(ascii: ":") else { return false }
        return bytes[(colon + 1)...].starts(with: "//".utf8)
    }

    /// The CEL rules on Gateway `spec.infrastructure` label and annotation keys.
    public static func infrastructureKeyProblems(_ key: String, what: String) -> [String] {
        var out: [String] = []
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.count == 2 ? parts[1] : parts[0]
        let prefixOK = parts.count == 1 || DNSName.matchesSubdomainBytes(parts[0].utf8)
        if !(prefixOK && name.utf8.count <= 63 && QualifiedName.matchesNamePattern(name.utf8)) {
            out.append("\(what.prefix(1).uppercased() + what.dropFirst()) keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.")
        }
        if (key.split(separator: "/", omittingEmptySubsequences: false).first?.unicodeScalars.count ?? 0) >= 253 {
            out.append("If specified, the \(what) key's prefix must be a DNS subdomain not longer than 253 characters in total.")
        }
        return out
    }

    /// `subdomain/rest+`: splits at the first `/` (a subdomain has none).
    static func isDomainPrefixed(_ s: String, rest: Set<UInt8>) -> Bool {
        let bytes = s.utf8
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return false }
        return DNSName.matchesSubdomainBytes(bytes[..<slash]) && ASCIIBytes.allIn(bytes[bytes.index(after: slash)...], rest)
    }
}
