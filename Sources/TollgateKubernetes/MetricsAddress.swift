/// Where the controller serves `/metrics`, `/healthz` and `/readyz`: `HOST:PORT` (an IPv6 host
/// in brackets, `[::]:9113`); port 0 picks a free one.
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The default: every interface, port 9113.
    public static let standard = MetricsAddress(host: "0.0.0.0", port: 9113)

    /// `HOST:PORT`; nil for `""` and `off` (no endpoint). Throws when the text is neither.
    public static func parse(_ text: String) throws(MetricsAddressError) -> MetricsAddress? {
        if text.isEmpty || text == "off" { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw MetricsAddressError(text: text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(":") || text.hasPrefix("[") else { throw MetricsAddressError(text: text) }
        return MetricsAddress(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A metrics address that is not `HOST:PORT`, empty or `off`.
public struct MetricsAddressError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "metrics address \"\(text)\" is not HOST:PORT (or \"\" / off to disable)" }
}
