/// One refused field, named by its path in the object (`spec.listeners[0].port`), with a message in
/// the words a Kubernetes API server uses (`Invalid value: "…": must be no more than 253 characters`).
///
/// Messages never contain a raw control character: values are echoed escaped and shortened (see
/// `EchoedText`), so a violation can be printed on one line and logged safely.
public struct FieldViolation: Sendable, Hashable, CustomStringConvertible {
    /// Dotted path with `[i]` indexes and `[key]` map keys, e.g. `spec.rules[0].matches[1].headers[0].value`.
    public var field: String
    /// What is wrong and the limit or pattern.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

extension FieldViolation {
    /// `Required value` (with an optional detail).
    public static func required(_ path: FieldPath, _ detail: String = "") -> FieldViolation {
        FieldViolation(field: path.description, message: detail.isEmpty ? "Required value" : "Required value: \(detail)")
    }

    /// `Invalid value: "…": detail` for a string value.
    public static func invalid(_ path: FieldPath, _ value: String, _ detail: String) -> FieldViolation {
        FieldViolation(field: path.description, message: "Invalid value: \(EchoedText.quoted(value)): \(detail)")
    }

    /// `Invalid value: 70000: detail` for an integer value.
    public static func invalid<I: BinaryInteger>(_ path: FieldPath, integer value: I, _ detail: String) -> FieldViolation {
        FieldViolation(field: path.description, message: "Invalid value: \(value): \(detail)")
    }

    /// `Unsupported value: "…": supported values: "A", "B"`.
    public static func unsupported(_ path: FieldPath, _ value: String, supported: [String]) -> FieldViolation {
        let list = supported.map { EchoedText.quoted($0) }.joined(separator: ", ")
        return FieldViolation(field: path.description,
                              message: "Unsupported value: \(EchoedText.quoted(value)): supported values: \(list)")
    }

    /// `Duplicate value: "…"` (with an optional detail).
    public static func duplicate(_ path: FieldPath, _ value: String, _ detail: String = "") -> FieldViolation {
        let head = "Duplicate value: \(EchoedText.quoted(value))"
        return FieldViolation(field: path.description, message: detail.isEmpty ? head : "\(head): \(detail)")
    }

    /// `Too many: 17: must have at most 16 items`.
    public static func tooMany(_ path: FieldPath, count: Int, max: Int) -> FieldViolation {
        FieldViolation(field: path.description, message: "Too many: \(count): must have at most \(max) items")
    }

    /// `Too long: may not be more than N bytes` (sizes of whole maps, as for annotations or Secret data).
    public static func tooLong(_ path: FieldPath, bytes max: Int, _ detail: String = "") -> FieldViolation {
        let head = "Too long: may not be more than \(max) bytes"
        return FieldViolation(field: path.description, message: detail.isEmpty ? head : "\(head) (\(detail))")
    }

    /// `Forbidden: detail`.
    public static func forbidden(_ path: FieldPath, _ detail: String) -> FieldViolation {
        FieldViolation(field: path.description, message: "Forbidden: \(detail)")
    }

    /// A field the model decodes but the CRD schema does not declare: `kubectl apply` (strict field
    /// validation, its default) refuses it instead of dropping it.
    public static func unknownField(_ path: FieldPath) -> FieldViolation {
        FieldViolation(field: path.description, message: "Unknown field: not declared in the schema of this kind")
    }
}
