/// A label selector for list and watch (`labelSelector=`): equality and set-based requirements,
/// ANDed. Rendered in the API's text form, e.g. `app=web,tier!=db,env in (prod,staging),!legacy`.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// One requirement on one label key.
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, [String])
        case notIn(String, [String])
        case exists(String)
        case doesNotExist(String)
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// `matchLabels` of a `metav1.LabelSelector`: every key equals its value (keys sorted).
    public init(matchLabels: [String: String]) {
        requirements = matchLabels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    /// Whether the selector selects nothing in particular (matches every object).
    public var isEmpty: Bool { requirements.isEmpty }

    public var description: String {
        requirements.map { requirement -> String in
            switch requirement {
            case .equals(let key, let value): return "\(key)=\(value)"
            case .notEquals(let key, let value): return "\(key)!=\(value)"
            case .in(let key, let values): return "\(key) in (\(values.joined(separator: ",")))"
            case .notIn(let key, let values): return "\(key) notin (\(values.joined(separator: ",")))"
            case .exists(let key): return key
            case .doesNotExist(let key): return "!\(key)"
            }
        }.joined(separator: ",")
    }

    /// Whether an object with `labels` is selected, as the API server decides it.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .in(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return !(labels[key].map(values.contains) ?? false)
            case .exists(let key): return labels[key] != nil
            case .doesNotExist(let key): return labels[key] == nil
            }
        }
    }
}
