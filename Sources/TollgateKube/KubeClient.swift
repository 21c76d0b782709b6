import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A client of one Kubernetes API server over one HTTP connection pool: typed requests on
/// ``ResourceType``s that return ``KubeObject`` JSON, watches as async streams, discovery.
///
/// Safe to share between tasks. Every method throws ``KubeError`` (or `CancellationError` when
/// its task is cancelled). Tokens, request bodies and responses are never logged. Call
/// ``shutdown()`` when done.
public final class KubeClient: Sendable {
    /// The configuration the client was made from.
    public let config: KubeConfig
    /// How long a request (other than a watch) may take before it fails with `.timeout`.
    public let requestTimeout: Duration
    let logger: Logger
    private let http: HTTPClient
    private let tokens: BearerTokenSource?
    /// `scheme://host:port/prefix` without a trailing slash.
    private let baseURL: String

    /// The largest response body read whole (lists page, so this is a safety net).
    static let maximumBodyBytes = 256 << 20

    public init(
        config: KubeConfig,
        requestTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "tollgate.kube")
    ) throws {
        self.config = config
        self.requestTimeout = requestTimeout
        self.logger = logger
        self.tokens = config.credentials.bearerToken.map { BearerTokenSource($0) }

        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = try KubeTLS.configuration(for: config)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10))
        // Each watch holds an HTTP/1.1 connection; leave room for many.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A refused connection or TLS handshake fails the request at once, so the caller's
        // backoff and logging see it, instead of retrying silently until the request deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        var url = URLComponents(url: config.server, resolvingAgainstBaseURL: false)
        if let serverName = config.tlsServerName, let host = url?.host, serverName != host {
            // Verify the certificate (and send SNI) for the configured name, connect to the real host.
            configuration.dnsOverride = [serverName: host]
            url?.host = serverName
        }
        var base = url?.string ?? config.server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the connection pool; pending requests fail.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: - Requests

    /// A successful response with its whole body.
    struct Response: Sendable {
        var status: Int
        var body: Data
    }

    /// Sends one request and reads the whole response; a non-2xx status throws ``KubeError``.
    /// A 401 with a token file re-reads the token once and retries.
    func send(
        _ method: HTTPMethod, _ path: String, query: String = "", body: Data? = nil,
        contentType: String = "application/json", timeout: Duration? = nil
    ) async throws -> Response {
        let described = "\(method.rawValue) \(path)"
        var retriedUnauthorized = false
        while true {
            let request = try await makeRequest(method, path + query, body: body, contentType: contentType)
            let deadline = NIODeadline.now() + TimeAmount(timeout ?? requestTimeout)
            let (status, headers, data) = try await perform(request, deadline: deadline, described: described)
            logger.trace("kube request", metadata: ["request": "\(described)", "status": "\(status)"])
            if (200..<300).contains(status) {
                return Response(status: status, body: data)
            }
            if status == 401, !retriedUnauthorized, await tokens?.invalidate() == true {
                retriedUnauthorized = true
                continue
            }
            throw KubeError.fromResponse(
                httpStatus: status, status: KubeStatus.decode(data), request: described,
                retryAfterSeconds: headers.first(name: "Retry-After").flatMap { Int($0) })
        }
    }

    /// Runs a request and collects the body, turning transport failures into ``KubeError``.
    private func perform(
        _ request: HTTPClientRequest, deadline: NIODeadline, described: String
    ) async throws -> (Int, HTTPHeaders, Data) {
        do {
            let response = try await http.execute(request, deadline: deadline, logger: nil)
            var body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            let data = body.readData(length: body.readableBytes) ?? Data()
            return (Int(response.status.code), response.headers, data)
        } catch {
            throw Self.transportError(error, request: described)
        }
    }

    /// Opens a streaming request (a watch): returns once the response head arrived with a 2xx
    /// status; the caller reads the body. A non-2xx status throws with the decoded `Status`.
    func open(_ method: HTTPMethod, _ path: String, query: String, deadline: NIODeadline) async throws -> HTTPClientResponse {
        let described = "\(method.rawValue) \(path)"
        var retriedUnauthorized = false
        while true {
            let request = try await makeRequest(method, path + query, body: nil, contentType: "application/json")
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, deadline: deadline, logger: nil)
            } catch {
                throw Self.transportError(error, request: described)
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return response }
            var body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            let data = body.readData(length: body.readableBytes) ?? Data()
            if status == 401, !retriedUnauthorized, await tokens?.invalidate() == true {
                retriedUnauthorized = true
                continue
            }
            throw KubeError.fromResponse(
                httpStatus: status, status: KubeStatus.decode(data), request: described,
                retryAfterSeconds: response.headers.first(name: "Retry-After").flatMap { Int($0) })
        }
    }

    private func makeRequest(
        _ method: HTTPMethod, _ pathAndQuery: String, body: Data?, contentType: String
    ) async throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + pathAndQuery)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "tollgate")
        if let tokens {
            request.headers.add(name: "Authorization", value: "Bearer \(try await tokens.token())")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: body))
        }
        return request
    }

    /// A failure without a response, as a ``KubeError`` (cancellation passes through).
    static func transportError(_ error: any Error, request: String) -> any Error {
        if error is CancellationError || error is KubeError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .tlsHandshakeTimeout,
                 .getConnectionFromPoolTimeout:
                return KubeError(code: .timeout, request: request, message: "timed out (\(error))")
            case .cancelled:
                return CancellationError()
            default:
                break
            }
        }
        return KubeError(code: .transport, request: request, message: "\(error)")
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
