import Foundation
import GRPCCore
import TollgateModel
import TollgateProto
import TollgateSnapshot

/// Status and snapshot inspection for the CLI.
public struct AdminService: Tollgate_V1_AdminService.SimpleServiceProtocol {
    let core: ControllerCore

    public init(core: ControllerCore) { self.core = core }

    public func getStatus(request: Tollgate_V1_StatusRequest, context: ServerContext) async throws -> Tollgate_V1_StatusResponse {
        let docs = await core.statusDocuments()
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        var r = Tollgate_V1_StatusResponse()
        r.documentsJson = try e.encode(docs)
        return r
    }

    public func listSnapshots(request: Tollgate_V1_ListSnapshotsRequest, context: ServerContext) async throws -> Tollgate_V1_ListSnapshotsResponse {
        var r = Tollgate_V1_ListSnapshotsResponse()
        let names: [GatewayRef]
        if request.gateway.isEmpty { names = await core.gatewayNames } else { names = [try Self.gateway(request.gateway)] }
        for name in names {
            guard let h = await core.history(gateway: name) else {
                if !request.gateway.isEmpty { throw RPCError(code: .notFound, message: "no snapshots for Gateway \(name)") }
                continue
            }
            // The kept versions' records carry everything a summary shows: no version's contents are rebuilt.
            r.snapshots += h.versions.map { Self.summary($0, history: h) }
        }
        return r
    }

    public func getSnapshot(request: Tollgate_V1_GetSnapshotRequest, context: ServerContext) async throws -> Tollgate_V1_GetSnapshotResponse {
        let (h, snap) = try await lookup(request.gateway, request.version)
        var r = Tollgate_V1_GetSnapshotResponse()
        if let record = h.versions.first(where: { $0.version == snap.version }) { r.summary = Self.summary(record, history: h) }
        r.files = snap.files.paths.map { path in
            let f = snap.files.files[path]!
            var info = Tollgate_V1_SnapshotFileInfo()
            info.path = path
            info.mode = UInt32(f.mode)
            info.sha256 = f.sha256
            info.size = UInt64(f.contents.count)
            if PathSafety.isPrivateKey(path) { info.redacted = true } else { info.contents = f.contents }
            return info
        }
        return r
    }

    public func diffSnapshots(request: Tollgate_V1_DiffSnapshotsRequest, context: ServerContext) async throws -> Tollgate_V1_DiffSnapshotsResponse {
        let (_, a) = try await lookup(request.gateway, request.fromVersion)
        let (_, b) = try await lookup(request.gateway, request.toVersion)
        var r = Tollgate_V1_DiffSnapshotsResponse()
        r.diff = UnifiedDiff.files(from: a.files, to: b.files, redactKeys: true)
        return r
    }

    /// A Gateway named in a request.
    static func gateway(_ text: String) throws -> GatewayRef {
        guard let ref = GatewayRef(parsing: text) else {
            throw RPCError(code: .invalidArgument, message: "a Gateway is NAMESPACE/NAME, not \(text)")
        }
        return ref
    }

    private func lookup(_ gateway: String, _ version: UInt64) async throws -> (SnapshotHistory, Snapshot) {
        let name: GatewayRef
        if gateway.isEmpty {
            let names = await core.gatewayNames
            guard names.count == 1 else {
                throw RPCError(code: .invalidArgument, message: "several Gateways have snapshots (\(names.map(\.description).joined(separator: ", "))); name one with --gateway NAMESPACE/NAME")
            }
            name = names[0]
        } else {
            name = try Self.gateway(gateway)
        }
        guard let h = await core.history(gateway: name) else { throw RPCError(code: .notFound, message: "no snapshots for Gateway \(name)") }
        guard let s = h.snapshot(version: version) else {
            let have = h.all.map { String($0.version) }.joined(separator: ", ")
            throw RPCError(code: .notFound, message: "Gateway \(name) has no version \(version) (kept: \(have))")
        }
        return (h, s)
    }

    static func summary(_ s: SnapshotHistory.Version, history: SnapshotHistory) -> Tollgate_V1_SnapshotSummary {
        var m = Tollgate_V1_SnapshotSummary()
        m.gateway = history.gateway
        m.version = s.version
        m.digest = s.digest
        m.createdUnixMs = Int64(s.createdAt.timeIntervalSince1970 * 1000)
        m.trigger = s.trigger
        m.inputGenerations = s.inputGenerations
        m.fileCount = UInt32(s.files.count)
        m.agents = history.reports(version: s.version).map { rep in
            var a = Tollgate_V1_AgentReport()
            a.agentID = rep.agentID
            a.outcome = switch rep.outcome {
            case .applied: .applied
            case .rejected: .rejected
            case .dryRunOK: .dryRunOk
            case .dryRunRejected: .dryRunRejected
            }
            a.message = rep.message
            a.dryRun = rep.dryRun
            return a
        }
        return m
    }
}
