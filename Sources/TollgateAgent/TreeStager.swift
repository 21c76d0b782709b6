import Foundation
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
            let full = (directory as NSString).appendingPathComponent(path)
            var parents: [String] = []
            var parent = (full as NSString).deletingLastPathComponent
            while !directories.contains(parent) {
                parents.append(parent)
                parent = (parent as NSString).deletingLastPathComponent
            }
            for d in parents.reversed() {
                try DurableFiles.makeDirectory(d)
                directories.insert(d)
            }
            try DurableFiles.createFile(full, contents: all[path]!.contents, mode: all[path]!.mode)
        }
        try DurableFiles.createFile((directory as NSString).appendingPathComponent(AgentPaths.versionRecord),
                                    contents: record.encoded(), mode: 0o644)
        // Deepest first, so each directory's entries are durable before its parent's.
        for d in directories.sorted(by: { $0.count > $1.count }) { try DurableFiles.syncDirectory(d) }
        // Belt and braces: the tree must resolve inside the staging directory.
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        for path in all.keys {
            let resolved = URL(fileURLWithPath: (directory as NSString).appendingPathComponent(path)).resolvingSymlinksInPath().path
            guard resolved.hasPrefix(real + "/") else { throw AgentError("path \(path) resolves outside the staging directory") }
        }
    }
}
