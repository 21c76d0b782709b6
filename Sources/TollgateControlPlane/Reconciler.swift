import Foundation
import Logging
import TollgateGraph
import TollgateModel
import TollgateNginx
import TollgateSnapshot

/// Inputs → graph → rendered files → versioned snapshots per Gateway. Knows nothing of agents or
/// status; the core feeds it stores and reads what it published.
struct Reconciler: Sendable {
    /// Resolves again only the routes that changed when nothing else did.
    var builder: IncrementalGraphBuilder
    var renderer: GatewayRenderer
    let versionStore: VersionStore?
    let historyStore: HistoryStore?
    let historyCapacity: Int
    let logger: Logger

    private(set) var store = Store()
    private(set) var graph = Graph()
    var histories: [GatewayRef: SnapshotHistory]
    /// Gateways whose history gained a version that is not on disk yet (`saveUnsaved`).
    private(set) var unsaved: [GatewayRef] = []

    /// What one reconcile rendered for a Gateway.
    struct Rendered: Sendable {
        /// The newest version (new or not).
        var latest: Snapshot
        /// true when this reconcile published `latest`.
        var isNew: Bool
        /// The Gateway's generation the files were built from.
        var generation: Int64
    }

    init(builder: GraphBuilder, renderer: GatewayRenderer, versionStore: VersionStore?, historyStore: HistoryStore?,
         historyCapacity: Int, logger: Logger) {
        self.builder = IncrementalGraphBuilder(builder: builder)
        self.renderer = renderer
        self.versionStore = versionStore
        self.historyStore = historyStore
        self.historyCapacity = historyCapacity
        self.logger = logger
        var loaded: [GatewayRef: SnapshotHistory] = [:]
        for (name, history) in historyStore?.load(capacity: historyCapacity) ?? [:] {
            if let ref = GatewayRef(parsing: name) { loaded[ref] = history }
        }
        histories = loaded
    }

    /// Gateways that are accepted and rendered.
    var acceptedGateways: Set<GatewayRef> {
        Set(graph.gateways.values.filter(\.accepted).map { GatewayRef($0.key) })
    }

    /// Builds the graph of `newStore`, renders what changed and publishes a version for every
    /// Gateway whose files differ from its latest.
    mutating func reconcile(store newStore: Store, changed: Set<ObjectKey>, unavailablePorts: [ObjectKey: [Int: String]],
                            now: Date, reason: String?) -> [GatewayRef: Rendered] {
        store = newStore
        graph = builder.build(newStore, now: now, unavailablePorts: unavailablePorts)
        let rendered = renderer.render(graph)
        for (key, refusal) in renderer.lastRefusals.sorted(by: { $0.key < $1.key }) {
            // The graph refuses what NGINX cannot express, so this is a bug; the Gateway keeps its
            // last version rather than receive configuration with an unsafe value in it.
            logger.error("\(key.namespacedName): not rendered, \(refusal); the last version keeps serving")
        }
        var out: [GatewayRef: Rendered] = [:]
        for (key, files) in rendered {
            let gw = GatewayRef(key)
            var history = histories[gw] ?? SnapshotHistory(gateway: gw.description, capacity: historyCapacity)
            if history.latest == nil, let persisted = versionStore?.version(gateway: gw.description) {
                // Continue numbering after a restart; an unchanged digest keeps its version.
                history.raiseFloor(to: persisted.digest == files.digest ? persisted.version - 1 : persisted.version)
            }
            let model = graph.gateways[key]!
            var published: Snapshot?
            // Unchanged files publish nothing: the inputs and trigger of a version are built only for a new one.
            if history.latest?.files != files {
                let inputs = Dictionary(uniqueKeysWithValues: model.inputs.map { ($0.key.description, $0.value) })
                let trigger = reason ?? Self.trigger(changed, inputs: model.inputs, first: history.latest == nil)
                published = history.publish(files: files, inputs: inputs, trigger: trigger, at: now)
            }
            if let snap = published {
                logger.info("published \(gw) version \(snap.version) digest \(snap.digest.prefix(12)) (\(snap.trigger))")
                // The version number is durable at once (numbering survives a crash); the history with
                // its files is saved by `saveUnsaved`, after the core has handed the version to agents.
                versionStore?.record(gateway: gw.description, version: snap.version, digest: snap.digest)
                unsaved.append(gw)
            }
            histories[gw] = history
            if let latest = history.latest {
                out[gw] = Rendered(latest: latest, isNew: published != nil, generation: model.generation)
            }
        }
        return out
    }

    /// Persists the histories that gained a version in the last reconciles. The core calls it
    /// after pushing, so writing hundreds of new file contents does not delay the agents.
    mutating func saveUnsaved() {
        let gateways = unsaved
        unsaved = []
        for gw in gateways {
            if let history = histories[gw] { historyStore?.save(history) }
        }
    }

    /// Records an agent's report in the Gateway's history (persisted).
    mutating func record(gateway: GatewayRef, agentID: String, version: UInt64, outcome: AgentReport.Outcome,
                         message: String, dryRun: Bool) {
        guard var history = histories[gateway] else { return }
        history.record(agentID: agentID, version: version, outcome: outcome, message: message, dryRun: dryRun)
        histories[gateway] = history
        historyStore?.save(history, collect: false)
    }

    /// Versions stay monotonic even if the controller lost its state: later versions go above
    /// whatever an agent reports holding.
    mutating func raiseFloor(gateway: GatewayRef, to version: UInt64) {
        var h = histories[gateway] ?? SnapshotHistory(gateway: gateway.description, capacity: historyCapacity)
        h.raiseFloor(to: version)
        histories[gateway] = h
    }

    static func trigger(_ changed: Set<ObjectKey>, inputs: [ObjectKey: Int64], first: Bool) -> String {
        if first { return "initial render (\(inputs.count) inputs)" }
        let relevant = changed.filter { inputs[$0] != nil }.sorted()
        if relevant.isEmpty { return "inputs changed (\(changed.count) objects, including removals)" }
        let names = relevant.prefix(3).map(\.description).joined(separator: ", ")
        return relevant.count > 3 ? "\(names) and \(relevant.count - 3) more changed" : "\(names) changed"
    }
}
