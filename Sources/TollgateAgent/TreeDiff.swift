import Foundation
import TollgateSnapshot

/// The unified diff a dry run reports: what applying `new` over the live tree would change.
/// Deterministic (paths sorted); private keys are never shown, only
/// `Private key PATH changed (contents redacted)`.
public enum TreeDiff {
    /// The diff from `old` to `new` (empty string when they are identical).
    public static func unified(from old: FileSet, to new: FileSet) -> String {
        var out: [String] = []
        for path in Set(old.files.keys).union(new.files.keys).sorted() {
            let a = old.files[path], b = new.files[path]
            if a == b { continue }
            if (a.map { isKey(path, $0) } ?? false) || (b.map { isKey(path, $0) } ?? false) {
                switch (a, b) {
                case (nil, _): out.append("Private key \(path) added (contents redacted)")
                case (_, nil): out.append("Private key \(path) removed (contents redacted)")
                default: out.append("Private key \(path) changed (contents redacted)")
                }
                continue
            }
            if let a, let b, a.mode != b.mode {
                out.append("Mode of \(path) changed from \(octal(a.mode)) to \(octal(b.mode))")
                if a.contents == b.contents { continue }
            }
            guard let oldText = a.map({ String(data: $0.contents, encoding: .utf8) }) ?? "",
                  let newText = b.map({ String(data: $0.contents, encoding: .utf8) }) ?? "" else {
                out.append("Binary file \(path) changed"); continue
            }
            out.append(a == nil ? "--- /dev/null" : "--- a/\(path)")
            out.append(b == nil ? "+++ /dev/null" : "+++ b/\(path)")
            out += AgentLineDiff.hunks(lines(oldText), lines(newText))
        }
        return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
    }

    /// A private key: a file only its owner may read, a `.key` file, or PEM private key text.
    static func isKey(_ path: String, _ file: RenderedFile) -> Bool {
        if file.mode & 0o077 == 0 || path.hasSuffix(".key") { return true }
        return file.contents.range(of: Data("PRIVATE KEY-----".utf8)) != nil
    }

    private static func lines(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var l = text.components(separatedBy: "\n")
        if l.last == "" { l.removeLast() }
        return l
    }

    private static func octal(_ mode: UInt16) -> String {
        let s = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
