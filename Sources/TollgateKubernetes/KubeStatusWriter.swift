import Foundation
import Logging
import TollgateKube
import TollgateModel

/// Writes the status Tollgate computes to the API server's `/status` subresources: only where
/// the merged status differs from what the server holds (as last watched), with the object's
/// resourceVersion, and on a conflict again from a fresh read (bounded retries). Objects that no
/// longer concern Tollgate lose Tollgate's route parent / policy ancestor entries. Only the leader
/// calls `write`.
public actor KubeStatusWriter {
    let client: KubeClient
    let kinds: KubernetesKinds
    let assembler: KubeStoreAssembler
    let controllerName: String
    let supportedFeatures: [String]
    let logger: Logger
    /// Status writes that changed something, by kind (for metrics and tests).
    public private(set) var writes: [ObjectKind: Int] = [:]
    public private(set) var failures = 0
    /// Objects whose entries Tollgate wrote, so it can take them back when they no longer apply.
    private var ownedEntries: Set<ObjectKey> = []
    private var lastEntryScan: Date?
    /// Per object, the document last found equal to (or written to) the server's status, and the
    /// object's resourceVersion then: while both stay the same, the object is not looked at again.
    private var settled: [ObjectKey: Settled] = [:]
    struct Settled {
        var document: StatusDocument
        var resourceVersion: String?
        var grace: Bool
    }
    /// Until then, a Gateway Programmed=True on the server for its current generation stays so
    /// while no agent has reported to this process (see `StatusMerge.merge`).
    private let reconnectGraceEnd: Date

    public init(client: KubeClient, kinds: KubernetesKinds, assembler: KubeStoreAssembler,
                controllerName: String = Tollgate.controllerName, supportedFeatures: [String] = SupportedFeatures.names,
                reconnectGrace: Duration = .seconds(20), logger: Logger = Logger(label: "tollgate.status")) {
        reconnectGraceEnd = Date().addingTimeInterval(Double(reconnectGrace.components.seconds))
        self.client = client
        self.kinds = kinds
        self.assembler = assembler
        self.controllerName = controllerName
        self.supportedFeatures = supportedFeatures
        self.logger = logger
    }

    /// Writes every document whose merged status differs from the object's current status, and
    /// removes Tollgate's entries from routes and policies that have no document any more.
    public func write(_ documents: [StatusDocument], now: Date = Date()) async {
        let before = writes
        defer { logWrites(since: before) }
        let stamp = StatusMerge.timestamp(now)
        let grace = now < reconnectGraceEnd
        var seen = Set<ObjectKey>()
        if lastEntryScan.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            // Entries an earlier process (or leader) wrote on routes that no longer concern Tollgate.
            ownedEntries.formUnion(await assembler.keysWithEntries(of: controllerName))
            lastEntryScan = now
        }
        for doc in documents {
            guard let kind = ObjectKind(rawValue: doc.kind) else { continue }
            let key = ObjectKey(kind: kind, namespace: doc.metadata.namespace ?? "", name: doc.metadata.name)
            seen.insert(key)
            if kind == .httpRoute || kind == .backendTLSPolicy { ownedEntries.insert(key) }
            // Same document against the same object as last time: nothing can differ.
            let seenVersion = await assembler.object(key)?.resourceVersion
            if let last = settled[key], last.document == doc, last.resourceVersion == seenVersion, last.grace == grace { continue }
            let ok = await write(key) { current in
                try StatusMerge.merge(current: current, ours: doc, controllerName: self.controllerName,
                                      supportedFeatures: self.supportedFeatures, now: stamp, keepServedProgrammed: grace)
            }
            settled[key] = ok ? Settled(document: doc, resourceVersion: await assembler.object(key)?.resourceVersion, grace: grace) : nil
        }
        for key in settled.keys where !seen.contains(key) { settled[key] = nil }
        for key in ownedEntries.subtracting(seen) {
            let listKey = key.kind == .httpRoute ? "parents" : "ancestors"
            await write(key) { current in
                StatusMerge.withoutOurEntries(current: current, listKey: listKey, controllerName: self.controllerName) ?? current ?? .object([:])
            }
            ownedEntries.remove(key)
        }
    }

    /// One object: merge against the watched copy and PUT when it differs; on a conflict (the
    /// watched copy was stale) read, merge and PUT again.
    @discardableResult
    private func write(_ key: ObjectKey, _ merge: @escaping @Sendable (JSONValue?) throws -> JSONValue) async -> Bool {
        guard let resource = kinds.resources[key.kind] else { return false }
        let namespace: String? = key.kind.isNamespaced ? key.namespace : nil
        do {
            if let cached = await assembler.object(key) {
                let value = try JSONValue.parse(cached.json)
                let status = try merge(value["status"])
                if value["status"] == status { return true }
                var body = value
                body["status"] = status
                do {
                    let written = try await client.replaceStatus(resource, namespace: namespace, name: key.name, json: body.serialized())
                    await assembler.noteWritten(written, key: key)
                    count(key)
                    return true
                } catch let error as KubeError where error.code == .conflict {
                    // Fall through: read again.
                } catch let error as KubeError where error.code == .notFound {
                    return false
                }
            }
            let wrote = try await client.updateStatus(resource, namespace: namespace, name: key.name) { object in
                let value = try JSONValue.parse(object.json)
                return try merge(value["status"]).serialized()
            }
            if wrote { count(key) }
            return true
        } catch {
            failures += 1
            logger.warning("status of \(key) not written: \(error)")
            return false
        }
    }

    /// One line per pass that wrote something: how many statuses of each kind.
    private func logWrites(since before: [ObjectKind: Int]) {
        let delta = writes.compactMap { kind, n -> String? in
            let d = n - (before[kind] ?? 0)
            return d > 0 ? "\(kind.rawValue) \(d)" : nil
        }.sorted()
        if !delta.isEmpty { logger.info("status written: \(delta.joined(separator: ", "))") }
    }

    private func count(_ key: ObjectKey) {
        writes[key.kind, default: 0] += 1
        logger.debug("wrote the status of \(key)")
    }
}

/// The Gateway API features Tollgate lists in `GatewayClass.status.supportedFeatures`: only
/// what the implementation covers and its tests exercise (the seed guides, golden cases and
/// real-NGINX tests); extended features that are partly done are left out.
public enum SupportedFeatures {
    public static let names = [
        "Gateway", "HTTPRoute", "ReferenceGrant", "BackendTLSPolicy",
        "GatewayFrontendClientCertificateValidation",
    ]
}
