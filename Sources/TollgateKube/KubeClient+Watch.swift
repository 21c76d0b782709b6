import AsyncHTTPClient
import Foundation
import NIOCore

extension KubeClient {
    /// Watches `resource` from `resourceVersion` (nil or empty: from "any", with synthetic ADDED
    /// events for what exists). Returns once the server accepted the watch; the stream then yields
    /// events as their lines complete and finishes when the server closes the watch (normally at
    /// `timeoutSeconds`). A watch the server refused throws here — `.expired` for a resourceVersion
    /// that is too old, `.notFound` when the resource is not served. Cancelling the consuming task
    /// closes the connection.
    ///
    /// An `ERROR` event is yielded as ``WatchEvent/error(_:)``; the stream ends after it.
    /// A line longer than `maximumLineBytes` fails the stream with `.malformedResponse`.
    public func watch(
        _ resource: ResourceType, namespace: String? = nil, labelSelector: LabelSelector? = nil,
        fieldSelector: String? = nil, resourceVersion: String?, timeoutSeconds: Int = 300,
        allowWatchBookmarks: Bool = true, maximumLineBytes: Int = 64 << 20
    ) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        let path = APIPath.path(resource, namespace: namespace)
        let query = APIPath.query([
            ("watch", "true"),
            ("resourceVersion", resourceVersion.flatMap { $0.isEmpty ? nil : $0 }),
            ("timeoutSeconds", String(timeoutSeconds)),
            ("allowWatchBookmarks", allowWatchBookmarks ? "true" : nil),
            ("labelSelector", labelSelector.flatMap { $0.isEmpty ? nil : $0.description }),
            ("fieldSelector", fieldSelector),
        ])
        // The server ends the watch at timeoutSeconds; the deadline only catches a silent hang.
        let deadline = NIODeadline.now() + .seconds(Int64(timeoutSeconds) + 30)
        let response = try await open(.GET, path, query: query, deadline: deadline)
        let described = "GET \(path) (watch)"
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var splitter = LineSplitter(maximumLineLength: maximumLineBytes)
                    var ended = false
                    streaming: for try await buffer in response.body {
                        try Task.checkCancellation()
                        for line in try splitter.append(buffer.readableBytesView) {
                            let event = try WatchEvent.decode(line: line, of: resource)
                            continuation.yield(event)
                            if case .error = event {
                                ended = true
                                break streaming
                            }
                        }
                    }
                    if !ended, let line = splitter.finish() {
                        continuation.yield(try WatchEvent.decode(line: line, of: resource))
                    }
                    continuation.finish()
                } catch let error as LineSplitter.LineTooLong {
                    continuation.finish(throwing: KubeError(
                        code: .malformedResponse, request: described, message: "watch stream: \(error)"))
                } catch var error as KubeError {
                    error.request = error.request ?? described
                    continuation.finish(throwing: error)
                } catch {
                    continuation.finish(throwing: Self.transportError(error, request: described))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
