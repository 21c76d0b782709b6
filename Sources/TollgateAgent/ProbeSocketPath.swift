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

/// Where the version probe's Unix socket is bound and reached. A socket address holds at most
/// 107 bytes of path (103 on macOS), and the path is written unquoted into `agent/version.conf`,
/// so:
///
/// - `RUNTIME/probe.sock` when that path fits and holds only plain characters
///   (`A-Z a-z 0-9 / . _ - + @ ~`);
/// - otherwise the same file reached through a short alias, `/tmp/tollgate-UID/HASH/probe.sock`
///   (at most 52 bytes), where `/tmp/tollgate-UID` is a directory private to the user (0700) and
///   `HASH` (16 hex digits of the sha256 of the runtime directory's path) a symlink to the runtime
///   directory. The socket file itself stays in the runtime directory; the alias can be
///   recreated at any time (`prepareAlias`) without disturbing a running NGINX. Aliases of
///   runtime directories that no longer exist are removed whenever a new alias is made.
///
/// The choice depends only on the runtime directory's path and the user, so every agent started
/// on a config root derives the same path its live tree's include names.
public enum ProbeSocketPath {
    /// The socket's file name inside the runtime directory.
    public static let fileName = "probe.sock"
    /// Where aliases are made.
    static let aliasBase = "/tmp"

    /// The path NGINX binds and the agent connects to for `runtimeDirectory` (absolute).
    public static func socket(forRuntimeDirectory runtimeDirectory: String) -> String {
        join(aliasIfNeeded(forRuntimeDirectory: runtimeDirectory) ?? runtimeDirectory, fileName)
    }

    /// The alias directory entry (a symlink to `runtimeDirectory`) used when the direct path
    /// does not fit, or nil when none is needed.
    public static func aliasIfNeeded(forRuntimeDirectory runtimeDirectory: String) -> String? {
        let direct = join(runtimeDirectory, fileName)
        return direct.utf8.count <= UnixSocketLimit.maxPathBytes && isPlain(direct) ? nil : alias(forRuntimeDirectory: runtimeDirectory)
    }

    /// `/tmp/tollgate-UID/HASH` for `runtimeDirectory`.
    static func alias(forRuntimeDirectory runtimeDirectory: String) -> String {
        let hash = Hex.encode(SHA256.hash(data: Data(runtimeDirectory.utf8)).prefix(8))
        return join(aliasDirectory, hash)
    }

    /// `/tmp/tollgate-UID`: one per user, so no other user can place or replace an alias.
    static var aliasDirectory: String { join(aliasBase, "tollgate-\(geteuid())") }

    /// Makes sure the alias of `runtimeDirectory` (if one is needed) exists and points at it:
    /// creates the private directory (or checks that an existing one is a real directory owned
    /// by this user with no access for others) and replaces the symlink atomically when it is
    /// missing or points elsewhere. Throws with the reason, never leaves a wrong alias.
    public static func prepareAlias(forRuntimeDirectory runtimeDirectory: String) throws {
        guard let alias = aliasIfNeeded(forRuntimeDirectory: runtimeDirectory) else { return }
        let directory = aliasDirectory
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw AgentError.posix("cannot create the probe socket alias directory", directory)
        }
        var st = stat()
        guard lstat(directory, &st) == 0 else { throw AgentError.posix("cannot inspect", directory) }
        guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(), (st.st_mode & 0o077) == 0 else {
            throw AgentError("\(directory) must be a directory of user \(geteuid()) with mode 0700: it holds the aliases of version probe sockets whose paths are too long (\(runtimeDirectory)); remove it or fix its owner and mode")
        }
        if DurableFiles.readSymlink(alias) != runtimeDirectory {
            try DurableFiles.replaceSymlink(alias, target: runtimeDirectory)
            removeDanglingAliases(in: directory)
        }
    }

    /// Removes aliases whose runtime directory is gone (config roots deleted since).
    private static func removeDanglingAliases(in directory: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let entry = join(directory, name)
            var link = stat(), target = stat()
            if lstat(entry, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK, stat(entry, &target) != 0, errno == ENOENT {
                unlink(entry)
            }
        }
    }

    /// Characters that stay one token in NGINX's configuration without quoting.
    static func isPlain(_ path: String) -> Bool {
        path.unicodeScalars.allSatisfy { u in
            u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || "/._-+@~".unicodeScalars.contains(u))
        }
    }

    private static func join(_ a: String, _ b: String) -> String { PathText.join(a, b) }
}
