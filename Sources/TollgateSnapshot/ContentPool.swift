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

/// Each distinct file content of a history once, keyed by sha256 and counted by the file
/// entries (one per path per kept version) that hold it.
///
/// Interning a file set gives back equal files whose contents are the pool's buffers, so versions
/// that share a content share its memory; releasing a version drops the contents no kept version
/// refers to any more. A content that only older versions hold, and that the newest version
/// replaced at the same path with a similar one (one route edited in a large file), is kept as a
/// delta against its replacement: the bytes they share are held once. `contents(_:)` rebuilds it.
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

    /// How a content is held.
    private enum Storage: Sendable {
        case full(Data)
        /// `base`'s first `prefix` bytes, then `middle`, then `base`'s last `suffix` bytes.
        case delta(base: String, prefix: Int, middle: Data, suffix: Int)
    }

    private struct Entry: Sendable {
        var storage: Storage
        /// File entries of kept versions that hold this content.
        var references: Int
        /// Deltas whose base this is.
        var dependents = 0
        /// The content's length.
        var size: Int
    }

    private var entries: [String: Entry] = [:]

    /// Contents smaller than this are never stored as deltas.
    static let deltaThreshold = 4096

    /// Distinct contents held.
    var count: Int { entries.values.lazy.filter { $0.references > 0 }.count }
    /// Bytes of the distinct contents held (as files, whatever their storage).
    private(set) var byteCount = 0
    /// Bytes the pool actually holds for them (deltas count their own bytes only).
    var storedByteCount: Int {
        entries.values.reduce(0) { sum, e in
            switch e.storage {
            case .full(let d): sum + d.count
            case .delta(_, _, let middle, _): sum + middle.count
            }
        }
    }

    /// `files` with pooled contents, one reference added per file. A file whose contents equal the
    /// file at the same path in `previous` takes that file's hash: only changed files are hashed.
    /// `previous` is the newest version so far: its contents that `files` replaces at the same
    /// path become deltas against their replacements.
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
            if let entry = entries[hash] {
                if case .delta = entry.storage { makeFull(hash, with: file.contents) }
                if entries[hash]!.references == 0 { byteCount += file.contents.count }
                entries[hash]!.references += 1
                if case .full(let pooled) = entries[hash]!.storage { out.files[path]!.contents = pooled }
            } else {
                entries[hash] = Entry(storage: .full(file.contents), references: 1, size: file.contents.count)
                byteCount += file.contents.count
            }
        }
        if let previous { shrink(replacedIn: previous, by: hashes) }
        return Interned(files: out, hashes: hashes)
    }

    /// Drops one reference per file of a version that left the history (its `hashes` by path).
    mutating func release(_ hashes: [String: String]) {
        for hash in hashes.values {
            guard let entry = entries[hash], entry.references > 0 else { continue }
            entries[hash]!.references -= 1
            if entry.references == 1 {
                byteCount -= entry.size
                removeIfUnused(hash)
            }
        }
    }

    /// The bytes of a content held by the pool; `cache` keeps rebuilt ones for further calls.
    func contents(_ hash: String, cache: inout [String: Data]) -> Data? {
        guard let entry = entries[hash] else { return nil }
        switch entry.storage {
        case .full(let data):
            return data
        case .delta(let base, let prefix, let middle, let suffix):
            if let known = cache[hash] { return known }
            guard let b = contents(base, cache: &cache) else { return nil }
            var data = Data(capacity: entry.size)
            data.append(b.prefix(prefix))
            data.append(middle)
            data.append(b.suffix(suffix))
            cache[hash] = data
            return data
        }
    }

    // MARK: - Deltas

    /// Contents of `previous` replaced at the same path by `now` and held by no file of `now`
    /// become deltas against their replacement.
    private mutating func shrink(replacedIn previous: Interned, by now: [String: String]) {
        let held = Set(now.values)
        for (path, old) in previous.hashes {
            guard let new = now[path], new != old, !held.contains(old),
                  let entry = entries[old], case .full(let oldData) = entry.storage, oldData.count >= Self.deltaThreshold,
                  let replacement = entries[new], case .full(let newData) = replacement.storage else { continue }
            let (prefix, suffix) = Self.commonEnds(oldData, newData)
            let middle = oldData.subdata(in: (oldData.startIndex + prefix)..<(oldData.endIndex - suffix))
            guard middle.count * 2 < oldData.count else { continue }
            entries[old]!.storage = .delta(base: new, prefix: prefix, middle: Data(middle), suffix: suffix)
            entries[new]!.dependents += 1
        }
    }

    /// Stores `hash` in full again (it is in the newest version), letting go of its base.
    private mutating func makeFull(_ hash: String, with data: Data) {
        guard case .delta(let base, _, _, _) = entries[hash]?.storage else { return }
        entries[hash]!.storage = .full(data)
        entries[base]?.dependents -= 1
        removeIfUnused(base)
    }

    /// Removes a content no file and no delta refers to, and then its base if that is unused too.
    private mutating func removeIfUnused(_ hash: String) {
        var next: String? = hash
        while let h = next, let e = entries[h], e.references == 0, e.dependents == 0 {
            entries[h] = nil
            next = nil
            if case .delta(let base, _, _, _) = e.storage {
                entries[base]?.dependents -= 1
                next = base
            }
        }
    }

    /// Lengths of the longest common prefix and suffix of `a` and `b` (not overlapping in either).
    static func commonEnds(_ a: Data, _ b: Data) -> (prefix: Int, suffix: Int) {
        a.withUnsafeBytes { (x: UnsafeRawBufferPointer) in
            b.withUnsafeBytes { (y: UnsafeRawBufferPointer) in
                let limit = min(x.count, y.count)
                var p = 0
                // Eight bytes at a time, then byte by byte.
                while p + 8 <= limit && x.loadUnaligned(fromByteOffset: p, as: UInt64.self) == y.loadUnaligned(fromByteOffset: p, as: UInt64.self) {
                    p += 8
                }
                while p < limit && x[p] == y[p] { p += 1 }
                var s = 0
                while s < limit - p && x[x.count - 1 - s] == y[y.count - 1 - s] { s += 1 }
                return (p, s)
            }
        }
    }
}
