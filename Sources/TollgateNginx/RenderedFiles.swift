import Crypto
import Foundation

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

    public var sha256: String { SHA256.hash(data: contents).map { String(format: "%02x", $0) }.joined() }
}

/// The files of one Gateway's NGINX configuration, by path relative to the config root.
public struct RenderedFiles: Sendable, Equatable {
    public var files: [String: RenderedFile] = [:]
    public init() {}

    /// The main configuration file, relative to the root.
    public static let mainConfig = "nginx.conf"

    /// Paths in stable order.
    public var paths: [String] { files.keys.sorted() }

    /// sha256 over the sorted file set (path, mode and content hash of each file).
    public var digest: String {
        var h = SHA256()
        for p in paths {
            let f = files[p]!
            h.update(data: Data("\(p)\0\(String(f.mode, radix: 8))\0\(f.sha256)\n".utf8))
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Writes the files under `directory` (created if missing), with their modes.
    public func write(to directory: String) throws {
        let fm = FileManager.default
        for p in paths {
            let f = files[p]!
            let full = (directory as NSString).appendingPathComponent(p)
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Create with the final mode so a key is never readable by others, even briefly.
            if fm.fileExists(atPath: full) { try fm.removeItem(atPath: full) }
            guard fm.createFile(atPath: full, contents: f.contents, attributes: [.posixPermissions: Int(f.mode)]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: full])
            }
            try fm.setAttributes([.posixPermissions: Int(f.mode)], ofItemAtPath: full)
        }
    }
}
