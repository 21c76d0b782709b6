/// A parsed `labelSelector` query parameter, with the real server's grammar: `k=v`, `k==v`,
/// `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>n`, `k<n`, comma-separated, all ANDed.
struct LabelSelector: Sendable {
    enum Operator: Sendable { case equals, notEquals, inSet, notInSet, exists, doesNotExist, greaterThan, lessThan }
    struct Requirement: Sendable {
        var key: String
        var op: Operator
        var values: [String]
    }

    var requirements: [Requirement] = []

    static let everything = LabelSelector()

    init() {}

    init(parsing text: String) throws(APIError) {
        var scanner = Scanner(Array(text))
        while true {
            scanner.skipSpaces()
            if scanner.atEnd { break }
            requirements.append(try scanner.requirement(in: text))
            scanner.skipSpaces()
            if scanner.atEnd { break }
            guard scanner.take(",") else { throw LabelSelector.error(text, "expected ','") }
        }
    }

    static func error(_ text: String, _ why: String) -> APIError {
        .badRequest("unable to parse requirement: \(why) in label selector \"\(text)\"")
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            let value = labels[r.key]
            switch r.op {
            case .equals: return value == r.values.first
            case .notEquals: return value != r.values.first
            case .inSet: return value.map(r.values.contains) ?? false
            case .notInSet: return value.map { !r.values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan: return value.flatMap { Int($0) }.map { $0 > Int(r.values[0])! } ?? false
            case .lessThan: return value.flatMap { Int($0) }.map { $0 < Int(r.values[0])! } ?? false
            }
        }
    }

    private struct Scanner {
        let chars: [Character]
        var i = 0
        init(_ chars: [Character]) { self.chars = chars }
        var atEnd: Bool { i >= chars.count }
        mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }
        mutating func take(_ s: String) -> Bool {
            let a = Array(s)
            guard i + a.count <= chars.count, Array(chars[i..<(i + a.count)]) == a else { return false }
            i += a.count
            return true
        }
        static func isNameChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "-" || c == "_" || c == "." || c == "/" }
        mutating func word() -> String {
            let start = i
            while i < chars.count, Scanner.isNameChar(chars[i]) { i += 1 }
            return String(chars[start..<i])
        }
        mutating func keyword(_ k: String) -> Bool {
            let save = i
            guard take(k), atEnd || chars[i] == " " || chars[i] == "(" else { i = save; return false }
            return true
        }

        mutating func requirement(in text: String) throws(APIError) -> Requirement {
            if take("!") {
                skipSpaces()
                let key = word()
                guard !key.isEmpty else { throw LabelSelector.error(text, "missing key after '!'") }
                return Requirement(key: key, op: .doesNotExist, values: [])
            }
            let key = word()
            guard !key.isEmpty else { throw LabelSelector.error(text, "found '\(atEnd ? "" : String(chars[i]))', expected: identifier") }
            skipSpaces()
            if atEnd || chars[i] == "," { return Requirement(key: key, op: .exists, values: []) }
            if take("==") || take("=") { return Requirement(key: key, op: .equals, values: [valueWord()]) }
            if take("!=") { return Requirement(key: key, op: .notEquals, values: [valueWord()]) }
            if take(">") || take("<") {
                let op: Operator = chars[i - 1] == ">" ? .greaterThan : .lessThan
                let v = valueWord()
                guard Int(v) != nil else { throw LabelSelector.error(text, "for 'Gt', 'Lt' operators, the value must be an integer") }
                return Requirement(key: key, op: op, values: [v])
            }
            if keyword("notin") { return Requirement(key: key, op: .notInSet, values: try set(in: text)) }
            if keyword("in") { return Requirement(key: key, op: .inSet, values: try set(in: text)) }
            throw LabelSelector.error(text, "found '\(chars[i])', expected: in, notin, =, ==, !=, gt, lt")
        }
        mutating func valueWord() -> String { skipSpaces(); return word() }
        mutating func set(in text: String) throws(APIError) -> [String] {
            skipSpaces()
            guard take("(") else { throw LabelSelector.error(text, "found '', expected: '('") }
            var values: [String] = []
            while true {
                skipSpaces()
                values.append(word())
                skipSpaces()
                if take(",") { continue }
                if take(")") { return values }
                throw LabelSelector.error(text, "found '', expected: ',' or ')'")
            }
        }
    }
}

/// A parsed `fieldSelector` query parameter: `field=value`, `field==value`, `field!=value`,
/// comma-separated, with `\` escapes. Only the fields the real server indexes for the kind are
/// accepted; others are a 400 "field label not supported".
struct FieldSelector: Sendable {
    struct Term: Sendable {
        var field: String
        var value: String
        var negated: Bool
    }

    var terms: [Term] = []

    static let everything = FieldSelector()

    init() {}

    init(parsing text: String, for type: ResourceType) throws(APIError) {
        for part in FieldSelector.split(text) where !part.isEmpty {
            let term: Term
            if let r = part.range(of: "!=") {
                term = Term(field: String(part[..<r.lowerBound]), value: String(part[r.upperBound...]), negated: true)
            } else if let r = part.range(of: "==") {
                term = Term(field: String(part[..<r.lowerBound]), value: String(part[r.upperBound...]), negated: false)
            } else if let r = part.range(of: "=") {
                term = Term(field: String(part[..<r.lowerBound]), value: String(part[r.upperBound...]), negated: false)
            } else {
                throw .badRequest("invalid selector: '\(text)'; can't understand '\(part)'")
            }
            guard FieldSelector.supportedFields(for: type).contains(term.field) else {
                throw .badRequest("field label not supported: \(term.field)")
            }
            terms.append(Term(field: term.field, value: FieldSelector.unescape(term.value), negated: term.negated))
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        terms.allSatisfy { t in
            let actual = FieldSelector.value(of: t.field, in: object)
            return t.negated ? actual != t.value : actual == t.value
        }
    }

    /// Splits on commas that are not escaped.
    private static func split(_ text: String) -> [String] {
        var parts: [String] = [], current = "", escaped = false
        for c in text {
            if escaped { current.append("\\"); current.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "," { parts.append(current); current = ""; continue }
            current.append(c)
        }
        parts.append(current)
        return parts
    }

    private static func unescape(_ s: String) -> String {
        var out = "", escaped = false
        for c in s {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }

    /// The fields kube-apiserver's registry strategies expose to field selectors.
    static func supportedFields(for type: ResourceType) -> Set<String> {
        var fields: Set<String> = ["metadata.name", "metadata.namespace"]
        guard type.origin == .builtIn, type.group.isEmpty else { return fields }
        switch type.kind {
        case "Secret": fields.insert("type")
        case "Namespace": fields.insert("status.phase")
        case "Service": fields.formUnion(["spec.clusterIP", "spec.type"])
        case "Event":
            fields.formUnion(["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                              "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                              "reason", "reportingComponent", "source", "type"])
        default: break
        }
        return fields
    }

    /// A field's value as the server computes it (absent fields read as "").
    static func value(of field: String, in object: JSONValue) -> String {
        if field == "source" { return object[path: ["source", "component"]]?.stringValue ?? "" }
        if field == "metadata.namespace" { return object.namespace ?? "" }
        return object[path: field.split(separator: ".").map(String.init)]?.stringValue ?? ""
    }
}
