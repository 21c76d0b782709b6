import Foundation
import Glibc

/// The inotify watches that cover a set of manifest roots: every directory under a directory
/// root (recursively, skipping hidden ones as the loader does), the parent directory of a file
/// root. Owned by one thread at a time; it only answers "did something under a root change?",
/// the directory provider finds out what.
struct InotifyWatchSet: Sendable {
    /// One watched directory.
    struct Watch: Sendable {
        var path: String
        /// For a file root's parent: only these names (and `..`-names such as a ConfigMap's
        /// `..data` swap) are relevant. nil: every entry, and new directories get watched too.
        var onlyNames: Set<String>?
    }

    /// What one or more reads found.
    struct Batch: Sendable {
        var relevant = false
        var overflow = false
        mutating func merge(_ other: Batch) {
            relevant = relevant || other.relevant
            overflow = overflow || other.overflow
        }
    }

    static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
                             | IN_DELETE_SELF | IN_ATTRIB)

    let fd: Int32
    let roots: [String]
    private(set) var watches: [Int32: Watch] = [:]
    /// Paths whose watch could not be added (or a root whose watch went away), with the errno.
    private(set) var failures: [String: Int32] = [:]

    init(roots: [String]) throws(FileEventsError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw FileEventsError(.unavailable, "inotify_init1", errno: errno) }
        self.fd = fd
        self.roots = roots
        watchRoots()
    }

    /// Adds (again) the watches of every root; watching a watched directory again is harmless.
    mutating func watchRoots() {
        failures = [:]
        for root in roots {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue {
                watchTree(root)
            } else {
                let parent = (root as NSString).deletingLastPathComponent
                add(parent.isEmpty ? "." : parent, onlyName: (root as NSString).lastPathComponent)
            }
        }
    }

    /// Reads every pending event without blocking.
    mutating func drain() -> Batch {
        var batch = Batch()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return batch }
            for event in Self.parse(buffer[0..<n]) { batch.merge(apply(event)) }
        }
    }

    func close() { _ = Glibc.close(fd) }

    // MARK: - Events

    struct Event: Equatable {
        var wd: Int32
        var mask: UInt32
        var name: String
    }

    /// Splits a read(2) result into events (`struct inotify_event`: wd, mask, cookie, len, name).
    static func parse(_ bytes: ArraySlice<UInt8>) -> [Event] {
        var events: [Event] = []
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 16 <= raw.count {
                let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + 16)..<min(raw.count, offset + 16 + length)].prefix { $0 != 0 }
                events.append(Event(wd: wd, mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
                offset += 16 + length
            }
        }
        return events
    }

    private mutating func apply(_ event: Event) -> Batch {
        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { return Batch(relevant: true, overflow: true) }
        guard let watch = watches[event.wd] else { return Batch() }
        if event.mask & UInt32(IN_IGNORED) != 0 {
            watches[event.wd] = nil
            // A root (or a file root's parent) went away: nothing tells us when it comes back.
            if isRootWatch(watch.path) { failures[watch.path] = ENOENT }
            return Batch(relevant: true)
        }
        if let only = watch.onlyNames {
            return Batch(relevant: only.contains(event.name) || event.name.hasPrefix(".."))
        }
        let newDirectory = event.mask & UInt32(IN_ISDIR) != 0 && event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0
        if newDirectory, !event.name.hasPrefix(".") {
            watchTree((watch.path as NSString).appendingPathComponent(event.name))
        }
        return Batch(relevant: true)
    }

    private func isRootWatch(_ path: String) -> Bool {
        roots.contains { $0 == path || ($0 as NSString).deletingLastPathComponent == path }
    }

    // MARK: - Watches

    private mutating func watchTree(_ directory: String) {
        add(directory, onlyName: nil)
        guard let e = FileManager.default.enumerator(atPath: directory) else { return }
        while let rel = e.nextObject() as? String {
            guard (e.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory else { continue }
            if (rel as NSString).lastPathComponent.hasPrefix(".") { e.skipDescendants(); continue }
            add((directory as NSString).appendingPathComponent(rel), onlyName: nil)
        }
    }

    private mutating func add(_ path: String, onlyName: String?) {
        let wd = inotify_add_watch(fd, path, Self.mask)
        guard wd >= 0 else { failures[path] = errno; return }
        // One directory may be a root and the parent of file roots: the watch covers all of them.
        let names: Set<String>?
        switch (watches[wd], onlyName) {
        case (nil, let name): names = name.map { [$0] }
        case (let old?, let name?): names = old.onlyNames?.union([name])
        case (_, nil): names = nil
        }
        watches[wd] = Watch(path: path, onlyNames: names)
    }
}
