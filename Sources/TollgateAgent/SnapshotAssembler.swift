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
import TollgateProto

/// Puts a version sent in parts back together (see `Snapshot.more` and `FileUpsert.continued` in
/// the protocol). Parts of one version arrive in order on one stream; anything else — a part of
/// another version before the last one completed, a piece that continues a different path, more
/// than `maxBytes` in total — is a protocol error, and the agent reconnects.
public struct SnapshotAssembler {
    /// The largest version the agent accepts (a bound on memory, far above any real Gateway).
    public static let maxBytes = 1 << 30

    public init() {}

    private var pending: Tollgate_V1_Snapshot?
    private var bytes = 0
    /// The path of the last piece when it said `continued`.
    private var openPath: String?

    /// Adds one part; returns the whole version when this part completes it.
    public mutating func add(_ part: Tollgate_V1_Snapshot) throws(AgentError) -> Tollgate_V1_Snapshot? {
        var whole: Tollgate_V1_Snapshot
        if let p = pending {
            guard p.version == part.version, p.gateway == part.gateway else {
                reset()
                throw AgentError("part of version \(part.version) arrived before version \(p.version) was complete")
            }
            whole = p
        } else {
            whole = part
            whole.upserts = []
            whole.removals = []
        }
        for piece in part.upserts {
            bytes += piece.contents.count
            guard bytes <= Self.maxBytes else {
                reset()
                throw AgentError("version \(part.version) is larger than \(Self.maxBytes) bytes")
            }
            if let open = openPath {
                guard piece.path == open, let last = whole.upserts.indices.last else {
                    reset()
                    throw AgentError("version \(part.version): a piece of \(open) was expected, got \(piece.path)")
                }
                whole.upserts[last].contents.append(piece.contents)
                whole.upserts[last].continued = piece.continued
            } else {
                whole.upserts.append(piece)
            }
            openPath = piece.continued ? piece.path : nil
        }
        whole.removals += part.removals
        guard !part.more else {
            pending = whole
            return nil
        }
        guard openPath == nil else {
            reset()
            throw AgentError("version \(part.version) ended in the middle of a file")
        }
        reset()
        whole.more = false
        return whole
    }

    private mutating func reset() {
        pending = nil
        bytes = 0
        openPath = nil
    }
}
