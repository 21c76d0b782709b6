import Crypto
import Foundation
import TollgateNginx

/// A set of configuration files by relative path — what a snapshot carries and what an agent
/// holds on disk. The digest is sha256 over the sorted (path, mode, sha256) list.
public typealias FileSet = RenderedFiles

extension RenderedFiles {
    /// sha256 of every file, by path (what an agent reports in its hello).
    public var fileHashes: [String: String] {
        files.mapValues(\.sha256)
    }

    /// The digest of a set described only by its per-file hashes and modes (same formula as
    /// `digest`, so an agent can compute it from disk).
    public static func digest(hashes: [String: (sha256: String, mode: UInt16)]) -> String {
        var h = SHA256()
        for p in hashes.keys.sorted() {
            let f = hashes[p]!
            h.update(data: Data("\(p)\0\(String(f.mode, radix: 8))\0\(f.sha256)\n".utf8))
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
