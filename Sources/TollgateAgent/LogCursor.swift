#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A position in a growing log file: remembers where it ended and returns what was appended
/// since (how the agent reads NGINX's verdict on a reload from its error log).
struct LogCursor: Sendable {
    let path: String
    let offset: UInt64

    /// A cursor at the current end of `path` (0 if missing).
    init(atEndOf path: String) {
        self.path = path
        self.offset = Self.size(of: path)
    }

    /// Text appended since the cursor was taken (everything, if the file was truncated).
    func appended() -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { return "" }
        let start = UInt64(end) >= offset ? off_t(offset) : 0
        guard lseek(fd, start, SEEK_SET) == start else { return "" }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data.append(contentsOf: chunk[..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Size of the file now (to tell whether it is still growing).
    func currentSize() -> UInt64 {
        Self.size(of: path)
    }

    private static func size(of path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_size) : 0
    }
}
