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

/// Step 2 of an apply: writes a complete tree into a fresh directory durably. Every file is
/// created with its final mode (keys are 0600 from the first byte), written and fsynced; every
/// directory is fsynced after its entries; `.tollgate-version` is written last, so its presence
/// marks a complete tree.
enum TreeStager {
    /// Creates `directory` (must not exist) and writes `files` plus `extra` (agent-owned files)
    /// and the version record into it.
    static func stage(_ files: FileSet, extra: [String: RenderedFile], record: VersionRecord, into directory: String) throws {
        try DurableFiles.makeDirectory(directory)
        var directories: Set<String> = [directory]
        var all = files.files
        for (p, f) in extra { all[p] = f }
        for path in all.keys.sorted() {
            let full = PathText.join(directory, path)
            var parents: [String] = []
            var parent = PathText.parent(full)
            while !directories.contains(parent) {
                parents.append(parent)
                parent = PathText.parent(parent)
            }
            for d in parents.reversed() {
                try DurableFiles.makeDirectory(d)
                directories.insert(d)
            }
            try DurableFiles.createFile(full, contents: all[path]!.contents, mode: all[path]!.mode)
        }
        try DurableFiles.createFile(PathText.join(directory, AgentPaths.versionRecord),
                                    contents: record.encoded(), mode: 0o644)
        // Deepest first, so each directory's entries are durable before its parent's.
        for d in directories.sorted(by: { $0.count > $1.count }) { try DurableFiles.syncDirectory(d) }
        // Belt and braces: the tree must resolve inside the staging directory.
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        for path in all.keys {
            let resolved = URL(fileURLWithPath: PathText.join(directory, path)).resolvingSymlinksInPath().path
            guard resolved.hasPrefix(real + "/") else { throw AgentError("path \(path) resolves outside the staging directory") }
        }
    }
}
