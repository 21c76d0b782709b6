/// RFC 3339 timestamps as `metav1.Time` reads them (Go's `time.Parse(time.RFC3339, …)`):
/// `2006-01-02T15:04:05Z`, optional fractional seconds (`.` or `,` then digits), `Z` or `±hh:mm`;
/// day checked against the month (and leap years), no leap second, offsets below 24:00.
public enum RFC3339Timestamp {
    public static let example = "2006-01-02T15:04:05Z"

    /// Whether `text` is a valid timestamp.
    public static func isValid(_ text: String) -> Bool {
        let b = Array(text.utf8.prefix(64))
        guard text.utf8.count <= 64, b.count >= 20 else { return false }
        guard let year = number(b, 0, 4), b[4] == UInt8(ascii: "-"),
              let month = number(b, 5, 2), b[7] == UInt8(ascii: "-"),
              let day = number(b, 8, 2), b[10] == UInt8(ascii: "T"),
              let hour = number(b, 11, 2), b[13] == UInt8(ascii: ":"),
              let minute = number(b, 14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(b, 17, 2) else { return false }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            let start = i
            while i < b.count, ASCIIBytes.isDigit(b[i]) { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "Z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6,
              let offsetHour = number(b, i + 1, 2), b[i + 3] == UInt8(ascii: ":"),
              let offsetMinute = number(b, i + 4, 2) else { return false }
        return offsetHour < 24 && offsetMinute < 60
    }

    /// `count` ASCII digits at `start` as a number.
    static func number(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start >= 0, start + count <= b.count else { return nil }
        var v = 0
        for x in b[start..<(start + count)] {
            guard ASCIIBytes.isDigit(x) else { return nil }
            v = v * 10 + Int(x - UInt8(ascii: "0"))
        }
        return v
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
