import Foundation

/// Each distinct file content of a history once, keyed by sha256 and counted by the file
/// entries (one per path per kept version) that hold it.
///
/// Interning a file set gives back equal files whose contents are the pool's buffers, so versions
/// that share a content share its memory; releasing a version drops the contents no kept version
/// refers to any more.
struct ContentPool: Sendable {
    /// A file set whose contents come from the pool, with each file's sha256 by path.
    struct Interned: Sendable {
        var files: FileSet
        var hashes: [String: String]

        /// `files.digest`, from the known hashes.
        var digest: String {
            var described: [String: (sha256: String, mode: UInt16)] = [:]
            for (path, file) in files.files { described[path] = (hashes[path]!, file.mode) }
            return RenderedFiles.digest(hashes: described)
        }
    }

    private struct Entry: Sendable {
        var contents: Data
        var references: Int
    }

    private var entries: [String: Entry] = [:]

    /// Distinct contents held.
    var count: Int { entries.count }
    /// Bytes of the distinct contents held.
    private(set) var byteCount = 0

    /// `files` with pooled contents, one reference added per file. A file whose contents equal the
    /// file at the same path in `previous` takes that file's hash: only changed files are hashed.
    mutating func intern(_ files: FileSet, previous: Interned?) -> Interned {
        var out = files
        var hashes: [String: String] = [:]
        hashes.reserveCapacity(files.files.count)
        for (path, file) in files.files {
            let hash: String
            if let old = previous?.files.files[path], let oldHash = previous?.hashes[path], old.contents == file.contents {
                hash = oldHash
            } else {
                hash = file.sha256
            }
            hashes[path] = hash
            if let pooled = entries[hash]?.contents {
                entries[hash]!.references += 1
                out.files[path]!.contents = pooled
            } else {
                entries[hash] = Entry(contents: file.contents, references: 1)
                byteCount += file.contents.count
            }
        }
        return Interned(files: out, hashes: hashes)
    }

    /// Drops one reference per file of a version that left the history (its `hashes` by path).
    mutating func release(_ hashes: [String: String]) {
        for hash in hashes.values {
            guard let entry = entries[hash] else { continue }
            if entry.references > 1 {
                entries[hash]!.references -= 1
            } else {
                byteCount -= entry.contents.count
                entries[hash] = nil
            }
        }
    }
}
