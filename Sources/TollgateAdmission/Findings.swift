/// The violations found so far in one object, and the schema keywords of a CRD (`minLength`,
/// `maxLength`, `pattern`, `enum`, `minItems`, `maxItems`, `minimum`, `maximum`, `maxProperties`)
/// as checks that append to it.
struct Findings {
    private(set) var violations: [FieldViolation] = []

    mutating func append(_ v: FieldViolation) { violations.append(v) }

    /// Appends `Invalid value` violations, one per message.
    mutating func invalid(_ value: String, _ messages: [String], at path: FieldPath) {
        for m in messages { append(.invalid(path, value, m)) }
    }

    /// A CRD string field.
    mutating func string(_ value: String, _ rule: StringRule, at path: FieldPath) {
        let length = value.unicodeScalars.count
        if length < rule.minLength {
            append(.invalid(path, value, "must be at least \(rule.minLength) character\(rule.minLength == 1 ? "" : "s") long"))
        }
        if let max = rule.maxLength, length > max {
            append(.invalid(path, value, "must be no more than \(max) characters"))
        }
        if let allowed = rule.allowed, !allowed.contains(value) {
            append(.unsupported(path, value, supported: allowed))
        }
        if let pattern = rule.pattern, !pattern.matches(value) {
            append(.invalid(path, value, "should match '\(pattern.regex)'"))
        }
    }

    /// An optional CRD string field: checked when present.
    mutating func string(_ value: String?, _ rule: StringRule, at path: FieldPath) {
        if let value { string(value, rule, at: path) }
    }

    /// A field the CRD requires but the model decodes as optional.
    mutating func required<T>(_ value: T?, at path: FieldPath) {
        if value == nil { append(.required(path)) }
    }

    /// `minItems`/`maxItems` of a list that is present.
    mutating func items(_ count: Int, min: Int = 0, max: Int, at path: FieldPath) {
        if count < min { append(.required(path, "must have at least \(min) item\(min == 1 ? "" : "s")")) }
        if count > max { append(.tooMany(path, count: count, max: max)) }
    }

    /// `minimum`/`maximum` of an integer.
    mutating func integer<I: BinaryInteger>(_ value: I, in range: ClosedRange<Int>, at path: FieldPath) {
        if value < range.lowerBound || value > range.upperBound {
            append(.invalid(path, integer: value, "must be between \(range.lowerBound) and \(range.upperBound), inclusive"))
        }
    }

    /// A map of strings: `maxProperties` and a rule for every value, keys in sorted order.
    mutating func stringMap(_ map: [String: String]?, maxProperties: Int, values rule: StringRule, at path: FieldPath) {
        guard let map else { return }
        if map.count > maxProperties {
            append(FieldViolation(field: path.description,
                                  message: "Too many: \(map.count): must have at most \(maxProperties) entries"))
        }
        for key in map.keys.sorted() {
            if let value = map[key] { string(value, rule, at: path.key(key)) }
        }
    }
}

/// The schema keywords of one CRD string field.
struct StringRule: Sendable {
    var minLength = 0
    var maxLength: Int? = nil
    var pattern: TextPattern? = nil
    var allowed: [String]? = nil
}

/// A CRD `pattern`: the regex as the CRD writes it (for the message) and a matcher for it.
struct TextPattern: Sendable {
    var regex: String
    var matches: @Sendable (String) -> Bool
}
