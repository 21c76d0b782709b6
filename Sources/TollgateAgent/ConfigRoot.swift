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

/// The agent's directory layout:
///
/// ```
/// ROOT/versions/V-DIGEST12/   a complete staged tree per version (+ agent/version.conf, .tollgate-version)
/// ROOT/versions/.staging-*    trees being written (removed at start if a crash left one)
/// ROOT/current -> versions/…  the live tree (relative symlink, replaced atomically by rename)
/// ROOT/runtime/               the NGINX prefix: pid file, logs, temp paths, probe socket
///                             (reached through /tmp/tollgate-UID/HASH when its path is too long)
/// ```
///
/// NGINX always loads `ROOT/current/nginx.conf`, so its relative includes and certificate paths
/// resolve inside the live tree.
public struct ConfigRoot: Sendable, Equatable {
    /// Absolute path of the root.
    public let path: String
    /// Absolute path of the NGINX prefix (`ROOT/runtime` unless given).
    public let runtimeDirectory: String

    /// - Parameters:
    ///   - path: the config root (made absolute against the working directory).
    ///   - runtimeDirectory: the NGINX prefix; defaults to `ROOT/runtime`.
    public init(path: String, runtimeDirectory: String? = nil) {
        let abs = Self.absolute(path)
        self.path = abs
        self.runtimeDirectory = runtimeDirectory.map(Self.absolute) ?? PathText.join(abs, "runtime")
    }

    public var versionsDirectory: String { join(path, "versions") }
    /// The symlink naming the live tree.
    public var currentLink: String { join(path, "current") }
    /// The main file NGINX is started with: `ROOT/current/nginx.conf`.
    public var currentConfigFile: String { join(currentLink, FileSet.mainConfig) }
    /// The Unix socket the version probe listens on: `RUNTIME/probe.sock`, reached through a
    /// short alias when that path is too long for a socket address (see `ProbeSocketPath`).
    public var probeSocket: String { ProbeSocketPath.socket(forRuntimeDirectory: runtimeDirectory) }
    /// NGINX's error log (`-e`, and `error_log error.log` relative to the prefix).
    public var errorLog: String { join(runtimeDirectory, "error.log") }
    /// NGINX's pid file (`pid nginx.pid` relative to the prefix).
    public var pidFile: String { join(runtimeDirectory, "nginx.pid") }

    /// The directory name of a version: `V-DIGEST12`.
    public static func versionDirectoryName(version: UInt64, digest: String) -> String {
        "\(version)-\(digest.prefix(12))"
    }

    /// Creates the root, `versions/` and the runtime directory if missing, and the probe
    /// socket's alias when one is needed.
    public func prepare() throws {
        for d in [path, versionsDirectory, runtimeDirectory] { try DurableFiles.makeDirectories(d) }
        try ProbeSocketPath.prepareAlias(forRuntimeDirectory: runtimeDirectory)
    }

    /// The name (inside `versions/`) of the live version directory, or nil when nothing is live.
    public func liveDirectoryName() -> String? {
        guard let target = DurableFiles.readSymlink(currentLink) else { return nil }
        let name = PathText.lastComponent(target)
        return DurableFiles.isDirectory(join(versionsDirectory, name)) ? name : nil
    }

    /// Reads what is live: the version record and the hashes of the files on disk (excluding
    /// `agent/` and `.tollgate-version`). nil when no version has been applied.
    public func liveState() throws -> LiveState? {
        guard let name = liveDirectoryName() else { return nil }
        let dir = join(versionsDirectory, name)
        guard let record = VersionRecord.read(inDirectory: dir) else { return nil }
        let entries = try TreeReader.entries(of: dir)
        let digest = FileSet.digest(hashes: entries.mapValues { (sha256: $0.sha256, mode: $0.mode) })
        return LiveState(version: record.version, digest: digest, recordedDigest: record.digest,
                         fileHashes: entries.mapValues(\.sha256), fileModes: entries.mapValues(\.mode), directory: dir)
    }

    /// Removes what a crash may have left: staging directories, version directories without a
    /// `.tollgate-version` record (never the live one), and temporary symlinks. Returns the
    /// removed names.
    @discardableResult
    public func recover() throws -> [String] {
        try prepare()
        var removed: [String] = []
        let live = liveDirectoryName()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: versionsDirectory)) ?? [] where name != live {
            let dir = join(versionsDirectory, name)
            if name.hasPrefix(".staging-") || !DurableFiles.isDirectory(dir) || VersionRecord.read(inDirectory: dir) == nil {
                DurableFiles.removeTree(dir); removed.append("versions/" + name)
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".current.tmp-") {
            DurableFiles.removeTree(join(path, name)); removed.append(name)
        }
        if !removed.isEmpty { try DurableFiles.syncDirectory(versionsDirectory) }
        return removed.sorted()
    }

    /// Keeps the live version, `keep` (optional) and the newest others up to `count` directories
    /// in all; deletes older ones. Returns the removed names.
    @discardableResult
    public func prune(keepingNewest count: Int, alsoKeep keep: String? = nil) -> [String] {
        let live = liveDirectoryName()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: versionsDirectory)) ?? []).filter { !$0.hasPrefix(".") }
        let ordered = names.sorted { a, b in
            let va = Self.versionNumber(a), vb = Self.versionNumber(b)
            return va != vb ? va > vb : a > b
        }
        var kept = Set([live, keep].compactMap { $0 })
        var removed: [String] = []
        for name in ordered where !kept.contains(name) {
            if kept.count < max(count, 1) { kept.insert(name); continue }
            DurableFiles.removeTree(join(versionsDirectory, name)); removed.append(name)
        }
        if !removed.isEmpty { try? DurableFiles.syncDirectory(versionsDirectory) }
        return removed
    }

    /// The newest version directory other than the live one whose record names a version older
    /// than `version`: the version that was live before it (failed trees are removed, and
    /// `prune` keeps at least one besides the live one). nil when there is none.
    public func previousVersionDirectory(before version: UInt64) -> String? {
        let live = liveDirectoryName()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: versionsDirectory)) ?? [])
            .filter { !$0.hasPrefix(".") && $0 != live }
        var best: (name: String, version: UInt64)?
        for name in names {
            guard let record = VersionRecord.read(inDirectory: versionDirectory(name)), record.version < version,
                  name == Self.versionDirectoryName(version: record.version, digest: record.digest) else { continue }
            if best == nil || record.version > best!.version { best = (name, record.version) }
        }
        return best?.name
    }

    /// Absolute path of a directory inside `versions/`.
    func versionDirectory(_ name: String) -> String { join(versionsDirectory, name) }

    private static func versionNumber(_ name: String) -> UInt64 {
        UInt64(name.prefix { $0 != "-" }) ?? 0
    }

    private static func absolute(_ p: String) -> String {
        let url = p.hasPrefix("/") ? URL(fileURLWithPath: p) : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(p)
        return url.standardizedFileURL.path
    }

    private func join(_ a: String, _ b: String) -> String { PathText.join(a, b) }
}
