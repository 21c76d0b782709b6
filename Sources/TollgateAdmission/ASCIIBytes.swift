/// Byte classes the validators share. Every validator walks UTF-8 bytes, so a non-ASCII character
/// (`½`, a full-width digit, a homoglyph) never matches an ASCII class.
enum ASCIIBytes {
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isLetter(_ b: UInt8) -> Bool { isLower(b) || isUpper(b) }
    static func isAlnum(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) }
    static func isLowerAlnum(_ b: UInt8) -> Bool { isLower(b) || isDigit(b) }

    /// The value of a hexadecimal digit, nil for anything else.
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41) + 10
        case 0x61...0x66: return Int(b - 0x61) + 10
        default: return nil
        }
    }

    /// Whether every byte is in `set` (an ASCII string) and there is at least one byte.
    static func allIn<C: Collection>(_ bytes: C, _ set: Set<UInt8>) -> Bool where C.Element == UInt8 {
        !bytes.isEmpty && bytes.allSatisfy { set.contains($0) }
    }

    /// The bytes of an ASCII character list, for `allIn`.
    static func set(_ chars: String) -> Set<UInt8> { Set(chars.utf8) }

    /// Letters and digits.
    static let alnum: Set<UInt8> = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
}
