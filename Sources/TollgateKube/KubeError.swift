/// A failed API request: what kind of failure (``Code``), the HTTP status and the server's
/// `Status` when there was a response, the request it concerns, and the underlying cause.
public struct KubeError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, from the HTTP status and the `Status` reason.
    public enum Code: String, Sendable, Hashable {
        /// 400
        case badRequest
        /// 401: the token or certificate was refused.
        case unauthorized
        /// 403: RBAC forbids it.
        case forbidden
        /// 404: no such object — or, on a collection, the resource type is not served.
        case notFound
        /// 405
        case methodNotAllowed
        /// 409 with reason `AlreadyExists`.
        case alreadyExists
        /// 409: the resourceVersion given is stale.
        case conflict
        /// 410: the resourceVersion or continue token is too old; relist.
        case expired
        /// 422: the object is invalid.
        case invalid
        /// 429: slow down.
        case tooManyRequests
        /// 5xx.
        case serverError
        /// Any other non-success status.
        case unexpectedStatus
        /// The request did not complete in time.
        case timeout
        /// No response: connection, TLS or I/O failure.
        case transport
        /// A response that is not what the API promises (bad JSON, a line past the limit, …).
        case malformedResponse
        /// The client could not be set up (TLS material, token file).
        case configuration
    }

    public var code: Code
    /// The HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// The decoded `Status` body, when the server sent one.
    public var status: KubeStatus?
    /// `METHOD /path` of the request (no query, no credentials), when known.
    public var request: String?
    /// What happened, in words.
    public var message: String
    /// Seconds the server asked us to wait (429 / 503 `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(
        code: Code, httpStatus: Int? = nil, status: KubeStatus? = nil, request: String? = nil,
        message: String, retryAfterSeconds: Int? = nil
    ) {
        self.code = code
        self.httpStatus = httpStatus
        self.status = status
        self.request = request
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The error for a non-success HTTP status with an optional `Status` body.
    static func fromResponse(
        httpStatus: Int, status: KubeStatus?, request: String, retryAfterSeconds: Int? = nil
    ) -> KubeError {
        KubeError(
            code: code(httpStatus: httpStatus, reason: status?.reason), httpStatus: httpStatus,
            status: status, request: request,
            message: status?.message ?? "HTTP \(httpStatus)", retryAfterSeconds: retryAfterSeconds)
    }

    /// The error a watch `ERROR` event (``WatchEvent/error(_:)``) carries.
    public static func fromWatchStatus(_ status: KubeStatus, request: String) -> KubeError {
        let httpStatus = status.code ?? 500
        return KubeError(
            code: code(httpStatus: httpStatus, reason: status.reason), httpStatus: httpStatus,
            status: status, request: request, message: status.message ?? "watch error \(httpStatus)")
    }

    static func code(httpStatus: Int, reason: String?) -> Code {
        switch httpStatus {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 409: return reason == "AlreadyExists" ? .alreadyExists : .conflict
        case 410: return .expired
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 500...599: return reason == "Timeout" ? .timeout : .serverError
        default: return .unexpectedStatus
        }
    }

    /// Whether retrying the same request later may succeed.
    public var isTransient: Bool {
        switch code {
        case .tooManyRequests, .serverError, .timeout, .transport: return true
        default: return false
        }
    }

    public var description: String {
        var text = "Kubernetes API"
        if let request { text += " \(request)" }
        if let httpStatus { text += ": HTTP \(httpStatus)" }
        if let reason = status?.reason { text += " \(reason)" }
        return text + ": \(message)"
    }
}
