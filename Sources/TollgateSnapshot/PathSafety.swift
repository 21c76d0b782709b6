/// Validation of the relative paths a snapshot may write under an agent's config root.
///
/// A snapshot comes over the network; an agent must refuse any path that could escape its root or
/// that the filesystem would interpret differently from the controller.
public enum PathSafety {
    /// Longest accepted path, in UTF-8 bytes (Linux `PATH_MAX` is 4096; leave room for the root).
    public static let maxLength = 1024

    /// Why a path was refused. Every case names the offending path.
    public enum Violation: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case absolute(String)
        case traversal(String)
        case dotComponent(String)
        case emptyComponent(String)
        case nul(String)
        case backslash(String)
        case tooLong(String, length: Int)

        public var description: String {
            switch self {
            case .empty: return "path \"\" is empty"
            case .absolute(let p): return "path \"\(p)\" is absolute; only paths relative to the config root are allowed"
            case .traversal(let p): return "path \"\(p)\" contains a \"..\" component"
            case .dotComponent(let p): return "path \"\(p)\" contains a \".\" component"
            case .emptyComponent(let p): return "path \"\(p)\" contains an empty component (\"//\" or a trailing \"/\")"
            case .nul(let p): return "path \(p.debugDescription) contains a NUL byte"
            case .backslash(let p): return "path \"\(p)\" contains a backslash"
            case .tooLong(let p, let n): return "path \"\(p.prefix(64))…\" is \(n) bytes long; the limit is \(PathSafety.maxLength)"
            }
        }
    }

    /// Throws a `Violation` unless `path` is a safe relative path: non-empty, not absolute, no
    /// `..`, `.` or empty components, no NUL, no backslash, at most `maxLength` bytes.
    public static func validate(_ path: String) throws(Violation) {
        if path.isEmpty { throw .empty }
        if path.utf8.contains(0) { throw .nul(path) }
        let length = path.utf8.count
        if length > maxLength { throw .tooLong(path, length: length) }
        if path.hasPrefix("/") { throw .absolute(path) }
        if path.contains("\\") { throw .backslash(path) }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "": throw .emptyComponent(path)
            case ".": throw .dotComponent(path)
            case "..": throw .traversal(path)
            default: continue
            }
        }
    }

    /// True when `path` passes `validate`.
    public static func isSafe(_ path: String) -> Bool {
        do { try validate(path); return true } catch { return false }
    }

    /// True for private keys (`.key` suffix): mode 0600, never shown in diffs or to the CLI.
    public static func isPrivateKey(_ path: String) -> Bool {
        path.hasSuffix(".key")
    }
}
