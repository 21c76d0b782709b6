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

/// The `.tollgate-version` file inside every version directory: which version and digest the
/// tree holds. Written last (and fsynced) before the staging directory is renamed into place, so
/// its presence marks a complete tree. It is not part of the digest.
public struct VersionRecord: Codable, Sendable, Equatable {
    /// The controller's monotonic version number.
    public var version: UInt64
    /// The digest of the controller's file set (without the agent-owned files).
    public var digest: String

    public init(version: UInt64, digest: String) {
        self.version = version; self.digest = digest
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }

    /// Reads the record of a version directory, or nil when missing or unreadable.
    static func read(inDirectory directory: String) -> VersionRecord? {
        let path = PathText.join(directory, AgentPaths.versionRecord)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(VersionRecord.self, from: data)
    }
}
