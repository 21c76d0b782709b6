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
import TollgateFiles
import TollgateSnapshot

/// Reads a version directory back into hashes, modes and contents, skipping the agent-owned
/// files (`agent/`, `.tollgate-version`). Symlinks and special files are ignored: the agent
/// never creates them.
enum TreeReader {
    struct Entry: Sendable {
        var mode: UInt16
        var sha256: String
    }

    /// Every regular file under `directory` (relative path → mode and sha256).
    static func entries(of directory: String) throws -> [String: Entry] {
        var out: [String: Entry] = [:]
        try walk(directory, relative: "") { rel, full, mode in
            guard let data = FileManager.default.contents(atPath: full) else { throw AgentError.posix("cannot read", full) }
            out[rel] = Entry(mode: mode, sha256: Hex.encode(SHA256.hash(data: data)))
        }
        return out
    }

    /// Every regular file under `directory` as a file set (used for the dry-run diff).
    static func fileSet(of directory: String) throws -> FileSet {
        var set = FileSet()
        try walk(directory, relative: "") { rel, full, mode in
            guard let data = FileManager.default.contents(atPath: full) else { throw AgentError.posix("cannot read", full) }
            var f = RenderedFile("", mode: mode)
            f.contents = data
            set.files[rel] = f
        }
        return set
    }

    private static func walk(_ directory: String, relative: String, _ visit: (String, String, UInt16) throws -> Void) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            if relative.isEmpty && (name == AgentPaths.agentDirectory || name == AgentPaths.versionRecord) { continue }
            let full = PathText.join(directory, name)
            guard let m = DurableFiles.lstatMode(full) else { continue }
            switch m & S_IFMT {
            case S_IFDIR: try walk(full, relative: rel, visit)
            case S_IFREG: try visit(rel, full, UInt16(m & 0o7777))
            default: continue
            }
        }
    }
}
