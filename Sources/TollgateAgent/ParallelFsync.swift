#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// fsyncs many files at once. One `fsync` per file in a row costs one file-system commit each
/// (1–5 ms apiece on a loaded ext4: ~300 ms for a 300-file tree); several fsyncs in flight at once
/// are committed together. Only the given paths are flushed — unlike `syncfs`, which would also
/// wait for every other process's dirty data on the same file system (an image pull, a build).
enum ParallelFsync {
    /// Threads flushing at once (each blocked in `fsync` most of the time, not using a CPU).
    static let defaultWidth = 16

    /// fsyncs every path (regular files or directories, opened read-only: `fsync` flushes the
    /// inode whatever the descriptor's mode), `width` at a time, blocking the caller; throws the
    /// first failure after all have been tried.
    static func run(_ paths: [String], width: Int = defaultWidth) throws {
        guard !paths.isEmpty else { return }
        let n = max(1, min(width, paths.count))
        if n == 1 {
            for p in paths { if let problem = flush(p) { throw AgentError(problem) } }
            return
        }
        // Worker i flushes paths i, i+n, i+2n, …, each on its own serial queue (its own thread),
        // and writes only its own box; the group's wait orders those writes before the reads.
        let boxes = (0..<n).map { _ in Box() }
        let group = DispatchGroup()
        for i in 0..<n {
            let box = boxes[i]
            DispatchQueue(label: "tollgate.fsync.\(i)").async(group: group) {
                var k = i
                while k < paths.count {
                    if let problem = flush(paths[k]), box.problem == nil { box.problem = problem }
                    k += n
                }
            }
        }
        group.wait()
        if let problem = boxes.lazy.compactMap(\.problem).first { throw AgentError(problem) }
    }

    /// `run` on a thread of its own: the caller's task waits without blocking a Swift concurrency
    /// thread.
    static func sync(_ paths: [String], width: Int = defaultWidth) async throws {
        let problem: String? = await withCheckedContinuation { c in
            DispatchQueue(label: "tollgate.fsync").async {
                do { try run(paths, width: width); c.resume(returning: nil) } catch { c.resume(returning: "\(error)") }
            }
        }
        if let problem { throw AgentError(problem) }
    }

    /// nil when `path` was opened and fsynced, else why not.
    private static func flush(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return "cannot open \(path) to fsync it: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        guard fsync(fd) == 0 else { return "cannot fsync \(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    private final class Box: @unchecked Sendable {
        var problem: String?
    }
}
