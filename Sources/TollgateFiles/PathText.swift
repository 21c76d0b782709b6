/// Path and text helpers that need no Foundation (the agent builds on FoundationEssentials, which
/// has neither `NSString`'s path methods nor `trimmingCharacters(in:)`). Same results as
/// `NSString.appendingPathComponent`, `deletingLastPathComponent` and `lastPathComponent` for the
/// paths Tollgate builds.
public enum PathText {
    /// `a` and `b` joined with one `/` (`b` alone when `a` is empty).
    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        let head = a == "/" ? "" : String(a.reversed().drop { $0 == "/" }.reversed())
        let tail = b.drop { $0 == "/" }
        return tail.isEmpty ? (head.isEmpty ? "/" : head) : head + "/" + tail
    }

    /// `p` without its last component: `/a/b` -> `/a`, `/a` -> `/`, `a` -> ``.
    public static func parent(_ p: String) -> String {
        let trimmed = stripTrailingSlashes(p)
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return stripTrailingSlashes(String(trimmed[..<slash]))
    }

    /// The last component of `p`: `/a/b/` -> `b`.
    public static func lastComponent(_ p: String) -> String {
        let trimmed = stripTrailingSlashes(p)
        if trimmed == "/" { return "/" }
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    private static func stripTrailingSlashes(_ p: String) -> String {
        var s = Substring(p)
        while s.count > 1 && s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}

extension StringProtocol {
    /// The text without leading and trailing characters matching `predicate`.
    public func trimmed(where predicate: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !predicate($0) }), let last = lastIndex(where: { !predicate($0) }) else { return "" }
        return String(self[first...last])
    }

    /// The text without leading and trailing white space and newlines (like Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`).
    public func trimmingWhitespace() -> String { trimmed(where: \.isWhitespace) }
}
