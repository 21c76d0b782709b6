import Foundation
import TollgateProto

/// Splits one version into stream messages of bounded size: upserts and removals are spread over
/// parts of about `maxPartBytes`, and a file larger than that is sent in pieces (`continued`), so
/// no message ever reaches gRPC's message size limit (4 MiB by default) whatever the Gateway's
/// size. The first part carries everything but files; every part carries the version.
public enum SnapshotParts {
    /// Target size of one part's payload.
    public static let maxPartBytes = 1 << 20

    public static func split(_ snapshot: Tollgate_V1_Snapshot, maxPartBytes: Int = SnapshotParts.maxPartBytes) -> [Tollgate_V1_Snapshot] {
        let limit = max(1024, maxPartBytes)
        var header = snapshot
        header.upserts = []
        header.removals = []
        header.more = false
        var parts: [Tollgate_V1_Snapshot] = []
        var current = header
        var size = 0
        func flush() {
            current.more = true
            parts.append(current)
            current = header
            // Later parts repeat the version (and gateway) so they can be matched; nothing else.
            current.trigger = ""
            size = 0
        }
        for upsert in snapshot.upserts {
            let overhead = upsert.path.utf8.count + 80
            let total = upsert.contents.count
            var offset = 0
            repeat {
                // Start a new part when this piece would not fit in the current one.
                if size > 0 && size + overhead + min(total - offset, limit) > limit { flush() }
                let room = max(limit - size - overhead, 1024)
                let end = min(total, offset + room)
                var piece = upsert
                piece.contents = upsert.contents.subdata(in: (upsert.contents.startIndex + offset)..<(upsert.contents.startIndex + end))
                piece.continued = end < total
                if offset > 0 { piece.sha256 = ""; piece.clearSplice() }
                current.upserts.append(piece)
                size += (end - offset) + overhead
                offset = end
            } while offset < total
        }
        for removal in snapshot.removals {
            if size + removal.utf8.count + 8 > limit { flush() }
            current.removals.append(removal)
            size += removal.utf8.count + 8
        }
        current.more = false
        parts.append(current)
        return parts
    }
}
