import Foundation
import TollgateFiles
#if canImport(Glibc)
import Glibc
#endif

/// Writes many new files durably at once: every file's bytes first (to `NAME.tmp`, mode set at
/// creation), then the fsyncs in parallel so the file system commits them together
/// (`FileFlush`), then the renames and one fsync of the directory. A name appears only after its
/// bytes are on disk; one fsync after another made a version of a few hundred files cost up to a
/// second.
enum BlobBatchWriter {
    struct WriteError: Error { var path: String }

    /// Writes `files` (path → contents) into `directory`, which holds them all. On an error the
    /// temporary files are removed and none is renamed.
    static func write(_ files: [(path: String, contents: Data)], directory: String, mode: mode_t = 0o600) throws {
        guard !files.isEmpty else { return }
        func cleanUp() { for f in files { unlink(f.path + ".tmp") } }
        for f in files {
            let tmp = f.path + ".tmp"
            unlink(tmp)
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { cleanUp(); throw WriteError(path: tmp) }
            let ok = f.contents.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    offset += n
                }
                return true
            }
            close(fd)
            guard ok else { cleanUp(); throw WriteError(path: tmp) }
        }
        if FileFlush.flushAll(files.map { $0.path + ".tmp" }) != nil { cleanUp(); throw WriteError(path: directory) }
        for f in files where rename(f.path + ".tmp", f.path) != 0 { cleanUp(); throw WriteError(path: f.path) }
        _ = FileFlush.flushAll([directory], width: 1)
    }
}
