/// What the metrics endpoint answers: `GET /metrics` (Prometheus text format 0.0.4), `GET /healthz`
/// and `GET /readyz` (200 or 503 with the reason); 404 for other paths, 405 for other methods.
struct MetricsRoutes: Sendable {
    struct Reply: Sendable, Equatable {
        var status: Int
        var contentType = "text/plain; charset=utf-8"
        var allow: String? = nil
        var body: String
    }

    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    let scrape: @Sendable () async -> String
    let probes: HealthProbes

    func respond(method: String, uri: String) async -> Reply {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard ["/metrics", "/healthz", "/readyz"].contains(path) else {
            return Reply(status: 404, body: "not found: this endpoint serves /metrics, /healthz and /readyz\n")
        }
        guard method == "GET" else { return Reply(status: 405, allow: "GET", body: "method \(method) not allowed: use GET\n") }
        switch path {
        case "/metrics": return Reply(status: 200, contentType: Self.prometheusContentType, body: await scrape())
        case "/healthz": return Self.reply(probes.health)
        default: return Self.reply(probes.readiness)
        }
    }

    static func reply(_ answer: HealthProbes.Answer) -> Reply {
        Reply(status: answer.ok ? 200 : 503, body: answer.reason + "\n")
    }
}
