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
import TollgateFiles

/// Low-level file operations with explicit durability: files are created with their final mode
/// (never briefly more permissive), written fully, and `fsync`ed; directories are `fsync`ed after
/// their entries change, so a crash leaves either the old or the new name, never a torn file.
enum DurableFiles {
    /// Creates `path` exclusively with `mode`, writes `data`, fsyncs (unless `sync` is false: the
    /// caller makes it durable later, e.g. with `ParallelFsync`) and closes it.
    static func createFile(_ path: String, contents data: Data, mode: UInt16, sync: Bool = true) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        guard fd >= 0 else { throw AgentError.posix("cannot create", path) }
        defer { close(fd) }
        // The umask may only have removed bits; set exactly the requested mode.
        guard fchmod(fd, mode_t(mode)) == 0 else { throw AgentError.posix("cannot chmod", path) }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AgentError.posix("cannot write", path)
                }
                offset += n
            }
        }
        guard !sync || fsync(fd) == 0 else { throw AgentError.posix("cannot fsync", path) }
    }

    /// Creates one directory (0755 before the umask); fails if it exists.
    static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw AgentError.posix("cannot create directory", path) }
    }

    /// Creates `path` and any missing parents (0755 before the umask).
    static func makeDirectories(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// fsyncs a directory so that entries created, renamed or removed in it are durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AgentError.posix("cannot open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AgentError.posix("cannot fsync directory", path) }
    }

    /// `rename(2)`: atomic replacement of `to` by `from` within one file system.
    static func moveAtomically(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw AgentError.posix("cannot rename \(from) to", to) }
    }

    /// Points `link` at `target` atomically: a temporary symlink is renamed over `link`, so a
    /// reader sees either the old or the new target, never a missing link.
    static func replaceSymlink(_ link: String, target: String) throws {
        let dir = PathText.parent(link)
        let temp = PathText.join(dir, ".\(PathText.lastComponent(link)).tmp-\(UUID().uuidString.prefix(8))")
        guard symlink(target, temp) == 0 else { throw AgentError.posix("cannot create symlink", temp) }
        do {
            try moveAtomically(temp, to: link)
        } catch {
            unlink(temp)
            throw error
        }
        try syncDirectory(dir)
    }

    /// The target of a symlink, or nil when `path` is not a symlink.
    static func readSymlink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes a file tree, ignoring a missing path.
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `lstat` mode bits, or nil when the path does not exist.
    static func lstatMode(_ path: String) -> mode_t? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return st.st_mode
    }

    static func isDirectory(_ path: String) -> Bool {
        guard let m = lstatMode(path) else { return false }
        return (m & S_IFMT) == S_IFDIR
    }

    static func isSymlink(_ path: String) -> Bool {
        guard let m = lstatMode(path) else { return false }
        return (m & S_IFMT) == S_IFLNK
    }
}
