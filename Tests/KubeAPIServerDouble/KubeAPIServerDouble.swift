import Foundation
import Logging

/// An in-process Kubernetes API server for tests: the real REST wire protocol (legacy and
/// aggregated discovery, OpenAPI index, CRUD, status subresources, patches, lists with selectors
/// and paging, watches with bookmarks, server-side tables) over HTTPS with bearer-token auth, good
/// enough for the real `kubectl` and for client code that will later meet a real API server.
///
/// The store outlives `stop()`, so `start(port:)` again on the same port is an API server restart:
/// connections and watches break, objects and the resourceVersion counter survive. Tests reach the
/// same store directly (`create`, `get`, `update`, `updateStatus`, `delete`, `list`) with the same
/// semantics as the REST API, and inject faults (`dropWatches`, `compact`, `failRequests`).
///
/// Approximated: strategic merge patch (merge-patch plus the directives kubectl sends and
/// list-merge by key for the served built-in kinds); the garbage collector runs synchronously after
/// every write, and `Foreground` deletion deletes dependents first instead of waiting for them;
/// a deleted namespace stays Terminating for half a second, then its contents and itself go.
///
/// Of the CRDs' schemas only the Gateway and GatewayClass status defaults ("Waiting for
/// controller") are applied.
///
/// Protobuf request bodies (kubectl's `create namespace|configmap|secret` shortcuts) are decoded
/// for Namespace, ConfigMap and Secret only; other kinds answer 415.
///
/// Not modelled: server-side apply (415), protobuf responses, YAML bodies that are not JSON, `managedFields`, CRD schema validation and spec defaults
/// (`fieldValidation` is accepted, not enforced), ClusterIP allocation, the deprecated `/watch/`
/// paths, HTTP/2.
public final class KubeAPIServerDouble: Sendable {
    public enum LifecycleError: Error, Sendable {
        case alreadyRunning
    }

    /// The bearer token every request must carry.
    public let token: String
    /// The served resource types.
    public let resources: [ResourceType]

    let core: APIServerCore
    private let identity: TLSIdentity
    private let server: HTTPServer

    /// - Parameters:
    ///   - token: the bearer token clients must send; random by default.
    ///   - resources: the served types; leave one out to model a CRD that is not installed.
    ///   - bookmarkInterval: how often watches with `allowWatchBookmarks=true` get a BOOKMARK.
    ///   - logger: every answered request is logged at `debug` (`METHOD PATH?QUERY STATUS`).
    public init(token: String = UUID().uuidString.lowercased(), resources: [ResourceType] = ResourceType.tollgateDefaults,
                bookmarkInterval: Duration = .seconds(1), logger: Logger = Logger(label: "kube-api-server-double"))
    {
        self.token = token
        self.resources = resources
        identity = TLSIdentity()
        core = APIServerCore(store: ObjectStore(types: resources), token: token, bookmarkInterval: bookmarkInterval, logger: logger)
        server = HTTPServer(core: core, identity: identity)
    }

    /// Listens on 127.0.0.1 (`port` 0 picks a free one; pass the old `port` to restart in place).
    public func start(port: Int = 0) async throws {
        try await server.start(port: port)
    }

    /// Closes the listener, every connection and every open watch. The store is kept.
    public func stop() async throws {
        try await server.stop()
    }

    /// The bound port (the last one after `stop()`; 0 before the first start).
    public var port: Int { server.port }
    /// `https://127.0.0.1:PORT`.
    public var url: String { "https://127.0.0.1:\(port)" }
    /// The CA certificate that signed the serving certificate, PEM.
    public var caPEM: String { identity.caPEM }

    /// Writes a kubeconfig with this server, its CA (`certificate-authority-data`) and a token user
    /// (this double's token unless `token` is given, e.g. a wrong one for 401 tests); its context is
    /// current and uses `namespace` when given.
    public func writeKubeconfig(to path: String, namespace: String? = nil, token: String? = nil) throws {
        let text = Kubeconfig.render(server: url, caPEM: caPEM, token: token ?? self.token, namespace: namespace)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    // MARK: Faults

    /// Ends every open watch stream cleanly (the final chunk is sent); clients re-watch.
    public func dropWatches() { core.store.finishAllWatches() }

    /// Forgets the event history: a watch or continue token from an older resourceVersion gets
    /// 410 Expired from now on.
    public func compact() { core.store.compact() }

    /// Answers matching requests with `status` (e.g. 500, 503, 429 with `Retry-After`) and a Status
    /// body, `count` times (nil: until `clearFailures()`). Rules apply in the order added;
    /// `matching` runs under a lock and must not call back into the double.
    public func failRequests(status: Int, count: Int? = nil, matching: @escaping @Sendable (Request) -> Bool = { _ in true }) {
        core.journal.addRule(.init(status: status, remaining: count, matching: matching))
    }

    public func clearFailures() { core.journal.clearRules() }

    /// Every request answered so far, in order.
    public var requestLog: [LoggedRequest] { core.journal.log }
    public func clearRequestLog() { core.journal.clearLog() }

    /// The current global resourceVersion (etcd revision).
    public var resourceVersion: Int { core.store.revision }
}
