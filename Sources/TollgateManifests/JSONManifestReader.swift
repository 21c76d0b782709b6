/// Reads one JSON text (RFC 8259) straight into a `ManifestTree`, without libyaml or Yams: the
/// path `.json` manifests and the Kubernetes provider's API objects take.
///
/// Values come out as the YAML path produces them for the same text: strings are double-quoted
/// scalars (`.string`), numbers and `true`/`false`/`null` plain scalars resolved as go-yaml
/// resolves them. Strict: one value, nesting at most `YAMLStructureScan.maxDepth`, no duplicate
/// keys (reported with the YAML path's very message), and every error names a line and a
/// column. One pass over the UTF-8 bytes, no recursion: a container's children are laid out
/// together when it closes.
struct JSONManifestReader {
    /// Text that is not a JSON document.
    struct Failure: Error, Equatable {
        var message: String
    }

    /// Whether `text` is meant as JSON: its first byte other than whitespace is `{` or `[`.
    static func looksLikeJSON(_ text: String) -> Bool {
        for b in text.utf8 {
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): return true
            default: return false
            }
        }
        return false
    }

    /// The tree of `text`, one JSON value (`ManifestDecoder` hands over only objects and arrays).
    static func read(_ text: String) throws(Failure) -> ManifestTree {
        var copy = text
        var outcome: Result<ManifestTree, Failure> = .failure(Failure(message: ""))
        copy.withUTF8 { bytes in
            var reader = JSONManifestReader(bytes)
            do throws(Failure) {
                outcome = .success(try reader.run())
            } catch {
                outcome = .failure(error)
            }
        }
        return try outcome.get()
    }

    /// An open object or array: its children wait in `pending` from `start` on.
    private struct Frame {
        var isObject: Bool
        var start: Int
        var keys = ManifestKeys()
        /// Byte offset of each key's opening quote, for the duplicate-key error.
        var keyPositions: [Int] = []
        var duplicates: Set<String> = []
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    /// 1-based line at `pos` (line breaks only ever occur between tokens).
    private var line = 1

    private var values: [ManifestTree.Value] = [.array(0..<0)]
    private var parents: [Int] = [-1]
    /// Finished values whose container is still open, in document order.
    private var pending: [ManifestTree.Value] = []
    private var stack: [Frame] = []
    /// Reused by strings with escapes.
    private var scratch: [UInt8] = []

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        values.reserveCapacity(bytes.count / 16)
        parents.reserveCapacity(bytes.count / 16)
    }

    // MARK: - Structure

    private mutating func run() throws(Failure) -> ManifestTree {
        skipWhitespace()
        var needValue = true
        while true {
            if needValue, try readValue() { continue }
            needValue = false
            guard !stack.isEmpty else {
                if let scalar = pending.popLast() { values[ManifestTree.root] = scalar }
                skipWhitespace()
                guard pos >= bytes.count else { throw failure("unexpected \(describe(pos)) after the JSON document") }
                return ManifestTree(values: values, parents: parents)
            }
            // A value ended inside a container: its closing bracket, or a comma and the next one.
            skipWhitespace()
            let isObject = stack[stack.count - 1].isObject
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let b = byte(pos)
            if b == close {
                pos += 1
                try closeContainer()
                continue
            }
            guard b == UInt8(ascii: ",") else {
                throw failure("expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describe(pos))")
            }
            pos += 1
            skipWhitespace()
            if isObject { try readKey() }
            needValue = true
        }
    }

    /// One value at `pos`. A scalar goes to `pending`; a container is opened, and closed at once
    /// when empty. Returns whether a value is still needed (the first of an opened container).
    private mutating func readValue() throws(Failure) -> Bool {
        let b = byte(pos)
        switch b {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard stack.count < YAMLStructureScan.maxDepth else {
                throw failure("nesting deeper than \(YAMLStructureScan.maxDepth) levels")
            }
            let isObject = b == UInt8(ascii: "{")
            stack.append(Frame(isObject: isObject, start: pending.count))
            pos += 1
            skipWhitespace()
            if byte(pos) == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                pos += 1
                try closeContainer()
                return false
            }
            if isObject { try readKey() }
            return true
        case UInt8(ascii: "\""):
            let line = self.line
            let text = try readString()
            pending.append(.scalar(ManifestScalar(text: text, kind: .string, style: .doubleQuoted, line: line)))
        case UInt8(ascii: "t"): try readLiteral("true", .bool(true))
        case UInt8(ascii: "f"): try readLiteral("false", .bool(false))
        case UInt8(ascii: "n"): try readLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try readNumber()
        default:
            throw failure("expected a value, found \(describe(pos))")
        }
        return false
    }

    /// `"key"` and `:` at `pos`, leaving `pos` at the value.
    private mutating func readKey() throws(Failure) {
        guard byte(pos) == UInt8(ascii: "\"") else {
            throw failure("expected a string key, found \(describe(pos))")
        }
        let keyPosition = pos
        let key = try readString()
        let top = stack.count - 1
        if stack[top].keys.insert(key) {
            stack[top].keyPositions.append(keyPosition)
        } else {
            stack[top].duplicates.insert(key)
        }
        skipWhitespace()
        guard byte(pos) == UInt8(ascii: ":") else {
            throw failure("expected ':' after an object key, found \(describe(pos))")
        }
        pos += 1
        skipWhitespace()
    }

    /// Lays out the top container's children together and makes the container a pending value
    /// (or the root).
    private mutating func closeContainer() throws(Failure) {
        let frame = stack.removeLast()
        if !frame.duplicates.isEmpty { throw duplicateKeys(frame) }
        let first = values.count
        let count = pending.count - frame.start
        for offset in 0..<count {
            let value = pending[frame.start + offset]
            let index = first + offset
            values.append(value)
            parents.append(-1)
            adopt(value, parent: index)
        }
        pending.removeSubrange(frame.start...)
        let value: ManifestTree.Value = frame.isObject
            ? .object(ManifestObject(first: first, keys: frame.keys))
            : .array(first..<(first + count))
        if stack.isEmpty {
            values[ManifestTree.root] = value
            adopt(value, parent: ManifestTree.root)
        } else {
            pending.append(value)
        }
    }

    /// Points the children of `value` (already laid out) at `parent`.
    private mutating func adopt(_ value: ManifestTree.Value, parent: Int) {
        switch value {
        case .array(let range): for child in range { parents[child] = parent }
        case .object(let object): for child in object.children { parents[child] = parent }
        case .scalar: break
        }
    }

    /// The YAML path's error for the same mapping: every duplicated key, sorted, at the first
    /// occurrence of the first one.
    private func duplicateKeys(_ frame: Frame) -> Failure {
        let sorted = frame.duplicates.sorted()
        let firstIndex = frame.keys.names.firstIndex(of: sorted[0]) ?? 0
        let names = sorted.map { $0.count > 100 ? $0.prefix(100) + "…" : $0 }
        let keys = names.count == 1 ? "key \(names[0])" : "keys \(names.joined(separator: ", "))"
        let (line, column) = position(of: frame.keyPositions[firstIndex])
        return Failure(message: "invalid YAML at line \(line), column \(column): duplicate \(keys)")
    }

    // MARK: - Scalars

    private mutating func readLiteral(_ word: StaticString, _ kind: ManifestScalar.Kind) throws(Failure) {
        let start = pos
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { w in
            start + w.count <= bytes.count && (0..<w.count).allSatisfy { bytes[start + $0] == w[$0] }
        }
        guard matches else { throw failure("expected a value, found \(describe(start))") }
        pos += count
        pending.append(.scalar(ManifestScalar(text: word.description, kind: kind, style: .plain, line: line)))
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; an integer when it has neither
    /// fraction nor exponent (`.int(nil)` past 64 bits), otherwise a float.
    private mutating func readNumber() throws(Failure) {
        let start = pos
        var negative = false
        if byte(pos) == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard isDigit(byte(pos)) else { throw failure("expected a digit in a number, found \(describe(pos))") }
        var magnitude: UInt64 = 0
        var overflow = false
        if byte(pos) == UInt8(ascii: "0") {
            pos += 1
        } else {
            while isDigit(byte(pos)) {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(byte(pos) - UInt8(ascii: "0")))
                if o1 || o2 { overflow = true } else if !overflow { magnitude = s }
                pos += 1
            }
        }
        var integer = true
        if byte(pos) == UInt8(ascii: ".") {
            integer = false
            pos += 1
            guard isDigit(byte(pos)) else { throw failure("expected a digit after '.', found \(describe(pos))") }
            while isDigit(byte(pos)) { pos += 1 }
        }
        if byte(pos) == UInt8(ascii: "e") || byte(pos) == UInt8(ascii: "E") {
            integer = false
            pos += 1
            if byte(pos) == UInt8(ascii: "+") || byte(pos) == UInt8(ascii: "-") { pos += 1 }
            guard isDigit(byte(pos)) else { throw failure("expected a digit in an exponent, found \(describe(pos))") }
            while isDigit(byte(pos)) { pos += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        let kind: ManifestScalar.Kind
        if !integer {
            kind = .float
        } else if overflow {
            kind = .int(nil)
        } else if negative {
            kind = magnitude <= UInt64(Int64.max) ? .int(-Int64(magnitude))
                : magnitude == UInt64(Int64.max) + 1 ? .int(Int64.min) : .int(nil)
        } else {
            kind = magnitude <= UInt64(Int64.max) ? .int(Int64(magnitude)) : .int(nil)
        }
        pending.append(.scalar(ManifestScalar(text: text, kind: kind, style: .plain, line: line)))
    }

    /// The string whose opening quote is at `pos`; `pos` ends after the closing quote.
    private mutating func readString() throws(Failure) -> String {
        pos += 1
        let start = pos
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(pos - 1)]), as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            pos += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        return try readEscapedRest()
    }

    /// The rest of a string that has an escape (or an error), appended to `scratch`.
    private mutating func readEscapedRest() throws(Failure) -> String {
        while true {
            guard pos < bytes.count else { throw failure("unterminated string") }
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape()
            case 0..<0x20:
                throw failure("a control character (U+\(hex(UInt32(b)))) must be escaped in a string")
            default:
                scratch.append(b)
                pos += 1
            }
        }
    }

    /// One escape at `pos` (the backslash), appended to `scratch` as UTF-8.
    private mutating func readEscape() throws(Failure) {
        let escapeStart = pos
        pos += 1
        let e = byte(pos)
        pos += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var code = try readHex4(escapeStart)
            if (0xDC00...0xDFFF).contains(code) {
                pos = escapeStart
                throw failure("a lone low surrogate \\u\(hex(code)) in a string")
            }
            if (0xD800...0xDBFF).contains(code) {
                guard byte(pos) == UInt8(ascii: "\\"), byte(pos + 1) == UInt8(ascii: "u") else {
                    pos = escapeStart
                    throw failure("a lone high surrogate \\u\(hex(code)) in a string")
                }
                let lowStart = pos
                pos += 2
                let low = try readHex4(lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    pos = escapeStart
                    throw failure("a high surrogate \\u\(hex(code)) not followed by a low surrogate in a string")
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            // Any other code point (surrogates are excluded above) is a valid scalar.
            scratch.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(code)!)!)
        default:
            pos = escapeStart
            throw failure(escapeStart + 1 < bytes.count ? "invalid escape \\\(describeByte(e)) in a string" : "unterminated string")
        }
    }

    /// Four hex digits at `pos`, for the `\u` escape starting at `escapeStart`.
    private mutating func readHex4(_ escapeStart: Int) throws(Failure) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            let b = byte(pos)
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A")) + 10
            default:
                pos = escapeStart
                throw failure("invalid \\u escape in a string: expected four hex digits")
            }
            code = code << 4 | digit
            pos += 1
        }
        return code
    }

    // MARK: - Bytes and positions

    /// The byte at `offset`, 0 past the end (0 is never valid JSON outside a string).
    private func byte(_ offset: Int) -> UInt8 { offset < bytes.count ? bytes[offset] : 0 }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Skips JSON whitespace, counting lines (line breaks only ever occur here).
    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0D: pos += 1
            case 0x0A:
                pos += 1
                line += 1
            default: return
            }
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    private func position(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var start = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            start = i + 1
        }
        var column = 1
        for i in start..<min(offset, bytes.count) where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return (line, column)
    }

    private func failure(_ problem: String) -> Failure {
        let (line, column) = position(of: pos)
        return Failure(message: "invalid JSON at line \(line), column \(column): \(problem)")
    }

    /// What sits at `offset`, for an error: `'x'`, or `the end of the input`.
    private func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the input" }
        return "'" + describeByte(bytes[offset]) + "'"
    }

    private func describeByte(_ b: UInt8) -> String {
        switch b {
        case 0x20...0x7E: return String(Character(Unicode.Scalar(b)))
        default: return "\\x" + hex(UInt32(b), width: 2)
        }
    }

    private func hex(_ value: UInt32, width: Int = 4) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
