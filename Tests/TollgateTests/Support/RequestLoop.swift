#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A client that sends back-to-back requests on a background thread, each on a new connection,
/// until stopped, and counts them: `request` returns nil when an answer is as expected, else why
/// not (refused, reset, timeout, another status or body), which is kept.
final class RequestLoop: Sendable {
    struct Counts: Sendable, CustomStringConvertible {
        var served = 0
        var failed = 0
        /// The first failures' reasons (at most 20).
        var failures: [String] = []
        var total: Int { served + failed }
        var description: String { "\(served) served, \(failed) failed\(failures.isEmpty ? "" : ": " + failures.joined(separator: "; "))" }
    }

    let label: String
    private let request: @Sendable () -> String?
    private let counts = Mutex(Counts())
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ label: String, request: @escaping @Sendable () -> String?) {
        self.label = label; self.request = request
    }

    /// `GET PATH HTTP/1.0` over a plain socket to 127.0.0.1:`port`; served when the answer is
    /// `200` with exactly `body`.
    static func http(port: Int, path: String = "/", body: String) -> RequestLoop {
        RequestLoop("http://127.0.0.1:\(port)\(path)") { plainGet(port: UInt16(truncatingIfNeeded: port), path: path, body: body) }
    }

    /// `curl` (a new process and TLS session per request); served when the answer is `200` with
    /// exactly `body`.
    static func curl(_ url: String, resolve: String? = nil, body: String) -> RequestLoop {
        RequestLoop(url) {
            do {
                let r = try Curl.get(url, resolve: resolve)
                return r.status == "200" && r.body == body ? nil : "curl exit \(r.exitCode), status \(r.status), body \(r.body.prefix(60).debugDescription)"
            } catch {
                return "curl: \(error)"
            }
        }
    }

    /// Starts the loop on its own thread.
    func start() {
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                let failure = request()
                counts.withLock { c in
                    if let failure {
                        c.failed += 1
                        if c.failures.count < 20 { c.failures.append(failure) }
                    } else {
                        c.served += 1
                    }
                }
            }
            finished.signal()
        }
        thread.start()
    }

    /// The counts so far.
    var current: Counts { counts.withLock { $0 } }

    /// Stops the loop after the request in flight and returns the final counts.
    func stop() -> Counts {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        return current
    }

    /// Waits until `more` further requests were answered (served or failed), for at most `timeout`.
    func waitFor(more: Int, timeout: Double = 60) throws {
        let target = current.total + more
        try eventually("\(more) more requests to \(label)", timeout: timeout, interval: 0.02) { current.total >= target }
    }

    /// One plain HTTP/1.0 request; nil when served as expected, else why not.
    private static func plainGet(port: UInt16, path: String, body: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "socket: errno \(errno)" }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "connect: \(String(cString: strerror(errno)))" }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: loop.test\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return "send: \(String(cString: strerror(errno)))" }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 65_536 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { if errno == EINTR { continue }; return "recv: \(String(cString: strerror(errno)))" }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let status = parts.first?.split(separator: "\r\n").first.map(String.init) ?? ""
        guard status.split(separator: " ").dropFirst().first == "200", parts.count >= 2, parts.dropFirst().joined(separator: "\r\n\r\n") == body else {
            return "answer \(status.isEmpty ? "(none)" : status) \(text.suffix(60).debugDescription)"
        }
        return nil
    }
}
