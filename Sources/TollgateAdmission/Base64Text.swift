/// Standard, padded base64 (RFC 4648 §4) as the API server decodes `Secret.data` and
/// `ConfigMap.binaryData`: Go's `base64.StdEncoding`, which skips CR and LF and nothing else.
public enum Base64Text {
    static let alphabet: Set<UInt8> = ASCIIBytes.alnum.union(ASCIIBytes.set("+/"))

    /// Whether `text` is valid base64.
    public static func isValid(_ text: String) -> Bool { decodedCount(text) != nil }

    /// How many bytes `text` decodes to, nil when it is not valid base64.
    public static func decodedCount(_ text: String) -> Int? {
        var significant = 0
        var padding = 0
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "="):
                padding += 1
                guard padding <= 2 else { return nil }
            default:
                guard padding == 0, alphabet.contains(b) else { return nil }
            }
            significant += 1
        }
        guard significant % 4 == 0 else { return nil }
        return significant / 4 * 3 - padding
    }
}
