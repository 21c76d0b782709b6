import Foundation
import Logging
import TollgateGraph
import TollgateModel
import TollgateNginx
import TollgateSnapshot

/// The controller's state, one actor every change goes through: the `Reconciler` (inputs →
/// graph → versions), the connected agents' sessions and what they reported, and the ports an
/// agent could not bind. Status is composed from these (`StatusComposer`). Speaks domain types
/// only; `AgentService` converts the protocol's messages (`AgentWire`).
public actor ControllerCore {
    let logger: Logger
    /// Reconciles and agents' results, when the owner collects metrics.
    let metrics: ControllerMetrics?
    var reconciler: Reconciler
    var sessions: [Int: AgentSession] = [:]
    /// Sessions whose agent said in its hello that it rebuilds spliced upserts.
    var spliceSessions: Set<Int> = []
    var agentStates: [GatewayRef: GatewayAgentState] = [:]
    private var nextSessionID = 1
    /// Ports an agent could not bind, per Gateway, valid while the Gateway keeps that generation.
    var unavailablePorts: [GatewayRef: (generation: Int64, ports: [Int: String])] = [:]
    /// Retries of unavailable ports, per Gateway and port.
    var portRetries: [GatewayRef: [Int: PortRetry]] = [:]
    let portRetryPolicy: PortRetry.Policy
    private var lastChanged: Set<ObjectKey> = []
    private var gatewayWatchers: [AsyncStream<Set<GatewayRef>>.Continuation] = []
    private var statusWatchers: [AsyncStream<Void>.Continuation] = []

    /// - Parameter historyStore: where snapshot histories persist; they are loaded from it here, so
    ///   versions, diffs and reports survive a restart.
    /// - Parameter metrics: where reconciles and agents' results are counted; nil: nowhere.
    public init(builder: GraphBuilder = GraphBuilder(), renderer: GatewayRenderer = GatewayRenderer(),
                versionStore: VersionStore? = nil, historyStore: HistoryStore? = nil, historyCapacity: Int = 50,
                portRetryPolicy: PortRetry.Policy = PortRetry.Policy(), metrics: ControllerMetrics? = nil,
                logger: Logger = Logger(label: "tollgate.controller")) {
        self.portRetryPolicy = portRetryPolicy
        self.metrics = metrics
        self.logger = logger
        self.reconciler = Reconciler(builder: builder, renderer: renderer, versionStore: versionStore, historyStore: historyStore,
                                     historyCapacity: historyCapacity, logger: logger)
    }

    /// Gateways that are accepted and rendered.
    public var acceptedGateways: Set<GatewayRef> { reconciler.acceptedGateways }

    /// A stream of the accepted Gateway set, starting with the current one.
    public func watchGateways() -> AsyncStream<Set<GatewayRef>> {
        let (stream, cont) = AsyncStream<Set<GatewayRef>>.makeStream()
        cont.yield(acceptedGateways)
        gatewayWatchers.append(cont)
        return stream
    }

    /// Applies a new state of the inputs: rebuild, render what changed, publish new versions and
    /// push them to connected agents.
    public func update(store newStore: Store, changed: Set<ObjectKey>, now: Date = Date(), reason: String? = nil) {
        lastChanged = changed
        // A port stays excluded only while the Gateway keeps the generation it failed with.
        var ports: [ObjectKey: [Int: String]] = [:]
        for (gw, entry) in unavailablePorts {
            if newStore.gateways[gw.key]?.generation == entry.generation {
                ports[gw.key] = entry.ports
            } else {
                // A new generation renders every listener again: that is the next try.
                unavailablePorts[gw] = nil
                for r in (portRetries.removeValue(forKey: gw) ?? [:]).values { r.task?.cancel() }
            }
        }
        let started = ContinuousClock.now
        let rendered = reconciler.reconcile(store: newStore, changed: changed, unavailablePorts: ports, now: now, reason: reason)
        metrics?.reconciled(in: ContinuousClock.now - started)
        for (gw, r) in rendered where !r.isNew && agentStates[gw]?.appliedVersion == r.latest.version {
            // A new generation that renders the same files is served by what is applied.
            agentStates[gw]?.appliedGeneration = r.generation
        }
        let accepted = acceptedGateways
        for w in gatewayWatchers { w.yield(accepted) }
        for id in sessions.keys { push(session: id) }
        // New versions are on their way to the agents (their streams send on other threads);
        // now the histories are written to the state directory.
        reconciler.saveUnsaved()
        statusMayHaveChanged()
    }

    /// A signal each time the status may have changed (inputs, agent results, health,
    /// disconnects); coalesced, so a slow reader sees one pending signal, not a backlog.
    public func statusChanges() -> AsyncStream<Void> {
        let (stream, cont) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        cont.yield()
        statusWatchers.append(cont)
        return stream
    }

    func statusMayHaveChanged() {
        for w in statusWatchers { w.yield() }
    }

    // MARK: Agents

    /// Registers an agent stream after its (validated) hello; returns the session id and the
    /// deliveries to send it.
    public func connect(hello: AgentHello) -> (Int, AsyncStream<SnapshotDelivery>) {
        let (stream, cont) = AsyncStream<SnapshotDelivery>.makeStream()
        let id = nextSessionID
        nextSessionID += 1
        sessions[id] = AgentSession(id: id, hello: hello, outbox: cont)
        if hello.acceptsSplices { spliceSessions.insert(id) }
        logger.info("agent \(hello.agentID) connected for \(hello.gateway) (applied version \(hello.appliedVersion)\(hello.dryRun ? ", dry-run" : ""))")
        reconciler.raiseFloor(gateway: hello.gateway, to: hello.appliedVersion)
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
        statusMayHaveChanged()
    }

    public func disconnect(session id: Int) {
        spliceSessions.remove(id)
        if let s = sessions.removeValue(forKey: id) {
            // What a gone agent said about its NGINX is no longer known; the next one reports.
            if !sessions.values.contains(where: { $0.gateway == s.gateway }) { agentStates[s.gateway]?.notServing = nil }
            s.outbox.finish()
            logger.info("agent \(s.agentID) for \(s.gateway) disconnected")
            statusMayHaveChanged()
        }
    }

    /// Sends the latest version of the session's Gateway when the agent does not hold it.
    func push(session id: Int) {
        guard var s = sessions[id], let history = reconciler.histories[s.gateway], let latest = history.latest else { return }
        // While a version is being applied, the agent will hold *that* version's files next, not
        // the ones it reported: compare with those, or an A→B→A edit during an apply would leave
        // B serving while A is recorded as applied.
        switch s.state {
        case .applying(let v):
            if history.snapshot(version: v)?.digest == latest.digest { return }
        case .idle:
            guard s.digest != latest.digest else {
                // The agent already serves exactly this: nothing is sent, nothing reloads.
                if s.lastSentVersion != latest.version && !s.dryRun {
                    s.lastSentVersion = latest.version
                    s.appliedVersion = latest.version
                    sessions[id] = s
                    reconciler.record(gateway: s.gateway, agentID: s.agentID, version: latest.version, outcome: .applied,
                                      message: "already serving this digest", dryRun: false)
                    noteApplied(gateway: s.gateway, snapshot: latest)
                }
                return
            }
        }
        guard s.lastSentVersion != latest.version, !history.isRejected(version: latest.version) else { return }
        // The history keeps every version's per-file sha256: nothing is hashed per push.
        let targetHashes = history.fileHashes(version: latest.version) ?? latest.files.fileHashes
        var delta = Delta.compute(targetHashes: targetHashes, agentHashes: s.hashes)
        // While an earlier version is still being applied the agent's base is uncertain: send the
        // whole set. Otherwise a delta against the files the agent reported.
        var full = s.hashes.isEmpty || s.inFlightVersion != nil
        if full || (delta.upserts.isEmpty && delta.removals.isEmpty) {
            // Digests differ but no content does (a mode change): send the whole set.
            delta = (latest.files.paths, [])
            full = true
        }
        var delivery = SnapshotDelivery(
            gateway: s.gateway, version: latest.version, digest: latest.digest, full: full, baseVersion: s.appliedVersion,
            trigger: latest.trigger, upserts: delta.upserts.map { ($0, latest.files.files[$0]!) }, removals: delta.removals)
        delivery.hashes = targetHashes
        if !full && spliceSessions.contains(id) {
            delivery.splices = Self.splices(upserts: delta.upserts, of: latest.files, agentHashes: s.hashes, history: history)
        }
        s.lastSentVersion = latest.version
        s.state = .applying(version: latest.version)
        sessions[id] = s
        s.outbox.yield(delivery)
        logger.info("sent \(s.gateway) version \(latest.version) to \(s.agentID): \(delta.upserts.count) upserts (\(delivery.splices.count) spliced), \(delta.removals.count) removals")
    }

    /// The upserts worth sending as a splice of the file the agent holds at the same path: those
    /// whose base content the history still has (by the sha256 the agent reported) and for which
    /// the middle is well under half the file (`Splice.plan`).
    static func splices(upserts: [String], of files: FileSet, agentHashes: [String: String],
                        history: SnapshotHistory) -> [String: Splice] {
        var out: [String: Splice] = [:]
        for path in upserts {
            guard let target = files.files[path], target.contents.count >= Splice.minimumFileBytes,
                  let baseHash = agentHashes[path], let base = history.contents(sha256: baseHash),
                  let splice = Splice.plan(base: base, baseSHA256: baseHash, target: target.contents) else { continue }
            out[path] = splice
        }
        return out
    }

    /// Records an agent's result for a version.
    public func result(session id: Int, _ r: ApplyReport) {
        guard var s = sessions[id], reconciler.histories[s.gateway] != nil else { return }
        reconciler.record(gateway: s.gateway, agentID: s.agentID, version: r.version, outcome: r.outcome, message: r.message, dryRun: s.dryRun)
        metrics?.applyResult(gateway: s.gateway, outcome: r.outcome)
        if let v = s.inFlightVersion, r.version >= v {
            s.state = .idle
            sessions[id] = s
        }
        logger.info("agent \(s.agentID) \(r.outcome.rawValue) \(s.gateway) version \(r.version)\(r.message.isEmpty ? "" : ": " + r.message)")
        guard let history = reconciler.histories[s.gateway], let snap = history.snapshot(version: r.version) else { return }
        if r.outcome == .applied {
            s.hashes = history.fileHashes(version: r.version) ?? snap.files.fileHashes
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
            statusMayHaveChanged()
            // A port NGINX could not bind: stop serving that listener (its status says why) and
            // publish the rest of the Gateway again.
            if let port = r.unbindablePorts.first, let generation = st.rejectedGeneration {
                excludePort(port, gateway: s.gateway, generation: generation, message: r.message)
            }
        }
    }

    /// Stops serving a port's listeners until its retry (or a new generation) and renders again.
    func excludePort(_ port: Int, gateway: GatewayRef, generation: Int64, message: String) {
        var entry = unavailablePorts[gateway] ?? (generation, [:])
        if entry.generation != generation { entry = (generation, [:]) }
        guard entry.ports[port] == nil else { return }
        let retry = schedulePortRetry(gateway: gateway, port: port, generation: generation)
        entry.ports[port] = "\(message); next try in \(retry.delayDescription) (at \(retry.nextTryDescription))"
        unavailablePorts[gateway] = entry
        logger.warning("\(gateway): port \(port) is unavailable; serving the Gateway without its listeners on that port, next try in \(retry.delayDescription)")
        update(store: reconciler.store, changed: lastChanged, reason: "port \(port) unavailable: listeners on it are not served")
    }

    /// Schedules the next try of an unavailable port with exponential backoff.
    func schedulePortRetry(gateway: GatewayRef, port: Int, generation: Int64) -> PortRetry {
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
    func retryPort(gateway: GatewayRef, port: Int, generation: Int64) {
        guard var entry = unavailablePorts[gateway], entry.generation == generation, entry.ports[port] != nil else { return }
        entry.ports[port] = nil
        unavailablePorts[gateway] = entry.ports.isEmpty ? nil : entry
        let n = portRetries[gateway]?[port]?.attempts ?? 1
        logger.info("\(gateway): trying port \(port) again (retry \(n))")
        update(store: reconciler.store, changed: lastChanged, reason: "retrying port \(port) (retry \(n))")
    }

    func noteApplied(gateway: GatewayRef, snapshot: Snapshot) {
        var st = agentStates[gateway] ?? GatewayAgentState()
        if (st.appliedVersion ?? 0) <= snapshot.version {
            st.appliedVersion = snapshot.version
            st.appliedGeneration = snapshot.inputGenerations[Self.gatewayInputKey(gateway)]
        }
        agentStates[gateway] = st
        statusMayHaveChanged()
    }

    /// The key of a Gateway in a snapshot's input generations.
    static func gatewayInputKey(_ gateway: GatewayRef) -> String { gateway.key.description }

    /// Stops every agent stream (controller shutdown).
    public func shutdown() {
        for s in sessions.values { s.outbox.finish() }
        sessions = [:]
        for w in gatewayWatchers { w.finish() }
        gatewayWatchers = []
        for w in statusWatchers { w.finish() }
        statusWatchers = []
    }

    // MARK: Inspection

    public func history(gateway: GatewayRef) -> SnapshotHistory? { reconciler.histories[gateway] }
    public var gatewayNames: [GatewayRef] { reconciler.histories.keys.sorted() }
    public var currentStore: Store { reconciler.store }
}

extension ControllerCore {
    /// Logs a refused hello (the stream ends with the refusal; nothing else changes).
    public func refused(hello refusal: HelloRefusal) {
        logger.warning("refused an agent hello: \(refusal)")
    }
}
