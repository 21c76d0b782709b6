#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One rendered file: its bytes and permission bits.
public struct RenderedFile: Sendable, Hashable {
    public var contents: Data
    /// POSIX mode; private keys are 0600.
    public var mode: UInt16

    public init(_ text: String, mode: UInt16 = 0o644) {
        self.contents = Data(text.utf8); self.mode = mode
    }

    public init(data: Data, mode: UInt16 = 0o644) {
        self.contents = data; self.mode = mode
    }

    /// A file from raw bytes (what an agent reads from disk or receives in a `FileUpsert`).
    public init(contents: Data, mode: UInt16) {
        self.contents = contents; self.mode = mode
    }

    public var sha256: String { Hex.encode(SHA256.hash(data: contents)) }
}

/// The files of one Gateway's NGINX configuration, by path relative to the config root: what the
/// renderer produces, what a snapshot carries and what an agent holds on disk.
public struct RenderedFiles: Sendable, Equatable {
    public var files: [String: RenderedFile] = [:]
    public init() {}

    /// A file set from files by relative path.
    public init(files: [String: RenderedFile]) {
        self.files = files
    }

    /// The main configuration file, relative to the root.
    public static let mainConfig = "nginx.conf"

    /// Paths in stable order.
    public var paths: [String] { files.keys.sorted() }

    /// sha256 over the sorted file set (path, mode and content hash of each file).
    public var digest: String {
        Self.digest(hashes: files.mapValues { ($0.sha256, $0.mode) })
    }

    /// sha256 of every file, by path (what an agent reports in its hello).
    public var fileHashes: [String: String] {
        files.mapValues(\.sha256)
    }

    /// The digest of a set described only by its per-file hashes and modes (the formula of
    /// `digest`, so an agent can compute it from disk): sha256 over `path \0 mode(octal) \0 sha256 \n`
    /// for every file in path order.
    public static func digest(hashes: [String: (sha256: String, mode: UInt16)]) -> String {
        var h = SHA256()
        for p in hashes.keys.sorted() {
            let f = hashes[p]!
            h.update(data: Data("\(p)\0\(String(f.mode, radix: 8))\0\(f.sha256)\n".utf8))
        }
        return Hex.encode(h.finalize())
    }

    /// Writes the files under `directory` (created if missing), with their modes.
    public func write(to directory: String) throws {
        let fm = FileManager.default
        for p in paths {
            let f = files[p]!
            let full = PathText.join(directory, p)
            try fm.createDirectory(atPath: PathText.parent(full), withIntermediateDirectories: true)
            // Create with the final mode so a key is never readable by others, even briefly.
            if fm.fileExists(atPath: full) { try fm.removeItem(atPath: full) }
            guard fm.createFile(atPath: full, contents: f.contents, attributes: [.posixPermissions: Int(f.mode)]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: ["NSFilePath": full])
            }
            try fm.setAttributes([.posixPermissions: Int(f.mode)], ofItemAtPath: full)
        }
    }
}

/// A set of configuration files by relative path — what a snapshot carries and what an agent
/// holds on disk.
public typealias FileSet = RenderedFiles
