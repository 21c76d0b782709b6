import Foundation

/// One HTTP request as the router sees it: decoded path and query, lower-cased header names.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: Data
    /// What the response should be, from the Accept header (set by the core).
    var format = ResponseFormat.json

    /// Splits `/a/b?x=1&y=2` and percent-decodes (with `+` as space, as Go's `url.ParseQuery`).
    init(method: String, uri: String, headers: [String: String], body: Data) {
        self.method = method
        self.headers = headers
        self.body = body
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (s: Substring) in (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)) }
                let key = decode(kv[0])
                if query[key] == nil { query[key] = kv.count == 2 ? decode(kv[1]) : "" }
            }
        }
        self.query = query
    }

    /// Go's `strconv.ParseBool` truth values.
    func flag(_ name: String) -> Bool { ["1", "t", "T", "true", "TRUE", "True"].contains(query[name] ?? "") }

    /// The media type of the body, without parameters, lower-cased.
    var contentType: String {
        (headers["content-type"] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }
}

/// What the router answers: a complete response, or a watch stream to open.
enum APIOutcome: Sendable {
    case response(APIResponse)
    case watch(WatchPlan)
}

struct APIResponse: Sendable {
    var status: Int
    var body: Data
    var contentType = "application/json"
    var headers: [(String, String)] = []

    init(status: Int, json: JSONValue, contentType: String = "application/json", headers: [(String, String)] = []) {
        self.status = status
        var data = json.serialized()
        data.append(0x0A)
        body = data
        self.contentType = contentType
        self.headers = headers
    }

    init(status: Int, text: String, contentType: String = "text/plain; charset=utf-8") {
        self.status = status
        body = Data(text.utf8)
        self.contentType = contentType
    }

    init(_ error: APIError) {
        var headers: [(String, String)] = []
        if let retry = error.details?["retryAfterSeconds"]?.intValue { headers.append(("Retry-After", String(retry))) }
        self.init(status: error.code, json: error.status, headers: headers)
    }
}

/// A validated watch request: what to stream and for how long.
struct WatchPlan: Sendable {
    var filter: ObjectFilter
    var resourceVersion: String?
    var sendInitialEvents: Bool
    var bookmarks: Bool
    /// `timeoutSeconds`; nil streams until the client leaves or the server stops.
    var timeoutSeconds: Int?
}
