/// Gateway API `Duration` (GEP-2257), the CRD pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$`: one to four
/// parts of at most five digits and a unit, e.g. `1h30m`, `500ms`.
public enum GatewayDuration {
    public static let regex = "^([0-9]{1,5}(h|m|s|ms)){1,4}$"

    /// The duration in milliseconds, nil when `text` does not match the pattern.
    public static func milliseconds(_ text: String) -> Int64? {
        let b = Array(text.utf8.prefix(32))
        guard text.utf8.count <= 32, !b.isEmpty else { return nil }
        var total: Int64 = 0
        var parts = 0
        var i = 0
        while i < b.count {
            var digits = 0
            var value: Int64 = 0
            while i < b.count, ASCIIBytes.isDigit(b[i]) {
                digits += 1
                guard digits <= 5 else { return nil }
                value = value * 10 + Int64(b[i] - UInt8(ascii: "0"))
                i += 1
            }
            guard digits > 0, i < b.count else { return nil }
            let unit: Int64
            switch b[i] {
            case UInt8(ascii: "h"): unit = 3_600_000; i += 1
            case UInt8(ascii: "s"): unit = 1_000; i += 1
            case UInt8(ascii: "m"):
                if i + 1 < b.count, b[i + 1] == UInt8(ascii: "s") { unit = 1; i += 2 } else { unit = 60_000; i += 1 }
            default: return nil
            }
            parts += 1
            guard parts <= 4 else { return nil }
            total += value * unit
        }
        return total
    }

    /// Whether `text` matches the pattern.
    public static func isValid(_ text: String) -> Bool { milliseconds(text) != nil }
}
