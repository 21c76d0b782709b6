import Foundation
import Logging
import TollgateKube
import TollgateModel

/// Turns informer events into `Store` states: decodes and admits each changed object, keeps the
/// raw objects the status writer needs, and signals when a new state is ready. The first state is
/// ready only once every informer has listed (or found its resource not served).
public actor KubeStoreAssembler {
    private var store = Store()
    private var changed = Set<ObjectKey>()
    private var decoded: [ObjectKey: AnyKubeObject] = [:]
    /// Objects whose status Tollgate writes, as the API server last sent them.
    private var raw: [ObjectKey: APIObject] = [:]
    /// Refusals already logged, by object and resourceVersion (logged once, not per relist).
    private var refusalsLogged: [ObjectKey: String] = [:]
    private var pendingSyncs: Set<Int>
    private var hasDelivered = false
    private let gatewayClassName: String?
    private let logger: Logger
    private let signal: AsyncStream<Void>.Continuation
    /// Yields whenever a state is ready (coalesced: at most one pending).
    nonisolated let ready: AsyncStream<Void>
    /// Yields when an object whose status Tollgate writes changed on the server (someone else's
    /// status write included), so the status writer compares again at once.
    nonisolated let serverObjectsChanged: AsyncStream<Void>
    private let serverSignal: AsyncStream<Void>.Continuation

    init(informers: Int, gatewayClassName: String?, logger: Logger) {
        pendingSyncs = Set(0..<informers)
        self.gatewayClassName = gatewayClassName
        self.logger = logger
        (ready, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (serverObjectsChanged, serverSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    static let statusKinds: Set<ObjectKind> = [.gatewayClass, .gateway, .httpRoute, .backendTLSPolicy]

    /// Applies one informer event for `kind` (informer number `informer`).
    func apply(_ event: InformerEvent, kind: ObjectKind, informer: Int) {
        switch event {
        case .synced(let sync):
            for o in sync.deleted { remove(o, kind: kind) }
            for o in sync.added + sync.updated { upsert(o, kind: kind) }
            pendingSyncs.remove(informer)
        case .added(let o), .modified(let o): upsert(o, kind: kind)
        case .deleted(let o): remove(o, kind: kind)
        }
        if pendingSyncs.isEmpty && (!changed.isEmpty || !hasDelivered) { signal.yield() }
    }

    /// The state to deliver, or nil when nothing changed (or not every informer has listed).
    func take() -> (store: Store, changed: Set<ObjectKey>)? {
        guard pendingSyncs.isEmpty, !changed.isEmpty || !hasDelivered else { return nil }
        hasDelivered = true
        defer { changed = [] }
        return (store, changed)
    }

    /// The object as the API server last sent it (kinds with a status Tollgate writes).
    public func object(_ key: ObjectKey) -> TollgateKube.KubeObject? { raw[key] }

    func finish() {
        signal.finish()
        serverSignal.finish()
    }

    private func objectKey(_ o: APIObject, _ kind: ObjectKind) -> ObjectKey {
        ObjectKey(kind: kind, namespace: o.namespace ?? "", name: o.name)
    }

    private func upsert(_ o: APIObject, kind: ObjectKind) {
        let key = objectKey(o, kind)
        if Self.statusKinds.contains(kind) {
            if raw[key]?.resourceVersion != o.resourceVersion { serverSignal.yield() }
            raw[key] = o
        }
        if kind == .gatewayClass, let only = gatewayClassName, o.name != only {
            // Another instance's class: not ours to read or to write.
            drop(key)
            return
        }
        switch ObjectAdmission.admit(o, kind: kind) {
        case .admitted(let object):
            refusalsLogged[key] = nil
            guard decoded[key] != object else { return }   // e.g. a status-only change
            decoded[key] = object
            store.upsert(object)
            changed.insert(key)
        case .refused(let errors):
            let rv = o.resourceVersion ?? ""
            if refusalsLogged[key] != rv {
                refusalsLogged[key] = rv
                for e in errors { logger.error("\(e)") }
            }
            // An invalid object degrades only itself: it no longer exists for the graph.
            drop(key)
        }
    }

    private func remove(_ o: APIObject, kind: ObjectKind) {
        let key = objectKey(o, kind)
        raw[key] = nil
        refusalsLogged[key] = nil
        drop(key)
    }

    private func drop(_ key: ObjectKey) {
        guard decoded.removeValue(forKey: key) != nil else { return }
        store.remove(key)
        changed.insert(key)
    }
}

extension KubeStoreAssembler {
    /// Records an object the status writer wrote (the server's answer), so the next pass
    /// compares with it even before the watch delivers it.
    func noteWritten(_ object: APIObject, key: ObjectKey) {
        raw[key] = object
    }

    /// Routes and policies whose status holds an entry of `controllerName`.
    func keysWithEntries(of controllerName: String) -> [ObjectKey] {
        let needle = Data("\"\(controllerName)\"".utf8)
        return raw.filter { ($0.key.kind == .httpRoute || $0.key.kind == .backendTLSPolicy) && $0.value.json.range(of: needle) != nil }.map(\.key)
    }
}
