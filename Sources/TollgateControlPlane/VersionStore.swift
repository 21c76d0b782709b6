import Foundation

/// Persists, per Gateway, the newest published version and digest in the state directory, so a
/// restarted controller continues numbering and keeps the version of an unchanged digest.
public final class VersionStore: @unchecked Sendable {
    public struct Entry: Codable, Sendable { public var version: UInt64; public var digest: String }
    private let path: String
    private let lock = NSLock()
    private var entries: [String: Entry]

    public init(path: String) {
        self.path = path
        if let data = FileManager.default.contents(atPath: path), let e = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = e
        } else {
            entries = [:]
        }
    }

    public func version(gateway: String) -> Entry? { lock.withLock { entries[gateway] } }

    public func record(gateway: String, version: UInt64, digest: String) {
        let data: Data? = lock.withLock {
            entries[gateway] = Entry(version: version, digest: digest)
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .prettyPrinted]
            return try? e.encode(entries)
        }
        guard let data else { return }
        PrivateFile.replace(data, at: path)
    }
}
