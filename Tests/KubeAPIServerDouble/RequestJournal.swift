import Synchronization

extension KubeAPIServerDouble {
    /// A request as fault-injection rules see it.
    public struct Request: Sendable {
        public var method: String
        /// The decoded path, e.g. `/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gw/status`.
        public var path: String
        /// Decoded query parameters (the first value of each).
        public var query: [String: String]
        /// `?watch=1` or `?watch=true`.
        public var isWatch: Bool { ["1", "true", "True", "TRUE", "t", "T"].contains(query["watch"] ?? "") }
    }

    /// A request the double answered, in arrival order.
    public struct LoggedRequest: Sendable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var query: [String: String]
        /// The HTTP status sent (200 for a watch that started streaming).
        public var status: Int
        public var isWatch: Bool { ["1", "true", "True", "TRUE", "t", "T"].contains(query["watch"] ?? "") }
        public var description: String {
            let q = query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            return "\(method) \(path)\(q.isEmpty ? "" : "?" + q) \(status)"
        }
    }
}

/// The request log and the injected failures, shared by every connection.
final class RequestJournal: Sendable {
    struct Rule: Sendable {
        var status: Int
        var remaining: Int?
        var matching: @Sendable (KubeAPIServerDouble.Request) -> Bool
    }

    private struct State {
        var rules: [Rule] = []
        var log: [KubeAPIServerDouble.LoggedRequest] = []
    }

    private let state = Mutex(State())

    func addRule(_ rule: Rule) { state.withLock { $0.rules.append(rule) } }
    func clearRules() { state.withLock { $0.rules.removeAll() } }

    /// The injected failure for this request, consuming one use of the first matching rule.
    func failure(for request: KubeAPIServerDouble.Request) -> APIError? {
        state.withLock { s in
            guard let index = s.rules.firstIndex(where: { ($0.remaining ?? 1) > 0 && $0.matching(request) }) else { return nil }
            let status = s.rules[index].status
            if let r = s.rules[index].remaining { s.rules[index].remaining = r - 1 }
            s.rules.removeAll { $0.remaining == 0 }
            var details: JSONValue? = nil
            if status == 429 || status == 503 || status == 504 { details = ["retryAfterSeconds": 1] }
            let message = status == 429 ? "Too many requests, please try again later." : "injected failure (\(status))"
            return APIError(code: status, reason: APIError.reason(forCode: status), message: message, details: details)
        }
    }

    func record(_ entry: KubeAPIServerDouble.LoggedRequest) { state.withLock { $0.log.append(entry) } }
    var log: [KubeAPIServerDouble.LoggedRequest] { state.withLock { $0.log } }
    func clearLog() { state.withLock { $0.log.removeAll() } }
}
