import TollgateModel
import TollgateProto
import TollgateSnapshot

/// The agent protocol's messages and the controller's domain types, converted in one place: the
/// core never sees a protobuf type, and nothing else builds or reads one for the agent stream.
public enum AgentWire {
    /// A validated hello, or why it is refused (`HelloValidation`).
    public static func hello(_ message: Tollgate_V1_Hello) throws(HelloRefusal) -> AgentHello {
        switch HelloValidation.check(message) {
        case .success(let hello): return hello
        case .failure(let refusal): throw refusal
        }
    }

    /// The controller messages carrying a delivery: one snapshot, in parts when it is large
    /// (`SnapshotParts`).
    public static func messages(_ d: SnapshotDelivery) -> [Tollgate_V1_ControllerMessage] {
        var msg = Tollgate_V1_Snapshot()
        msg.gateway = d.gateway.description
        msg.version = d.version
        msg.digest = d.digest
        msg.full = d.full
        msg.baseVersion = d.baseVersion
        msg.trigger = d.trigger
        msg.upserts = d.upserts.map { path, file in
            var u = Tollgate_V1_FileUpsert()
            u.path = path
            u.mode = UInt32(file.mode)
            u.sha256 = d.hashes[path] ?? file.sha256
            if let splice = d.splices[path] {
                u.contents = splice.literal
                var s = Tollgate_V1_FileSplice()
                s.baseSha256 = splice.baseSHA256
                s.runs = splice.copies.map { c in
                    var r = Tollgate_V1_BaseRun()
                    r.literalBefore = UInt64(c.literalBefore)
                    r.baseOffset = UInt64(c.baseOffset)
                    r.length = UInt64(c.length)
                    return r
                }
                u.splice = s
            } else {
                u.contents = file.contents
            }
            return u
        }
        msg.removals = d.removals
        return SnapshotParts.split(msg).map { part in
            var out = Tollgate_V1_ControllerMessage()
            out.snapshot = part
            return out
        }
    }

    /// An agent's result, or nil for an outcome this controller does not know (ignored).
    public static func report(_ r: Tollgate_V1_ApplyResult) -> ApplyReport? {
        let outcome: AgentReport.Outcome
        switch r.outcome {
        case .applied: outcome = .applied
        case .rejected: outcome = .rejected
        case .dryRunOk: outcome = .dryRunOK
        case .dryRunRejected: outcome = .dryRunRejected
        default: return nil
        }
        let dry = outcome == .dryRunOK || outcome == .dryRunRejected
        let message = dry ? (r.message.isEmpty ? r.diff : r.message + "\n" + r.diff) : r.message
        return ApplyReport(version: r.version, outcome: outcome, message: message,
                           unbindablePorts: r.unbindablePorts.map(Int.init).filter { (1...65535).contains($0) })
    }
}
