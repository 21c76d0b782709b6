import Foundation

/// Finds where values sit inside JSON bytes without building them, so list items and watch
/// objects are handed on as the exact bytes the server sent. It checks structure only as far
/// as it must to find boundaries; whoever decodes a value validates it.
struct RawJSON {
    let bytes: [UInt8]

    init(_ data: Data) {
        bytes = [UInt8](data)
    }

    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var expected: String
        var description: String { "malformed JSON at byte \(offset): expected \(expected)" }
    }

    /// The value ranges of the members of the object that fills `range` (the whole text by default).
    func members(in range: Range<Int>? = nil) throws(Malformed) -> [String: Range<Int>] {
        let range = range ?? 0..<bytes.count
        var index = skipSpace(range.lowerBound, range.upperBound)
        try expect(UInt8(ascii: "{"), at: index, range.upperBound)
        index = skipSpace(index + 1, range.upperBound)
        var members: [String: Range<Int>] = [:]
        if index < range.upperBound, bytes[index] == UInt8(ascii: "}") { return members }
        while true {
            try expect(UInt8(ascii: "\""), at: index, range.upperBound)
            let keyEnd = try endOfString(index, range.upperBound)
            let key = try decodeKey(index..<keyEnd)
            index = skipSpace(keyEnd, range.upperBound)
            try expect(UInt8(ascii: ":"), at: index, range.upperBound)
            let valueStart = skipSpace(index + 1, range.upperBound)
            let valueEnd = try endOfValue(valueStart, range.upperBound)
            members[key] = valueStart..<valueEnd
            index = skipSpace(valueEnd, range.upperBound)
            guard index < range.upperBound else { throw Malformed(offset: index, expected: ", or }") }
            if bytes[index] == UInt8(ascii: "}") { return members }
            try expect(UInt8(ascii: ","), at: index, range.upperBound)
            index = skipSpace(index + 1, range.upperBound)
        }
    }

    /// The ranges of the elements of the array that fills `range`; `null` counts as no elements.
    func elements(in range: Range<Int>) throws(Malformed) -> [Range<Int>] {
        var index = skipSpace(range.lowerBound, range.upperBound)
        if isNull(index..<range.upperBound) { return [] }
        try expect(UInt8(ascii: "["), at: index, range.upperBound)
        index = skipSpace(index + 1, range.upperBound)
        var elements: [Range<Int>] = []
        if index < range.upperBound, bytes[index] == UInt8(ascii: "]") { return elements }
        while true {
            let end = try endOfValue(index, range.upperBound)
            elements.append(index..<end)
            index = skipSpace(end, range.upperBound)
            guard index < range.upperBound else { throw Malformed(offset: index, expected: ", or ]") }
            if bytes[index] == UInt8(ascii: "]") { return elements }
            try expect(UInt8(ascii: ","), at: index, range.upperBound)
            index = skipSpace(index + 1, range.upperBound)
        }
    }

    /// The bytes of `range`.
    func data(_ range: Range<Int>) -> Data {
        Data(bytes[range])
    }

    /// Whether `range` holds the literal `null` (possibly followed by space).
    func isNull(_ range: Range<Int>) -> Bool {
        let null: [UInt8] = Array("null".utf8)
        guard range.count >= 4 else { return false }
        return Array(bytes[range.lowerBound..<range.lowerBound + 4]) == null
    }

    /// Decodes a JSON string value at `range` (quotes included).
    func string(_ range: Range<Int>) throws(Malformed) -> String {
        try decodeKey(range)
    }

    private func skipSpace(_ start: Int, _ end: Int) -> Int {
        var index = start
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return index
            }
        }
        return index
    }

    private func expect(_ byte: UInt8, at index: Int, _ end: Int) throws(Malformed) {
        guard index < end, bytes[index] == byte else {
            throw Malformed(offset: index, expected: String(UnicodeScalar(byte)))
        }
    }

    /// The index just past the string that starts with the quote at `start`.
    private func endOfString(_ start: Int, _ end: Int) throws(Malformed) -> Int {
        var index = start + 1
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        throw Malformed(offset: end, expected: "end of string")
    }

    /// The index just past the value that starts at `start`.
    private func endOfValue(_ start: Int, _ end: Int) throws(Malformed) -> Int {
        guard start < end else { throw Malformed(offset: start, expected: "a value") }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return try endOfString(start, end)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < end {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = try endOfString(index, end)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            throw Malformed(offset: end, expected: "end of object or array")
        default:
            var index = start
            while index < end {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "),
                     UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                    return index
                default:
                    index += 1
                }
            }
            return index
        }
    }

    private func decodeKey(_ range: Range<Int>) throws(Malformed) -> String {
        let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        if !inner.contains(UInt8(ascii: "\\")) {
            return String(decoding: inner, as: UTF8.self)
        }
        guard let decoded = try? JSONDecoder().decode(String.self, from: Data(bytes[range])) else {
            throw Malformed(offset: range.lowerBound, expected: "a valid string")
        }
        return decoded
    }
}
