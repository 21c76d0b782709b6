import Foundation

extension KubeClient {
    /// Writes an object's status computed from its current state, with optimistic concurrency.
    ///
    /// GETs the object and calls `computeStatus` with it; the closure returns the new `status`
    /// as JSON, or nil to leave it alone. When the new status equals the current one (by JSON
    /// value, not bytes) nothing is written. Otherwise the object with the new status is PUT to
    /// `…/status` carrying the resourceVersion that was read; on 409 Conflict the object is read
    /// again and the closure runs again, up to `maxAttempts` times with a short jittered pause.
    ///
    /// The closure runs in the caller's isolation (`isolation`), so an actor can compute the
    /// status from its own state.
    ///
    /// - Returns: whether a write happened; false also when the object does not exist.
    /// - Throws: ``KubeError`` (`.conflict` when every attempt lost the race).
    @discardableResult
    public func updateStatus(
        _ resource: ResourceType, namespace: String?, name: String, maxAttempts: Int = 5,
        isolation: isolated (any Actor)? = #isolation,
        _ computeStatus: (KubeObject) throws -> Data?
    ) async throws -> Bool {
        var backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(500))
        var attempt = 1
        while true {
            guard let current = try await get(resource, namespace: namespace, name: name) else { return false }
            guard let newStatus = try computeStatus(current) else { return false }
            guard let body = try Self.replacingStatus(of: current, with: newStatus) else { return false }
            do {
                _ = try await replaceStatus(resource, namespace: namespace, name: name, json: body)
                return true
            } catch let error as KubeError where error.code == .conflict && attempt < maxAttempts {
                attempt += 1
                logger.debug("status write conflicted; reading again", metadata: [
                    "resource": "\(resource)", "object": "\(current.key)", "attempt": "\(attempt)",
                ])
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    /// The object's JSON with `status` replaced, or nil when the new status equals the old.
    static func replacingStatus(of object: KubeObject, with status: Data) throws -> Data? {
        var value: JSONValue
        let newStatus: JSONValue
        do {
            value = try JSONValue.parse(object.json)
            newStatus = try JSONValue.parse(status)
        } catch {
            throw KubeError(code: .malformedResponse, message: "status update of \(object.key): \(error)")
        }
        if value["status"] == newStatus { return nil }
        value["status"] = newStatus
        return try value.serialized()
    }
}
