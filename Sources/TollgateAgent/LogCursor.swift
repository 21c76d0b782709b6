import Foundation

/// A position in a growing log file: remembers where it ended and returns what was appended
/// since (how the agent reads NGINX's verdict on a reload from its error log).
struct LogCursor: Sendable {
    let path: String
    let offset: UInt64

    /// A cursor at the current end of `path` (0 if missing).
    init(atEndOf path: String) {
        self.path = path
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value
        self.offset = size ?? 0
    }

    /// Text appended since the cursor was taken (everything, if the file was truncated).
    func appended() -> String {
        guard let h = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? h.close() }
        let end = (try? h.seekToEnd()) ?? 0
        let start = end >= offset ? offset : 0
        try? h.seek(toOffset: start)
        let data = (try? h.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Size of the file now (to tell whether it is still growing).
    func currentSize() -> UInt64 {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
