/// How untrusted text is echoed in a violation: escaped like Swift's `debugDescription` (`\n`, `\t`,
/// `\"`, `\u{1B}`…) and cut after `limit` Unicode scalars, so a message is one printable line of
/// bounded length whatever the input holds.
public enum EchoedText {
    /// How many Unicode scalars of a value are echoed before `…`.
    public static let limit = 64

    /// `"value"`, escaped and shortened.
    public static func quoted(_ value: String, limit: Int = EchoedText.limit) -> String {
        "\"" + escaped(value, limit: limit) + "\""
    }

    /// The value escaped and shortened, without quotes (for map keys in field paths).
    public static func escaped(_ value: String, limit: Int = EchoedText.limit) -> String {
        var out = ""
        var taken = 0
        for scalar in value.unicodeScalars {
            if taken == limit { out += "…"; break }
            out += escape(scalar)
            taken += 1
        }
        return out
    }

    private static func escape(_ s: Unicode.Scalar) -> String {
        switch s {
        case "\0": return "\\0"
        case "\t": return "\\t"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\"": return "\\\""
        case "\\": return "\\\\"
        default:
            return needsEscape(s) ? "\\u{\(String(s.value, radix: 16, uppercase: true))}" : String(s)
        }
    }

    /// Control characters, line and paragraph separators, bidirectional controls and the BOM.
    private static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }
}
