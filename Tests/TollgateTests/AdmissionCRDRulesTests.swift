import Foundation
import Testing
import TollgateAdmission
import TollgateModel

/// One schema keyword of a Gateway API CRD field, from `Fixtures/crd-rules.json`
/// (`scripts/crd-rules.py`).
struct CRDRule: Decodable, Sendable, CustomTestStringConvertible {
    enum Value: Decodable, Sendable {
        case int(Int), string(String), strings([String]), ints([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) {
                self = .int(i)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let list = try? c.decode([String].self) {
                self = .strings(list)
            } else {
                self = .ints(try c.decode([Int].self))
            }
        }
        var int: Int { if case .int(let i) = self { return i }; return 0 }
    }
    var kind: String
    var path: String
    var keyword: String
    var value: Value
    var channel: String
    var violating: String?

    var testDescription: String { "\(kind) \(path) \(keyword)" }

    /// Loads the committed fixture (never the CRDs themselves).
    static func load() -> [CRDRule] {
        struct File: Decodable { var rules: [CRDRule] }
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/crd-rules.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        return (try? JSONDecoder().decode(File.self, from: data).rules) ?? []
    }
}

/// For every CRD keyword on a field the model decodes, an object that violates exactly that keyword
/// (built from a valid sample) is refused with a violation naming the field.
@Suite struct AdmissionCRDRulesTests {
    static let rules = CRDRule.load()

    @Test("the fixture holds the CRDs' rules, including the experimental header value pattern")
    func fixtureLoads() {
        #expect(Self.rules.count > 300)
        #expect(Self.rules.contains { $0.path == "spec.rules[].matches[].headers[].value" && $0.keyword == "pattern" && $0.channel == "experimental" })
        #expect(Self.rules.contains { $0.kind == "Gateway" && $0.path == "spec.listeners" && $0.keyword == "maxItems" && $0.value.int == 64 })
    }

    @Test("each keyword on a decoded field is enforced at that field", arguments: CRDRule.load())
    func keywordIsEnforced(rule: CRDRule) throws {
        guard case .checked(let field, let violations, let expected) = try Self.apply(rule) else { return }
        let atField = violations.filter { $0.field == field }
        #expect(!atField.isEmpty, "\(rule.testDescription): nothing at \(field); got \(violations)")
        #expect(atField.contains { $0.message.contains(expected) },
                "\(rule.testDescription): expected “\(expected)” at \(field); got \(atField)")
    }

    @Test("the rules checked cover the fields the model decodes")
    func coverage() throws {
        var checked: Set<String> = []
        for rule in Self.rules {
            if case .checked = try Self.apply(rule) { checked.insert("\(rule.kind) \(rule.path) \(rule.keyword)") }
        }
        #expect(checked.count >= 220, "only \(checked.count) rules apply to decoded fields")
        for expected in ["Gateway spec.listeners[].port maximum", "Gateway spec.listeners maxItems",
                         "HTTPRoute spec.rules[].matches[].headers[].value pattern",
                         "HTTPRoute spec.rules[].backendRefs[].weight maximum", "HTTPRoute spec.hostnames[] pattern",
                         "BackendTLSPolicy spec.validation.subjectAltNames[].uri pattern",
                         "GatewayClass spec.controllerName pattern", "ReferenceGrant spec.to[].name maxLength",
                         "Gateway spec.infrastructure.labels{} pattern", "HTTPRoute spec.rules[].timeouts.request pattern"] {
            #expect(checked.contains(expected), "\(expected) was not checked")
        }
        // Not decoded, so not checked: filter bodies.
        #expect(!checked.contains("HTTPRoute spec.rules[].filters[].requestRedirect.hostname pattern"))
    }

    enum Outcome {
        /// The model drops the field (or the keyword cannot be violated).
        case skipped
        case checked(field: String, violations: [FieldViolation], expected: String)
    }

    /// Builds the sample of the rule's kind violating the rule and reviews it.
    static func apply(_ rule: CRDRule) throws -> Outcome {
        guard let kind = ObjectKind(rawValue: rule.kind), let edit = Edit(rule) else {
            Issue.record("cannot build a violation for \(rule.testDescription)")
            return .skipped
        }
        if ["minLength", "minItems"].contains(rule.keyword), rule.value.int == 0 { return .skipped }
        var tree = try #require(try JSONSerialization.jsonObject(with: Data(AdmissionSamples.sample(kind).utf8)) as? [String: Any])
        let (target, field) = edit.target(in: tree)
        let newValue = edit.value(existing: target.get(tree))
        tree = target.set(tree, newValue) as? [String: Any] ?? tree
        let object = try AdmissionSamples.decode(try JSONSerialization.data(withJSONObject: tree))
        // Fields the model does not decode are dropped before admission: nothing to check.
        let kept = try JSONSerialization.jsonObject(with: try AdmissionSamples.encode(object))
        guard Edit.same(target.get(kept), newValue) else { return .skipped }
        return .checked(field: field, violations: Admission.review(object), expected: edit.expectedMessage)
    }

    /// How one keyword is violated.
    struct Edit {
        var rule: CRDRule
        /// The keyword applies to the list or map itself rather than to its items.
        var onContainer: Bool
        var expectedMessage: String

        init?(_ rule: CRDRule) {
            self.rule = rule
            switch rule.keyword {
            case "maxLength": onContainer = false; expectedMessage = "must be no more than \(rule.value.int) characters"
            case "minLength": onContainer = false; expectedMessage = "must be at least \(rule.value.int) character"
            case "pattern": onContainer = false; expectedMessage = "should match"
            case "enum": onContainer = false; expectedMessage = "Unsupported value"
            case "minimum", "maximum": onContainer = false; expectedMessage = "must be between"
            case "maxItems", "maxProperties": onContainer = true; expectedMessage = "Too many"
            case "minItems": onContainer = true; expectedMessage = "must have at least \(rule.value.int) item"
            default: return nil
            }
        }

        /// The CRD path made concrete: item 0 of every list, the first key of every map (`k` when
        /// the sample has none). The text is also the field Admission must name
        /// (`spec.infrastructure.labels[team]`).
        func target(in tree: [String: Any]) -> (path: JSONPath, field: String) {
            var text = Substring(rule.path)
            if onContainer, text.hasSuffix("[]") || text.hasSuffix("{}") { text = text.dropLast(2) }
            var concrete = ""
            while let c = text.first {
                if text.hasPrefix("[]") {
                    concrete += "[0]"
                    text = text.dropFirst(2)
                } else if text.hasPrefix("{}") {
                    let map = JSONPath(concrete).get(tree) as? [String: Any]
                    concrete += "[\(map?.keys.sorted().first ?? "k")]"
                    text = text.dropFirst(2)
                } else {
                    concrete.append(c)
                    text = text.dropFirst()
                }
            }
            return (JSONPath(concrete), concrete)
        }

        func value(existing: Any?) -> Any {
            switch rule.keyword {
            case "maxLength": return String(repeating: "a", count: rule.value.int + 1)
            case "minLength": return ""
            case "pattern": return rule.violating ?? ""
            case "enum":
                if case .ints = rule.value { return 0 }
                return "NotInTheEnum"
            case "minimum": return rule.value.int - 1
            case "maximum": return rule.value.int + 1
            case "minItems": return [Any]()
            case "maxItems":
                let element = (existing as? [Any])?.first ?? [String: Any]()
                return Array(repeating: element, count: rule.value.int + 1)
            case "maxProperties":
                let element = (existing as? [String: Any])?.values.first ?? "v"
                var map: [String: Any] = [:]
                for n in 0...rule.value.int { map["example.com/k\(n)"] = element }
                return map
            default: return NSNull()
            }
        }

        /// Whether the model kept the edited value: the same scalar, or a list of as many items, or a
        /// map with the same keys (items themselves may lose fields the model does not decode).
        static func same(_ a: Any?, _ b: Any) -> Bool {
            guard let a else { return false }
            if let list = b as? [Any] { return (a as? [Any])?.count == list.count }
            if let map = b as? [String: Any] { return (a as? [String: Any]).map { Set($0.keys) } == Set(map.keys) }
            let opts: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
            return (try? JSONSerialization.data(withJSONObject: [a], options: opts)) == (try? JSONSerialization.data(withJSONObject: [b], options: opts))
        }
    }
}
