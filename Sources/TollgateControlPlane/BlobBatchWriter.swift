import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes many new files durably at once: every file's bytes first (to `NAME.tmp`, mode set at
/// creation), then the fsyncs in parallel so the file system commits them together, then the
/// renames and one fsync of the directory. A name appears only after its bytes are on disk; one
/// fsync after another made a version of a few hundred files cost up to a second.
enum BlobBatchWriter {
    struct WriteError: Error { var path: String }

    /// Writes `files` (path → contents) into `directory`, which holds them all, at most 256
    /// open at a time. On an error that batch's temporary files are removed and none of it is renamed.
    static func write(_ files: [(path: String, contents: Data)], directory: String, mode: mode_t = 0o600) throws {
        var start = 0
        while start < files.count {
            let end = min(files.count, start + 256)
            try writeBatch(Array(files[start..<end]), directory: directory, mode: mode)
            start = end
        }
    }

    private static func writeBatch(_ files: [(path: String, contents: Data)], directory: String, mode: mode_t) throws {
        guard !files.isEmpty else { return }
        var fds: [Int32] = []
        defer { for fd in fds where fd >= 0 { close(fd) } }
        func cleanUp() { for f in files { unlink(f.path + ".tmp") } }
        for f in files {
            let tmp = f.path + ".tmp"
            unlink(tmp)
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { cleanUp(); throw WriteError(path: tmp) }
            fds.append(fd)
            let ok = f.contents.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    offset += n
                }
                return true
            }
            guard ok else { cleanUp(); throw WriteError(path: tmp) }
        }
        let failed = syncAll(fds)
        if let i = failed { cleanUp(); throw WriteError(path: files[i].path + ".tmp") }
        for f in files where rename(f.path + ".tmp", f.path) != 0 { cleanUp(); throw WriteError(path: f.path) }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
    }

    /// fsyncs every descriptor, up to 16 at a time; the index of one that failed, if any.
    private static func syncAll(_ fds: [Int32]) -> Int? {
        let lanes = min(16, fds.count)
        let failures = FailedIndex()
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            var i = lane
            while i < fds.count {
                if fsync(fds[i]) != 0 { failures.note(i) }
                i += lanes
            }
        }
        return failures.first
    }

    private final class FailedIndex: @unchecked Sendable {
        private let lock = NSLock()
        private var index: Int?
        func note(_ i: Int) { lock.withLock { if index == nil || i < index! { index = i } } }
        var first: Int? { lock.withLock { index } }
    }
}
