import Foundation

/// The bearer token to send, re-read from its file when the file changes, when the copy is older
/// than the refresh interval, or after the server refused it (service-account tokens rotate).
actor BearerTokenSource {
    private let source: KubeCredentials.BearerToken
    private let refreshInterval: Duration
    private var cached: String?
    private var readAt: ContinuousClock.Instant?
    private var fileStamp: FileStamp?

    /// What identifies one version of the token file without reading it.
    private struct FileStamp: Equatable {
        var modified: Date?
        var size: Int?
        var inode: Int?
    }

    init(_ source: KubeCredentials.BearerToken, refreshInterval: Duration = .seconds(60)) {
        self.source = source
        self.refreshInterval = refreshInterval
    }

    /// The current token.
    func token() throws(KubeError) -> String {
        switch source {
        case .literal(let token):
            return token
        case .file(let path):
            let stamp = Self.stamp(path)
            let now = ContinuousClock.now
            if let cached, let readAt, stamp == fileStamp, now - readAt < refreshInterval {
                return cached
            }
            let token = try Self.read(path)
            cached = token
            readAt = now
            fileStamp = stamp
            return token
        }
    }

    /// Forgets the cached token so the next ``token()`` reads the file again (after a 401).
    /// Returns whether a re-read can give a different token.
    func invalidate() -> Bool {
        guard case .file = source else { return false }
        cached = nil
        return true
    }

    private static func read(_ path: String) throws(KubeError) -> String {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8)
        else {
            throw KubeError(code: .configuration, message: "the token file \(path) cannot be read")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubeError(code: .configuration, message: "the token file \(path) is empty")
        }
        return token
    }

    private static func stamp(_ path: String) -> FileStamp? {
        // Follow the symlinks: a mounted token is `token -> ..data/token`, rotated by swapping `..data`.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target) else { return nil }
        return FileStamp(
            modified: attributes[.modificationDate] as? Date,
            size: (attributes[.size] as? NSNumber)?.intValue,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue)
    }
}
