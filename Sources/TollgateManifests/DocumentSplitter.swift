#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ManifestDecoder {
    /// Splits a YAML stream at `---` / `...` document markers (at column 0). Each document keeps
    /// the file line it starts on, so errors can name file lines. One pass over the UTF-8 bytes;
    /// lines end at LF, and a CR before it is ignored when matching markers (CRLF files).
    static func splitDocuments(_ text: String) -> [(text: String, firstLine: Int)] {
        var copy = text
        return copy.withUTF8 { bytes in
            var docs: [(text: String, firstLine: Int)] = []
            var start = 0              // byte offset where the current document starts
            var firstLine = 1
            var sawContent = false
            var lineStart = 0
            var lineNumber = 1

            func emit(upTo end: Int) {
                guard sawContent else { return }
                // The document ends before the newline that precedes the marker line.
                let stop = max(start, end > start && bytes[end - 1] == 0x0A ? end - 1 : end)
                docs.append((String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<stop]), as: UTF8.self), firstLine))
            }

            while lineStart <= bytes.count {
                var lineEnd = bytes.count
                if lineStart < bytes.count, let base = bytes.baseAddress,
                   let newline = memchr(base + lineStart, 0x0A, bytes.count - lineStart) {
                    lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                }
                var trimmedEnd = lineEnd
                if trimmedEnd > lineStart && bytes[trimmedEnd - 1] == 0x0D { trimmedEnd -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<trimmedEnd])
                let next = lineEnd + 1

                if Self.isMarker(line) {
                    emit(upTo: lineStart)
                    sawContent = false
                    start = min(next, bytes.count)
                    firstLine = lineNumber + 1
                    if line.count >= 4 && line[0] == 0x2D {                     // "--- content"
                        start = lineStart + 4
                        firstLine = lineNumber
                        sawContent = true
                    }
                } else if Self.hasContent(line) {
                    sawContent = true
                }
                lineStart = next
                lineNumber += 1
            }
            start = min(start, bytes.count)
            emit(upTo: bytes.count)
            return docs
        }
    }

    /// `---`, `--- …` or `...`.
    private static func isMarker(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count >= 3 else { return false }
        let dashes = line[0] == 0x2D && line[1] == 0x2D && line[2] == 0x2D
        let dots = line[0] == 0x2E && line[1] == 0x2E && line[2] == 0x2E
        if line.count == 3 { return dashes || dots }
        return dashes && line[3] == 0x20
    }

    /// A line with something besides blanks and a comment.
    private static func hasContent(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in line where b != 0x20 && b != 0x09 && b != 0x0D { return b != 0x23 }
        return false
    }
}
