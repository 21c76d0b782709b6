import Foundation
import TollgateGraph
import TollgateManifests
import TollgateModel

/// Loads a manifest directory and builds the graph, reporting problems on stderr.
struct OfflinePipeline {
    var load: DirectoryLoader.Result
    var graph: Graph

    /// Throws `ExitCode(2)` when the input cannot be read at all.
    static func run(manifests: [String], now: Date) throws -> OfflinePipeline {
        let load: DirectoryLoader.Result
        do { load = try DirectoryLoader().load(roots: manifests) } catch {
            Stderr.print("error: \(error)")
            throw ExitCodeError.unreadable
        }
        for w in load.warnings { Stderr.print("warning: \(w)") }
        for e in load.errors { Stderr.print("error: \(e)") }
        for f in load.unreadable { Stderr.print("error: \(f): cannot read file") }
        if !load.unreadable.isEmpty { throw ExitCodeError.unreadable }
        return OfflinePipeline(load: load, graph: GraphBuilder().build(load.store, now: now))
    }

    /// Status documents for every object that has status, in key order.
    var documents: [StatusDocument] { graph.statusDocuments(store: load.store) }
}

enum ExitCodeError: Error { case unreadable }

enum Stderr {
    static func print(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

/// Parses `--now` (RFC 3339) or returns the current time.
func parseNow(_ s: String?) throws -> Date {
    guard let s else { return Date() }
    let f = ISO8601DateFormatter()
    guard let d = f.date(from: s) else { throw ValidationErrorMessage("--now must be an RFC 3339 time such as 2026-01-01T00:00:00Z") }
    return d
}

struct ValidationErrorMessage: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
