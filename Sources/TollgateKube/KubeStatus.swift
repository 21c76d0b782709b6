import Foundation

/// A `meta/v1` `Status` as the API server returns it with an error (or in a watch `ERROR` event).
public struct KubeStatus: Sendable, Equatable, Decodable {
    /// `Failure` or `Success`.
    public var status: String?
    /// Machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Expired`, `Gone`, …
    public var reason: String?
    /// Human-readable message.
    public var message: String?
    /// The HTTP code the status stands for.
    public var code: Int?

    public init(status: String? = nil, reason: String? = nil, message: String? = nil, code: Int? = nil) {
        self.status = status
        self.reason = reason
        self.message = message
        self.code = code
    }

    /// Decodes a `Status` from a response body; nil when the body is not one.
    static func decode(_ body: Data) -> KubeStatus? {
        guard let status = try? JSONDecoder().decode(KubeStatus.self, from: body),
              status.reason != nil || status.message != nil || status.code != nil
        else { return nil }
        return status
    }
}
