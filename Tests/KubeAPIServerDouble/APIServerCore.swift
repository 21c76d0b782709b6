import Foundation
import Logging

/// Everything between the socket and the store: bearer-token check, injected failures, content
/// negotiation, routing and the request log. Independent of the transport, so it outlives
/// server restarts.
final class APIServerCore: Sendable {
    let store: ObjectStore
    let router: APIRouter
    let journal = RequestJournal()
    let token: String
    let bookmarkInterval: Duration
    let logger: Logger

    init(store: ObjectStore, token: String, bookmarkInterval: Duration, logger: Logger) {
        self.store = store
        self.token = token
        self.bookmarkInterval = bookmarkInterval
        self.logger = logger
        router = APIRouter(store: store, discovery: Discovery(types: store.types), openAPI: OpenAPI(types: store.types))
    }

    func handle(_ request: APIRequest, serverAddress: String) -> APIOutcome {
        let visible = KubeAPIServerDouble.Request(method: request.method, path: request.path, query: request.query)
        let outcome: APIOutcome
        if request.headers["authorization"] != "Bearer \(token)" {
            outcome = .response(APIResponse(.unauthorized))
        } else if let failure = journal.failure(for: visible) {
            outcome = .response(APIResponse(failure))
        } else if let format = ResponseFormat.negotiate(request.headers["accept"], discoveryPath: ["/api", "/apis"].contains(request.path)) {
            var negotiated = request
            negotiated.format = format
            outcome = router.route(negotiated, serverAddress: serverAddress)
        } else if request.path == "/openapi/v2" {
            outcome = router.route(request, serverAddress: serverAddress)
        } else {
            outcome = .response(APIResponse(APIError(code: 406, reason: "NotAcceptable",
                                                     message: "only the following media types are accepted: application/json, application/yaml")))
        }
        let status: Int
        switch outcome {
        case .response(let r): status = r.status
        case .watch: status = 200
        }
        let entry = KubeAPIServerDouble.LoggedRequest(method: request.method, path: request.path, query: request.query, status: status)
        journal.record(entry)
        logger.debug("\(entry)")
        return outcome
    }
}
