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

/// Unified diffs between two file sets, in the format of `diff -u` (git-style `a/` and `b/`
/// prefixes, `/dev/null` for added and removed files, 3 lines of context). Pure and deterministic:
/// files appear in path order.
public enum UnifiedDiff {
    /// Lines of context around each change.
    public static let contextLines = 3

    /// The diff turning `old` into `new`; empty when they are equal.
    ///
    /// - Text files get `---`/`+++` headers and `@@` hunks; an added or removed file is diffed
    ///   against an empty file (`/dev/null`).
    /// - A mode change is noted on its own line: `Mode of PATH changed from 0644 to 0600`.
    /// - Non-UTF-8 contents or contents with NUL bytes: `Binary files a/PATH and b/PATH differ`.
    /// - With `redactKeys`, a private key (`*.key`) prints only
    ///   `Private key PATH changed (contents redacted)` (or `added` / `removed`), never its bytes.
    public static func files(from old: FileSet, to new: FileSet, redactKeys: Bool) -> String {
        var out = ""
        let paths = Set(old.files.keys).union(new.files.keys).sorted()
        for path in paths {
            out += file(path: path, old: old.files[path], new: new.files[path], redactKeys: redactKeys)
        }
        return out
    }

    /// The diff of one path; `nil` means the file is absent on that side.
    public static func file(path: String, old: RenderedFile?, new: RenderedFile?, redactKeys: Bool) -> String {
        if old == nil && new == nil { return "" }
        var out = ""
        if let old, let new, old.mode != new.mode {
            out += "Mode of \(path) changed from \(octal(old.mode)) to \(octal(new.mode))\n"
        }
        if old?.contents == new?.contents { return out }

        if redactKeys && PathSafety.isPrivateKey(path) {
            let what = old == nil ? "added" : new == nil ? "removed" : "changed"
            return out + "Private key \(path) \(what) (contents redacted)\n"
        }

        let oldName = old == nil ? "/dev/null" : "a/\(path)"
        let newName = new == nil ? "/dev/null" : "b/\(path)"
        guard let oldBytes = textBytes(old), let newBytes = textBytes(new) else {
            return out + "Binary files \(oldName) and \(newName) differ\n"
        }
        return out + lines(from: oldBytes, to: newBytes, oldName: oldName, newName: newName)
    }

    /// A unified diff of two texts with the given header names (without `a/`/`b/` added);
    /// empty when the texts are equal.
    public static func text(from oldText: String, to newText: String, oldName: String, newName: String) -> String {
        lines(from: Array(oldText.utf8), to: Array(newText.utf8), oldName: oldName, newName: newName)
    }

    private static func lines(from oldBytes: [UInt8], to newBytes: [UInt8], oldName: String, newName: String) -> String {
        let a = LineDiff.lines(oldBytes), b = LineDiff.lines(newBytes)
        let hunks = LineDiff.hunks(LineDiff.ops(a, b), context: contextLines)
        if hunks.isEmpty { return "" }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        for h in hunks {
            out += "@@ -\(range(h.aStart, h.aCount)) +\(range(h.bStart, h.bCount)) @@\n"
            for op in h.ops {
                let line: LineDiff.Line
                switch op {
                case .equal(let i, _): line = a[i]; out += " "
                case .delete(let i): line = a[i]; out += "-"
                case .insert(let j): line = b[j]; out += "+"
                }
                out += String(decoding: line.bytes, as: UTF8.self)
                out += line.hasNewline ? "\n" : "\n\\ No newline at end of file\n"
            }
        }
        return out
    }

    /// `start,count` as `diff -u` prints it: 1-based; `,1` omitted; an empty range starts at the
    /// line before it.
    private static func range(_ start: Int, _ count: Int) -> String {
        switch count {
        case 0: return "\(start),0"
        case 1: return "\(start + 1)"
        default: return "\(start + 1),\(count)"
        }
    }

    private static func octal(_ mode: UInt16) -> String {
        let s = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    /// The contents' bytes when they are text (valid UTF-8 without NUL), else nil. Absent is empty.
    private static func textBytes(_ file: RenderedFile?) -> [UInt8]? {
        guard let file else { return [] }
        let bytes = [UInt8](file.contents)
        if bytes.contains(0) { return nil }
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        return bytes
    }
}
