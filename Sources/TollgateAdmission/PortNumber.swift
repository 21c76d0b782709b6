/// TCP/UDP port numbers.
public enum PortNumber {
    /// The ports a Service, listener or route may name: 1–65535.
    public static let valid: ClosedRange<Int> = 1...65535
    /// EndpointSlice ports may also be 0.
    public static let validOrZero: ClosedRange<Int> = 0...65535

    /// Whether `port` is 1–65535.
    public static func isValid(_ port: Int) -> Bool { valid.contains(port) }

    /// Kubernetes' message for an out-of-range port.
    public static func rangeMessage(_ range: ClosedRange<Int> = valid) -> String {
        "must be between \(range.lowerBound) and \(range.upperBound), inclusive"
    }
}

/// IANA service names used as named ports (`IsValidPortName`): at most 15 characters, lower-case
/// letters, digits and `-`, at least one letter, no `--`, no `-` at either end.
public enum IANAServiceName {
    public static let maxLength = 15

    /// Whether `s` is a valid port name.
    public static func isValid(_ s: String) -> Bool { problems(s).isEmpty }

    /// The API server's messages for `s` (empty when valid).
    public static func problems(_ s: String) -> [String] {
        var out: [String] = []
        let bytes = s.utf8
        if bytes.count > maxLength { out.append("must be no more than \(maxLength) characters") }
        if !bytes.allSatisfy({ ASCIIBytes.isLowerAlnum($0) || $0 == UInt8(ascii: "-") }) || bytes.isEmpty {
            out.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !bytes.contains(where: ASCIIBytes.isLower) { out.append("must contain at least one letter (a-z)") }
        if s.contains("--") { out.append("must not contain consecutive hyphens") }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            out.append("must not begin or end with a hyphen")
        }
        return out
    }
}
