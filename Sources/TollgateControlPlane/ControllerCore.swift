import Foundation
import Logging
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx
import TollgateProto
import TollgateSnapshot

/// The controller's state: inputs → graph → rendered files → versioned snapshots per Gateway,
/// connected agents and what they reported. Every change goes through this actor.
public actor ControllerCore {
    let logger: Logger
    let builder: GraphBuilder
    var renderer: GatewayRenderer
    let versionStore: VersionStore?
    let historyStore: HistoryStore?
    let historyCapacity: Int

    private(set) var store = Store()
    private(set) var graph = Graph()
    var histories: [String: SnapshotHistory] = [:]
    var sessions: [Int: AgentSession] = [:]
    var agentStates: [String: GatewayAgentState] = [:]
    private var nextSessionID = 1
    /// Ports an agent could not bind, per Gateway, valid while the Gateway keeps that generation.
    var unavailablePorts: [String: (generation: Int64, ports: [Int: String])] = [:]
    /// Retries of unavailable ports, per Gateway and port.
    var portRetries: [String: [Int: PortRetry]] = [:]
    let portRetryPolicy: PortRetry.Policy
    private var lastChanged: Set<ObjectKey> = []
    private var gatewayWatchers: [AsyncStream<Set<String>>.Continuation] = []

    /// - Parameter historyStore: where snapshot histories persist; they are loaded from it here, so
    ///   versions, diffs and reports survive a restart.
    public init(builder: GraphBuilder = GraphBuilder(), renderer: GatewayRenderer = GatewayRenderer(),
                versionStore: VersionStore? = nil, historyStore: HistoryStore? = nil, historyCapacity: Int = 50,
                portRetryPolicy: PortRetry.Policy = PortRetry.Policy(), logger: Logger = Logger(label: "tollgate.controller")) {
        self.portRetryPolicy = portRetryPolicy
        self.builder = builder
        self.renderer = renderer
        self.versionStore = versionStore
        self.historyStore = historyStore
        self.historyCapacity = historyCapacity
        self.logger = logger
        self.histories = historyStore?.load(capacity: historyCapacity) ?? [:]
    }

    /// Gateways ("ns/name") that are accepted and rendered.
    public var acceptedGateways: Set<String> {
        Set(graph.gateways.values.filter(\.accepted).map { $0.key.namespacedName })
    }

    /// A stream of the accepted Gateway set, starting with the current one.
    public func watchGateways() -> AsyncStream<Set<String>> {
        let (stream, cont) = AsyncStream<Set<String>>.makeStream()
        cont.yield(acceptedGateways)
        gatewayWatchers.append(cont)
        return stream
    }

    /// Applies a new state of the inputs: rebuild, render what changed, publish new versions and
    /// push them to connected agents.
    public func update(store newStore: Store, changed: Set<ObjectKey>, now: Date = Date(), reason: String? = nil) {
        store = newStore
        lastChanged = changed
        // A port stays excluded only while the Gateway keeps the generation it failed with.
        var ports: [ObjectKey: [Int: String]] = [:]
        for (gw, entry) in unavailablePorts {
            let parts = gw.split(separator: "/").map(String.init)
            let key = ObjectKey(kind: .gateway, namespace: parts[0], name: parts[1])
            if newStore.gateways[key]?.generation == entry.generation {
                ports[key] = entry.ports
            } else {
                // A new generation renders every listener again: that is the next try.
                unavailablePorts[gw] = nil
                for r in (portRetries.removeValue(forKey: gw) ?? [:]).values { r.task?.cancel() }
            }
        }
        graph = builder.build(newStore, now: now, unavailablePorts: ports)
        let rendered = renderer.render(graph)
        for (key, refusal) in renderer.lastRefusals.sorted(by: { $0.key < $1.key }) {
            // The graph refuses what NGINX cannot express, so this is a bug; the Gateway keeps its
            // last version rather than receive configuration with an unsafe value in it.
            logger.error("\(key.namespacedName): not rendered, \(refusal); the last version keeps serving")
        }
        for (key, files) in rendered {
            let gw = key.namespacedName
            var history = histories[gw] ?? SnapshotHistory(gateway: gw, capacity: historyCapacity)
            if history.latest == nil, let persisted = versionStore?.version(gateway: gw) {
                // Continue numbering after a restart; an unchanged digest keeps its version.
                history.raiseFloor(to: persisted.digest == files.digest ? persisted.version - 1 : persisted.version)
            }
            let model = graph.gateways[key]!
            let inputs = Dictionary(uniqueKeysWithValues: model.inputs.map { ($0.key.description, $0.value) })
            let trigger = reason ?? Self.trigger(changed, inputs: model.inputs, first: history.latest == nil)
            if let snap = history.publish(files: files, inputs: inputs, trigger: trigger, at: now) {
                logger.info("published \(gw) version \(snap.version) digest \(snap.digest.prefix(12)) (\(snap.trigger))")
                versionStore?.record(gateway: gw, version: snap.version, digest: snap.digest)
                historyStore?.save(history)
            } else if let latest = history.latest, latest.digest == files.digest, agentStates[gw]?.appliedVersion == latest.version {
                // A new generation that renders the same files is served by what is applied.
                agentStates[gw]?.appliedGeneration = model.generation
            }
            histories[gw] = history
        }
        let accepted = acceptedGateways
        for w in gatewayWatchers { w.yield(accepted) }
        for id in sessions.keys { push(session: id) }
    }

    static func trigger(_ changed: Set<ObjectKey>, inputs: [ObjectKey: Int64], first: Bool) -> String {
        if first { return "initial render (\(inputs.count) inputs)" }
        let relevant = changed.filter { inputs[$0] != nil }.sorted()
        if relevant.isEmpty { return "inputs changed (\(changed.count) objects, including removals)" }
        let names = relevant.prefix(3).map(\.description).joined(separator: ", ")
        return relevant.count > 3 ? "\(names) and \(relevant.count - 3) more changed" : "\(names) changed"
    }

    // MARK: Agents

    /// Registers an agent stream after its hello; returns the session id and its outbox. A hello
    /// that fails `HelloValidation` (malformed names, a version above `SnapshotHistory.maxVersion`,
    /// unsafe paths) is refused and changes nothing.
    public func connect(hello: Tollgate_V1_Hello) throws(HelloRefusal) -> (Int, AsyncStream<Tollgate_V1_ControllerMessage>) {
        if case .failure(let refusal) = HelloValidation.check(hello) {
            logger.warning("refused an agent hello: \(refusal)")
            throw refusal
        }
        let (stream, cont) = AsyncStream<Tollgate_V1_ControllerMessage>.makeStream()
        let id = nextSessionID
        nextSessionID += 1
        sessions[id] = AgentSession(id: id, gateway: hello.gateway, agentID: hello.agentID, dryRun: hello.dryRun,
                                    hashes: hello.fileHashes, digest: hello.appliedDigest, appliedVersion: hello.appliedVersion,
                                    outbox: cont)
        logger.info("agent \(hello.agentID) connected for \(hello.gateway) (applied version \(hello.appliedVersion)\(hello.dryRun ? ", dry-run" : ""))")
        // Versions stay monotonic even if this controller lost its state: later versions go above
        // whatever an agent reports.
        var h = histories[hello.gateway] ?? SnapshotHistory(gateway: hello.gateway, capacity: historyCapacity)
        h.raiseFloor(to: hello.appliedVersion)
        histories[hello.gateway] = h
        push(session: id)
        return (id, stream)
    }

    /// An agent's report that its NGINX serves or not; status says so until it serves again.
    public func health(session id: Int, serving: Bool, reason: String) {
        guard let s = sessions[id], !s.dryRun else { return }
        var st = agentStates[s.gateway] ?? GatewayAgentState()
        let next: String? = serving ? nil : String((reason.isEmpty ? "NGINX is not serving" : reason).prefix(1024))
        guard st.notServing != next else { return }
        st.notServing = next
        agentStates[s.gateway] = st
        if let next { logger.warning("agent \(s.agentID): NGINX for \(s.gateway) is not serving: \(next)") }
        else { logger.info("agent \(s.agentID): NGINX for \(s.gateway) serves again") }
    }

    public func disconnect(session id: Int) {
        if let s = sessions.removeValue(forKey: id) {
            // What a gone agent said about its NGINX is no longer known; the next one reports.
            if !sessions.values.contains(where: { $0.gateway == s.gateway }) { agentStates[s.gateway]?.notServing = nil }
            s.outbox.finish()
            logger.info("agent \(s.agentID) for \(s.gateway) disconnected")
        }
    }

    /// Sends the latest version of the session's Gateway when the agent does not hold it.
    func push(session id: Int) {
        guard var s = sessions[id], var history = histories[s.gateway], let latest = history.latest else { return }
        // While a version is being applied, the agent will hold *that* version's files next, not
        // the ones it reported: compare with those, or an A→B→A edit during an apply would leave
        // B serving while A is recorded as applied.
        let inFlight = s.inFlightVersion != nil
        if let v = s.inFlightVersion {
            if history.snapshot(version: v)?.digest == latest.digest { return }
        } else if s.digest == latest.digest {
            // The agent already serves exactly this: nothing is sent, nothing reloads.
            if s.lastSentVersion != latest.version && !s.dryRun {
                s.lastSentVersion = latest.version
                s.appliedVersion = latest.version
                sessions[id] = s
                history.record(agentID: s.agentID, version: latest.version, outcome: .applied, message: "already serving this digest", dryRun: false)
                histories[s.gateway] = history
                historyStore?.save(history, collect: false)
                noteApplied(gateway: s.gateway, snapshot: latest)
            }
            return
        }
        guard s.lastSentVersion != latest.version, !history.isRejected(version: latest.version) else { return }
        var delta = Delta.compute(target: latest.files, agentHashes: s.hashes)
        // While an earlier version is still being applied the agent's base is uncertain: send the
        // whole set. Otherwise a delta against the files the agent reported.
        var full = s.hashes.isEmpty || inFlight
        if full || (delta.upserts.isEmpty && delta.removals.isEmpty) {
            // Digests differ but no content does (a mode change): send the whole set.
            delta = (latest.files.paths, [])
            full = true
        }
        var msg = Tollgate_V1_Snapshot()
        msg.gateway = s.gateway
        msg.version = latest.version
        msg.digest = latest.digest
        msg.full = full
        msg.baseVersion = s.appliedVersion
        msg.trigger = latest.trigger
        msg.upserts = delta.upserts.map { path in
            let f = latest.files.files[path]!
            var u = Tollgate_V1_FileUpsert()
            u.path = path
            u.contents = f.contents
            u.mode = UInt32(f.mode)
            u.sha256 = f.sha256
            return u
        }
        msg.removals = delta.removals
        s.lastSentVersion = latest.version
        s.inFlightVersion = latest.version
        sessions[id] = s
        for part in SnapshotParts.split(msg) {
            var out = Tollgate_V1_ControllerMessage()
            out.snapshot = part
            s.outbox.yield(out)
        }
        logger.info("sent \(s.gateway) version \(latest.version) to \(s.agentID): \(delta.upserts.count) upserts, \(delta.removals.count) removals")
    }

    /// Records an agent's result for a version.
    public func result(session id: Int, _ r: Tollgate_V1_ApplyResult) {
        guard var s = sessions[id], var history = histories[s.gateway] else { return }
        let outcome: AgentReport.Outcome
        switch r.outcome {
        case .applied: outcome = .applied
        case .rejected: outcome = .rejected
        case .dryRunOk: outcome = .dryRunOK
        case .dryRunRejected: outcome = .dryRunRejected
        default: return
        }
        let message = r.outcome == .dryRunOk || r.outcome == .dryRunRejected ? (r.message.isEmpty ? r.diff : r.message + "\n" + r.diff) : r.message
        history.record(agentID: s.agentID, version: r.version, outcome: outcome, message: message, dryRun: s.dryRun)
        histories[s.gateway] = history
        historyStore?.save(history, collect: false)
        if let v = s.inFlightVersion, r.version >= v {
            s.inFlightVersion = nil
            sessions[id] = s
        }
        logger.info("agent \(s.agentID) \(outcome.rawValue) \(s.gateway) version \(r.version)\(r.message.isEmpty ? "" : ": " + r.message)")
        guard let snap = history.snapshot(version: r.version) else { return }
        if r.outcome == .applied {
            s.hashes = snap.files.fileHashes
            s.digest = snap.digest
            s.appliedVersion = r.version
            sessions[id] = s
            noteApplied(gateway: s.gateway, snapshot: snap)
            if let retries = portRetries[s.gateway], snap.version == history.latest?.version {
                // Ports no longer excluded were bound by this version: their backoff starts over.
                let excluded = unavailablePorts[s.gateway]?.ports ?? [:]
                portRetries[s.gateway] = retries.filter { excluded[$0.key] != nil }
            }
            // A newer version may have been published while this one was applying.
            push(session: id)
        } else if r.outcome == .rejected {
            var st = agentStates[s.gateway] ?? GatewayAgentState()
            st.rejectedVersion = r.version
            st.rejectedGeneration = snap.inputGenerations[Self.gatewayInputKey(s.gateway)]
            st.rejection = r.message
            agentStates[s.gateway] = st
            // A port NGINX could not bind: stop serving that listener (its status says why) and
            // publish the rest of the Gateway again.
            if let port = r.unbindablePorts.lazy.map(Int.init).first(where: { (1...65535).contains($0) }), let generation = st.rejectedGeneration {
                var entry = unavailablePorts[s.gateway] ?? (generation, [:])
                if entry.generation != generation { entry = (generation, [:]) }
                if entry.ports[port] == nil {
                    let retry = schedulePortRetry(gateway: s.gateway, port: port, generation: generation)
                    entry.ports[port] = "\(r.message); next try in \(retry.delayDescription) (at \(retry.nextTryDescription))"
                    unavailablePorts[s.gateway] = entry
                    logger.warning("\(s.gateway): port \(port) is unavailable; serving the Gateway without its listeners on that port, next try in \(retry.delayDescription)")
                    update(store: store, changed: lastChanged, reason: "port \(port) unavailable: listeners on it are not served")
                }
            }
        }
    }

    /// Schedules the next try of an unavailable port with exponential backoff.
    func schedulePortRetry(gateway: String, port: Int, generation: Int64) -> PortRetry {
        let attempts = (portRetries[gateway]?[port]?.attempts ?? 0) + 1
        let delay = portRetryPolicy.delay(afterAttempts: attempts)
        var retry = PortRetry(attempts: attempts, delay: delay, nextTry: Date().addingTimeInterval(PortRetry.seconds(delay)))
        portRetries[gateway]?[port]?.task?.cancel()
        retry.task = Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self?.retryPort(gateway: gateway, port: port, generation: generation)
        }
        portRetries[gateway, default: [:]][port] = retry
        return retry
    }

    /// Renders the port's listeners again; if NGINX still cannot bind it, the agent's rejection
    /// schedules the next try with a longer delay.
    func retryPort(gateway: String, port: Int, generation: Int64) {
        guard var entry = unavailablePorts[gateway], entry.generation == generation, entry.ports[port] != nil else { return }
        entry.ports[port] = nil
        unavailablePorts[gateway] = entry.ports.isEmpty ? nil : entry
        let n = portRetries[gateway]?[port]?.attempts ?? 1
        logger.info("\(gateway): trying port \(port) again (retry \(n))")
        update(store: store, changed: lastChanged, reason: "retrying port \(port) (retry \(n))")
    }

    func noteApplied(gateway: String, snapshot: Snapshot) {
        var st = agentStates[gateway] ?? GatewayAgentState()
        if (st.appliedVersion ?? 0) <= snapshot.version {
            st.appliedVersion = snapshot.version
            st.appliedGeneration = snapshot.inputGenerations[Self.gatewayInputKey(gateway)]
        }
        agentStates[gateway] = st
    }

    static func gatewayInputKey(_ gateway: String) -> String { "Gateway \(gateway)" }

    /// Stops every agent stream (controller shutdown).
    public func shutdown() {
        for s in sessions.values { s.outbox.finish() }
        sessions = [:]
        for w in gatewayWatchers { w.finish() }
        gatewayWatchers = []
    }

    // MARK: Inspection

    public func history(gateway: String) -> SnapshotHistory? { histories[gateway] }
    public var gatewayNames: [String] { histories.keys.sorted() }
    public var currentStore: Store { store }
}
