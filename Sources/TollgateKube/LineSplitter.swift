import Foundation

/// Splits a byte stream into newline-terminated lines, whatever the chunking: a line may arrive
/// over several chunks and one chunk may hold several lines. Empty lines are skipped, a trailing
/// `\r` is dropped, and a line longer than the limit fails instead of growing without bound.
struct LineSplitter: Sendable {
    /// A line passed the limit before its newline arrived.
    struct LineTooLong: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "a line exceeds \(limit) bytes without a newline" }
    }

    let maximumLineLength: Int
    private var pending: [UInt8] = []

    init(maximumLineLength: Int = 64 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// The lines that `bytes` completes, in order.
    mutating func append<Bytes: Collection>(_ bytes: Bytes) throws(LineTooLong) -> [Data] where Bytes.Element == UInt8 {
        var lines: [Data] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: bytes[start..<newline])
            try checkLength()
            if let line = takeLine() { lines.append(line) }
            start = bytes.index(after: newline)
        }
        pending.append(contentsOf: bytes[start...])
        try checkLength()
        return lines
    }

    /// The last line when the stream ended without a newline after it.
    mutating func finish() -> Data? {
        takeLine()
    }

    private func checkLength() throws(LineTooLong) {
        if pending.count > maximumLineLength { throw LineTooLong(limit: maximumLineLength) }
    }

    private mutating func takeLine() -> Data? {
        defer { pending.removeAll(keepingCapacity: pending.count <= 1 << 20) }
        var end = pending.endIndex
        if end > 0, pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = pending[..<end]
        guard line.contains(where: { !($0 == 0x20 || $0 == 0x09) }) else { return nil }
        return Data(line)
    }
}
