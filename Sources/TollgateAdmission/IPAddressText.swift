/// Textual IP addresses, parsed strictly the way Go's `net/netip` does:
/// - IPv4: a dotted quad, exactly four decimal parts of ASCII digits, each 0–255, no leading zeros
///   (`010.0.0.1` is refused: other parsers read it as octal);
/// - IPv6: up to eight groups of 1–4 hex digits, `::` at most once, an optional dotted-quad IPv4
///   tail in the last 32 bits, no zone (`%eth0`).
/// Parsing walks UTF-8 bytes with bounded arithmetic, so no input (`1.1.1.½`, `99999999999`, 1 MiB of
/// digits) can trap.
public enum IPAddressText {
    /// The four bytes of an IPv4 address, nil when `text` is not one.
    public static func parseIPv4(_ text: String) -> [UInt8]? { parseIPv4Bytes(text.utf8) }

    /// The sixteen bytes of an IPv6 address, nil when `text` is not one.
    public static func parseIPv6(_ text: String) -> [UInt8]? { parseIPv6Bytes(Array(text.utf8.prefix(maxIPv6Length + 1))) }

    public static func isIPv4(_ text: String) -> Bool { parseIPv4(text) != nil }
    public static func isIPv6(_ text: String) -> Bool { parseIPv6(text) != nil }
    /// IPv4 or IPv6.
    public static func isIP(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    /// Whether sixteen bytes are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), which Kubernetes
    /// does not accept where it asks for an IPv6 address.
    public static func isIPv4Mapped(_ bytes: [UInt8]) -> Bool {
        bytes.count == 16 && bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }

    /// `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255` is the longest form.
    static let maxIPv6Length = 45

    static func parseIPv4Bytes<C: Collection>(_ bytes: C) -> [UInt8]? where C.Element == UInt8 {
        guard bytes.count <= 15 else { return nil }
        var out: [UInt8] = []
        var value = 0
        var digits = 0
        var leadingZero = false
        for b in bytes {
            if ASCIIBytes.isDigit(b) {
                if digits == 0 { leadingZero = b == UInt8(ascii: "0") } else if leadingZero { return nil }
                digits += 1
                guard digits <= 3 else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
                guard value <= 255 else { return nil }
            } else if b == UInt8(ascii: ".") {
                guard digits > 0, out.count < 3 else { return nil }
                out.append(UInt8(value))
                value = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, out.count == 3 else { return nil }
        out.append(UInt8(value))
        return out
    }

    static func parseIPv6Bytes(_ bytes: [UInt8]) -> [UInt8]? {
        let n = bytes.count
        guard n >= 2, n <= maxIPv6Length else { return nil }
        let colon = UInt8(ascii: ":")
        var groups: [UInt16] = []
        var ellipsis: Int? = nil
        var i = 0
        if bytes[0] == colon {
            guard bytes[1] == colon else { return nil }
            ellipsis = 0
            i = 2
        }
        while i < n {
            var j = i
            var value = 0
            while j < n, j - i < 5, let h = ASCIIBytes.hexValue(bytes[j]) {
                value = value * 16 + h
                j += 1
            }
            let width = j - i
            if j < n, bytes[j] == UInt8(ascii: ".") {
                // Dotted-quad tail: the rest of the text, decimal.
                guard let v4 = parseIPv4Bytes(bytes[i...]) else { return nil }
                groups.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                groups.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                i = n
                break
            }
            guard width >= 1, width <= 4 else { return nil }
            groups.append(UInt16(value))
            guard groups.count <= 8 else { return nil }
            i = j
            if i == n { break }
            guard bytes[i] == colon else { return nil }
            i += 1
            if i < n, bytes[i] == colon {
                guard ellipsis == nil else { return nil }
                ellipsis = groups.count
                i += 1
            } else if i == n {
                return nil   // a single trailing colon
            }
        }
        var full: [UInt16]
        if let e = ellipsis {
            guard groups.count <= 7 else { return nil }
            full = Array(groups[..<e])
            full += Array(repeating: 0, count: 8 - groups.count)
            full += groups[e...]
        } else {
            guard groups.count == 8 else { return nil }
            full = groups
        }
        return full.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
