/// A failed API call, shaped as the real server's `Status` object (`kind: Status`, `status:
/// Failure`, `reason`, `code`, `details`). The double's direct store methods throw it too, so a test
/// sees the same reasons over the wire and in process.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// HTTP status code: 404, 409, 410, 422...
    public var code: Int
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, `BadRequest`...
    public var reason: String
    public var message: String
    /// The `details` object (`name`, `group`, `kind`, `uid`, `causes`, `retryAfterSeconds`).
    public var details: JSONValue?

    public init(code: Int, reason: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object sent on the wire.
    public var status: JSONValue {
        var o: [String: JSONValue] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "code": .int(code),
        ]
        if !reason.isEmpty { o["reason"] = .string(reason) }
        if let details { o["details"] = details }
        return .object(o)
    }

    /// Builds the error from a `Status` object (e.g. read back from an ERROR watch event).
    public init?(status: JSONValue) {
        guard status["kind"]?.stringValue == "Status", let code = status["code"]?.intValue else { return nil }
        self.init(code: code, reason: status["reason"]?.stringValue ?? "", message: status["message"]?.stringValue ?? "", details: status["details"])
    }
}

extension APIError {
    static func details(_ type: ResourceType, name: String, uid: String? = nil) -> JSONValue {
        var d: [String: JSONValue] = ["name": .string(name), "kind": .string(type.plural)]
        if !type.group.isEmpty { d["group"] = .string(type.group) }
        if let uid { d["uid"] = .string(uid) }
        return .object(d)
    }

    static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(type.qualifiedResource) \"\(name)\" not found", details: details(type, name: name))
    }

    static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(type.qualifiedResource) \"\(name)\" already exists", details: details(type, name: name))
    }

    static func conflict(_ type: ResourceType, _ name: String, _ why: String = "the object has been modified; please apply your changes to the latest version and try again") -> APIError {
        APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(type.qualifiedResource) \"\(name)\": \(why)", details: details(type, name: name))
    }

    /// One field-level problem, as in `details.causes`.
    struct Cause {
        var field: String
        /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueForbidden`...
        var reason: String
        var message: String
    }

    static func invalid(_ type: ResourceType, _ name: String, _ causes: [Cause]) -> APIError {
        let list = causes.map { "\($0.field): \($0.message)" }
        let summary = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        var d: [String: JSONValue] = ["name": .string(name), "kind": .string(type.kind)]
        if !type.group.isEmpty { d["group"] = .string(type.group) }
        d["causes"] = .array(causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })
        return APIError(code: 422, reason: "Invalid", message: "\(type.qualifiedKind) \"\(name)\" is invalid: \(summary)", details: .object(d))
    }

    static func badRequest(_ message: String) -> APIError { APIError(code: 400, reason: "BadRequest", message: message) }

    static func expired(_ message: String) -> APIError { APIError(code: 410, reason: "Expired", message: message) }

    /// A read or watch from a revision the store has not reached yet.
    static func tooLargeResourceVersion(_ rv: Int, current: Int) -> APIError {
        APIError(code: 504, reason: "Timeout", message: "Timeout: Too large resource version: \(rv), current: \(current)",
                 details: ["causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]], "retryAfterSeconds": 1])
    }

    static func methodNotAllowed(_ message: String) -> APIError { APIError(code: 405, reason: "MethodNotAllowed", message: message) }

    static func unsupportedMediaType(_ contentType: String, accepted: [String]) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType",
                 message: "the body of the request was in an unknown format - accepted media types include: " + accepted.joined(separator: ", "),
                 details: ["causes": [["reason": "UnexpectedServerResponse", "message": .string(contentType)]]])
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// The generic 404 of a path no resource serves.
    static let pathNotFound = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                                       details: ["causes": [["reason": "UnexpectedServerResponse", "message": "404 page not found"]]])

    /// The reason the real server pairs with an HTTP code, for injected failures.
    static func reason(forCode code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 410: "Expired"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: ""
        }
    }
}
