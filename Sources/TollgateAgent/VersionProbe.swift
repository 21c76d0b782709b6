#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TollgateFiles

/// The agent-owned include that lets the agent prove which version NGINX's workers serve, and the
/// client that asks it. Every staged tree gets `agent/version.conf` (pulled in by the renderer's
/// `include agent/*.conf;`): a server on a Unix socket in the runtime directory answering
/// `GET /tollgate/version` with `VERSION DIGEST\n`.
public struct VersionProbe: Sendable {
    /// Relative path of the include inside a version directory.
    public static let includePath = "agent/version.conf"
    /// The probe's URI.
    public static let uri = "/tollgate/version"

    /// Absolute path of the Unix socket.
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    /// What a probe answered: the version and digest the answering worker was configured with.
    public struct Answer: Sendable, Equatable, CustomStringConvertible {
        public var version: UInt64
        public var digest: String
        public init(version: UInt64, digest: String) { self.version = version; self.digest = digest }
        public var description: String { "\(version) \(digest)" }
    }

    /// The contents of `agent/version.conf` for a version.
    public func include(version: UInt64, digest: String) -> String {
        """
        # Written by the Tollgate agent: answers which version these workers serve.
        server {
            listen unix:\(socketPath);
            access_log off;
            location = \(Self.uri) {
                default_type text/plain;
                return 200 "\(version) \(digest)\\n";
            }
            location / {
                return 404;
            }
        }

        """
    }

    /// Asks the probe once (HTTP/1.0 over the Unix socket). nil when nothing answers in
    /// `timeout` or the answer is not a probe answer. Blocking work runs off the Swift
    /// concurrency pool.
    public func query(timeout: Duration = .seconds(1)) async -> Answer? {
        let path = socketPath
        return await withCheckedContinuation { (c: CheckedContinuation<Answer?, Never>) in
            DispatchQueue.global().async {
                c.resume(returning: Self.parse(Self.exchange(path: path, timeout: timeout)))
            }
        }
    }

    /// Polls until the probe answers `version` and `digest`, for at most `deadline`. Returns the
    /// last answer seen (nil if nothing answered).
    public func waitFor(version: UInt64, digest: String, within deadline: Duration = .seconds(10)) async -> Answer? {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var last: Answer?
        while true {
            if let a = await query() {
                last = a
                if a.version == version && a.digest == digest { return a }
            }
            if clock.now >= end { return last }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Parses an HTTP response whose body is `VERSION DIGEST`.
    static func parse(_ response: Data?) -> Answer? {
        guard let response, let text = String(data: response, encoding: .utf8) else { return nil }
        let parts = text.components(separatedBy: "\r\n\r\n")
        guard parts.count >= 2, let status = parts[0].split(separator: "\r\n").first,
              status.split(separator: " ").dropFirst().first == "200" else { return nil }
        let body = parts.dropFirst().joined(separator: "\r\n\r\n").trimmingWhitespace()
        let fields = body.split(separator: " ")
        guard fields.count == 2, let v = UInt64(fields[0]) else { return nil }
        return Answer(version: v, digest: String(fields[1]))
    }

    /// One blocking request/response over the socket, with send/receive timeouts.
    private static func exchange(path: String, timeout: Duration) -> Data? {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let secs = timeout.components.seconds
        let usecs = timeout.components.attoseconds / 1_000_000_000_000
        var tv = timeval(tv_sec: Int(secs), tv_usec: .init(usecs))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return nil }

        let request = Array("GET \(uri) HTTP/1.0\r\nHost: tollgate-agent\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            sent += n
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 65_536 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        return response
    }
}
