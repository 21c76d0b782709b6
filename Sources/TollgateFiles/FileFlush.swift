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
/// Used by the agent's staged trees and the controller's history blobs.
public enum FileFlush {
    /// Threads flushing at once (each blocked in `fsync` most of the time, not using a CPU).
    public static let defaultWidth = 16

    /// fsyncs every path (regular files or directories, opened read-only: `fsync` flushes the
    /// inode whatever the descriptor's mode), `width` at a time, blocking the caller. Every path
    /// is tried; returns why one failed, or nil when all were flushed.
    public static func flushAll(_ paths: [String], width: Int = defaultWidth) -> String? {
        guard !paths.isEmpty else { return nil }
        let n = max(1, min(width, paths.count))
        if n == 1 {
            for p in paths { if let problem = flush(p) { return problem } }
            return nil
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
        return boxes.lazy.compactMap(\.problem).first
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
