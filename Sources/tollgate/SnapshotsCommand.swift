import ArgumentParser
import Foundation
import TollgateProto

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "Inspect the versions the controller published.",
        subcommands: [List.self, Show.self, Diff.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each version per Gateway: digest, time, trigger, and which agents applied or rejected it.")
        @Option(help: "Only this Gateway, NAMESPACE/NAME.") var gateway: String?
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let gw = gateway ?? ""
            let snaps = try await admin.withAdmin { client in
                var req = Tollgate_V1_ListSnapshotsRequest()
                req.gateway = gw
                return try await client.listSnapshots(req).snapshots
            }
            print(SnapshotFormat.table(snaps), terminator: "")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One version: its files (private keys redacted), inputs and agent reports.")
        @Argument(help: "Version number.") var version: UInt64
        @Option(help: "Gateway, NAMESPACE/NAME (needed when several have snapshots).") var gateway: String?
        @Flag(help: "Print file contents too.") var contents = false
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (gw, v) = (gateway ?? "", version)
            let r = try await admin.withAdmin { client in
                var req = Tollgate_V1_GetSnapshotRequest()
                req.gateway = gw
                req.version = v
                return try await client.getSnapshot(req)
            }
            print(SnapshotFormat.detail(r, contents: contents), terminator: "")
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unified diff between two versions (private keys never shown).")
        @Argument(help: "From version.") var from: UInt64
        @Argument(help: "To version.") var to: UInt64
        @Option(help: "Gateway, NAMESPACE/NAME (needed when several have snapshots).") var gateway: String?
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (gw, a, b) = (gateway ?? "", from, to)
            let diff = try await admin.withAdmin { client in
                var req = Tollgate_V1_DiffSnapshotsRequest()
                req.gateway = gw
                req.fromVersion = a
                req.toVersion = b
                return try await client.diffSnapshots(req).diff
            }
            print(diff.isEmpty ? "(no differences)" : diff, terminator: diff.hasSuffix("\n") ? "" : "\n")
        }
    }
}

enum SnapshotFormat {
    static func time(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static func outcome(_ o: Tollgate_V1_ApplyResult.Outcome) -> String {
        switch o {
        case .applied: return "applied"
        case .rejected: return "rejected"
        case .dryRunOk: return "dry-run ok"
        case .dryRunRejected: return "dry-run rejected"
        default: return "?"
        }
    }

    static func agents(_ s: Tollgate_V1_SnapshotSummary) -> String {
        if s.agents.isEmpty { return "-" }
        return s.agents.map { a in
            var t = "\(a.agentID): \(outcome(a.outcome))"
            if a.outcome == .rejected, let line = a.message.split(separator: "\n").first { t += " (\(line))" }
            return t
        }.joined(separator: "; ")
    }

    static func table(_ snaps: [Tollgate_V1_SnapshotSummary]) -> String {
        var rows = [["GATEWAY", "VERSION", "DIGEST", "CREATED", "TRIGGER", "AGENTS"]]
        for s in snaps {
            rows.append([s.gateway, String(s.version), String(s.digest.prefix(12)), time(s.createdUnixMs), s.trigger, agents(s)])
        }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in (0..<5).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + r[5] }
            .joined(separator: "\n") + "\n"
    }

    static func detail(_ r: Tollgate_V1_GetSnapshotResponse, contents: Bool) -> String {
        let s = r.summary
        var out = "Gateway:  \(s.gateway)\nVersion:  \(s.version)\nDigest:   \(s.digest)\nCreated:  \(time(s.createdUnixMs))\nTrigger:  \(s.trigger)\nAgents:   \(agents(s))\n"
        for a in s.agents where !a.message.isEmpty { out += "  \(a.agentID): \(a.message)\n" }
        out += "Inputs:\n"
        for k in s.inputGenerations.keys.sorted() { out += "  \(k) (generation \(s.inputGenerations[k]!))\n" }
        out += "Files:\n"
        for f in r.files {
            out += "  \(String(f.mode, radix: 8)) \(String(f.sha256.prefix(12))) \(String(format: "%7d", f.size)) \(f.path)\(f.redacted ? " (private key, redacted)" : "")\n"
        }
        if contents {
            for f in r.files where !f.redacted {
                out += "\n==> \(f.path) <==\n" + String(decoding: f.contents, as: UTF8.self)
            }
        }
        return out
    }
}
