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
import TollgateSnapshot

/// Step 2 of an apply, in two parts. `write` creates a complete tree in a fresh directory: every
/// file with its final mode (keys are 0600 from the first byte), fully written, the version record
/// last. `makeDurable` then fsyncs every file (several at once, `ParallelFsync`) and every
/// directory, deepest first. The applier runs `nginx -t` on the written tree while `makeDurable`
/// runs and renames the tree out of `.staging-*` only after both succeeded: nothing is swapped in
/// before its bytes are on disk, and a crash before that leaves a staging directory, which
/// `ConfigRoot.recover` removes.
enum TreeStager {
    /// A tree `write` created: what `makeDurable` must flush.
    struct Written: Sendable {
        let directory: String
        /// Every file written (absolute paths), the version record included; not the linked ones.
        let files: [String]
        /// Files that are hard links to the live tree's identical files (already on disk).
        var linked = 0
        /// Every directory created, deepest first (the staging directory last).
        let directories: [String]
    }

    /// `write` and `makeDurable` in one blocking call (tools and tests that need no overlap).
    static func stage(_ files: FileSet, extra: [String: RenderedFile], record: VersionRecord, into directory: String) throws {
        let tree = try write(files, extra: extra, record: record, into: directory)
        try ParallelFsync.run(tree.files)
        try ParallelFsync.run(tree.directories, width: 1)
    }

    /// Creates `directory` (must not exist) and writes `files` plus `extra` (agent-owned files)
    /// and the version record into it, without waiting for the disk. A file whose bytes and mode
    /// equal those of the same path in `live` (the live version's tree, compared byte for byte)
    /// becomes a hard link to it instead: no new inode, no write, nothing to flush (its bytes went
    /// to disk before its tree was swapped in). Trees are never modified once written, so sharing
    /// an inode between versions is safe, and deleting an old tree removes only its links.
    static func write(_ files: FileSet, extra: [String: RenderedFile], record: VersionRecord, into directory: String,
                      reusing live: String? = nil) throws -> Written {
        try DurableFiles.makeDirectory(directory)
        var directories: Set<String> = [directory]
        var all = files.files
        for (p, f) in extra { all[p] = f }
        var written: [String] = []
        var linked: [String] = []
        written.reserveCapacity(all.count + 1)
        for path in all.keys.sorted() {
            let full = directory + "/" + path
            var parents: [String] = []
            var parent = Self.parent(of: full)
            while !directories.contains(parent) {
                parents.append(parent)
                parent = Self.parent(of: parent)
            }
            for d in parents.reversed() {
                try DurableFiles.makeDirectory(d)
                directories.insert(d)
            }
            let file = all[path]!
            if extra[path] == nil, let live, Self.sameFile(live + "/" + path, contents: file.contents, mode: file.mode),
               link(live + "/" + path, full) == 0 {
                linked.append(full)
                continue
            }
            try DurableFiles.createFile(full, contents: file.contents, mode: file.mode, sync: false)
            written.append(full)
        }
        let recordPath = directory + "/" + AgentPaths.versionRecord
        try DurableFiles.createFile(recordPath, contents: record.encoded(), mode: 0o644, sync: false)
        written.append(recordPath)
        // Belt and braces: the tree must resolve inside the staging directory.
        guard let real = Self.realPath(directory) else { throw AgentError.posix("cannot resolve", directory) }
        for full in written + linked {
            guard let resolved = Self.realPath(full), resolved.hasPrefix(real + "/") else {
                throw AgentError("path \(full.dropFirst(directory.count + 1)) resolves outside the staging directory")
            }
        }
        // Deepest first, so each directory's entries are durable before its parent's.
        let ordered = directories.sorted { a, b in a.count != b.count ? a.count > b.count : a < b }
        return Written(directory: directory, files: written, linked: linked.count, directories: ordered)
    }

    /// True when `path` is a regular file (not a symlink) of this user with exactly `mode` and
    /// the bytes `contents`.
    private static func sameFile(_ path: String, contents: Data, mode: UInt16) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, UInt16(st.st_mode & 0o7777) == mode,
              st.st_uid == geteuid(), Int(st.st_size) == contents.count else { return false }
        var buffer = [UInt8](repeating: 0, count: contents.count)
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return contents.elementsEqual(buffer)
    }

    /// fsyncs every file of `tree` (several at once), then its directories, deepest first; the
    /// calling task waits without blocking a thread.
    static func makeDurable(_ tree: Written) async throws {
        try await ParallelFsync.sync(tree.files)
        try await ParallelFsync.sync(tree.directories, width: 1)
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
