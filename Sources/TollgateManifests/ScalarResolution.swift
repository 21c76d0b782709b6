/// Resolves YAML scalars the way Kubernetes reads manifests (go-yaml v2 via sigs.k8s.io/yaml):
/// plain `~`, `null`, empty are null; `true`/`yes`/`on`/`y` (and their capitalised forms) are
/// booleans; decimal, `0x`, `0o`, `0b` and leading-zero octal integers, with an optional sign and
/// `_` separators, are integers; YAML-style decimals and `.inf`/`.nan` are floats; anything else,
/// and every quoted or block scalar, is a string. Linear in the text, no regular expressions.
enum ScalarResolution {
    private static let specialFloats: Set<String> = [
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
    ]

    private static let yamlTagPrefix = "tag:yaml.org,2002:"

    /// The kind of a scalar with `text`, written in `style`, carrying `tag` (empty when implicit).
    static func kind(of text: String, style: ManifestScalar.Style, tag: String) -> ManifestScalar.Kind {
        if tag.isEmpty { return style == .plain ? resolvePlain(text) : .string }
        guard tag.hasPrefix(yamlTagPrefix) else {
            // `!` is the non-specific tag (a string); other local tags keep the plain resolution.
            return tag != "!" && style == .plain ? resolvePlain(text) : .string
        }
        let resolved = resolvePlain(text)
        switch tag.dropFirst(yamlTagPrefix.count) {
        case "null": return resolved == .null ? .null : .string
        case "bool": if case .bool = resolved { return resolved }
        case "int": if case .int = resolved { return resolved }
        case "float":
            if case .int = resolved { return .float }
            if resolved == .float { return .float }
        default: break
        }
        return .string
    }

    /// Resolution of a plain (unquoted, untagged) scalar.
    static func resolvePlain(_ text: String) -> ManifestScalar.Kind {
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "y"), UInt8(ascii: "Y"),
             UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            guard text.utf8.count <= 5 else { return .string }
            // Nulls (and the empty text, above), then booleans: compared, not hashed.
            switch text {
            case "~", "null", "Null", "NULL": return .null
            case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
            case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
            default: return .string
            }
        case UInt8(ascii: "."):
            if specialFloats.contains(text) { return .float }
            return isDotFloat(text.utf8) ? .float : .string
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Every special float has a dot; an integer is read in place unless it has `_`.
            if text.utf8.count <= 5, text.utf8.contains(UInt8(ascii: ".")), specialFloats.contains(text) { return .float }
            var copy = text
            return copy.withUTF8 { bytes in
                guard bytes.contains(UInt8(ascii: "_")) else { return resolveNumber(bytes) }
                return resolveNumber(bytes.filter { $0 != UInt8(ascii: "_") })
            }
        default:
            return .string
        }
    }

    /// Text starting with a sign or a digit, without `_`: an integer, a float or a string.
    private static func resolveNumber<C: RandomAccessCollection>(_ digits: C) -> ManifestScalar.Kind
    where C.Element == UInt8, C.Index == Int {
        switch parseInteger(digits) {
        case .value(let v): return .int(v)
        case .overflow: return .int(nil)
        case .invalid: return isYAMLFloat(digits) ? .float : .string
        }
    }

    enum IntegerParse: Equatable { case value(Int64), overflow, invalid }

    /// Go `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`/`0o`/`0b`, a leading `0`
    /// (octal) or decimal digits. Digits past an overflow are still checked, so a long integer
    /// is `.overflow`, never a trap.
    static func parseInteger<C: RandomAccessCollection>(_ bytes: C) -> IntegerParse
    where C.Element == UInt8, C.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        var negative = false
        if i < end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < end else { return .invalid }
        var radix: UInt64 = 10
        if bytes[i] == UInt8(ascii: "0"), i + 1 < end {
            switch bytes[i + 1] {
            case UInt8(ascii: "x"), UInt8(ascii: "X"): radix = 16; i += 2
            case UInt8(ascii: "o"), UInt8(ascii: "O"): radix = 8; i += 2
            case UInt8(ascii: "b"), UInt8(ascii: "B"): radix = 2; i += 2
            default: radix = 8; i += 1
            }
            guard i < end else { return .invalid }
        }
        var magnitude: UInt64 = 0
        var overflow = false
        while i < end {
            guard let d = digitValue(bytes[i]), UInt64(d) < radix else { return .invalid }
            if !overflow {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: radix)
                let (s, o2) = m.addingReportingOverflow(UInt64(d))
                if o1 || o2 { overflow = true } else { magnitude = s }
            }
            i += 1
        }
        if overflow { return .overflow }
        if negative {
            if magnitude <= UInt64(Int64.max) { return .value(-Int64(magnitude)) }
            return magnitude == UInt64(Int64.max) + 1 ? .value(Int64.min) : .overflow
        }
        return magnitude <= UInt64(Int64.max) ? .value(Int64(magnitude)) : .overflow
    }

    private static func digitValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    static func isYAMLFloat<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var it = Array(bytes)[...]
        if let f = it.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { it = it.dropFirst() }
        if it.first == UInt8(ascii: ".") {
            it = it.dropFirst()
            let n = it.prefix(while: isDigit).count
            guard n > 0 else { return false }
            it = it.dropFirst(n)
        } else {
            let n = it.prefix(while: isDigit).count
            guard n > 0 else { return false }
            it = it.dropFirst(n)
            if it.first == UInt8(ascii: ".") {
                it = it.dropFirst()
                it = it.dropFirst(it.prefix(while: isDigit).count)
            }
        }
        return isExponent(it)
    }

    /// Go `strconv.ParseFloat` on text starting with `.`: `.5`, `.5e3`.
    private static func isDotFloat(_ bytes: String.UTF8View) -> Bool {
        var it = Array(bytes)[...].dropFirst()
        let n = it.prefix(while: isDigit).count
        guard n > 0 else { return false }
        it = it.dropFirst(n)
        return isExponent(it)
    }

    /// Empty, or `[eE][-+]?[0-9]+` exactly.
    private static func isExponent(_ rest: ArraySlice<UInt8>) -> Bool {
        var it = rest
        guard let e = it.first else { return true }
        guard e == UInt8(ascii: "e") || e == UInt8(ascii: "E") else { return false }
        it = it.dropFirst()
        if let s = it.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { it = it.dropFirst() }
        return !it.isEmpty && it.allSatisfy(isDigit)
    }
}
