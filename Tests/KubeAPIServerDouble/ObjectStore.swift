import Foundation
import Synchronization

/// The double's etcd: every object of every served type, one global revision counter, the event
/// history watches replay from, and the open watches. All REST verbs and the test-facing direct
/// methods go through it, so both see the same semantics.
final class ObjectStore: Sendable {
    struct State: Sendable {
        var revision = 0
        /// Events at or below this revision are forgotten: reads and watches from older revisions
        /// get 410 Expired.
        var compacted = 0
        var collections: [String: [ObjectKey: JSONValue]] = [:]
        var history: [StoreEvent] = []
        var watches: [Int: OpenWatch] = [:]
        var nextWatchID = 1
    }

    struct OpenWatch: Sendable {
        var filter: ObjectFilter
        var sink: any WatchSink
    }

    let types: [ResourceType]
    let state = Mutex(State())

    init(types: [ResourceType]) {
        self.types = types
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? create(.namespaces, namespace: nil, body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
        }
    }

    /// The served type for an object's `apiVersion` and `kind`.
    func type(apiVersion: String, kind: String) -> (ResourceType, String)? {
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "")
        guard let t = types.first(where: { $0.group == group && $0.kind == kind && $0.versions.contains(version) }) else { return nil }
        return (t, version)
    }

    var revision: Int { state.withLock { $0.revision } }

    // MARK: Reads

    func get(_ type: ResourceType, _ key: ObjectKey) -> JSONValue? {
        state.withLock { $0.collections[type.storageKey]?[key] }
    }

    struct ListOptions: Sendable {
        var limit: Int?
        var continueToken: String?
        var resourceVersion: String?
        var resourceVersionMatch: String?
    }

    struct ListResult: Sendable {
        var items: [JSONValue]
        var revision: Int
        var continueToken: String?
        var remainingItemCount: Int?
    }

    /// A consistent list: at the current revision, or at the revision of `continue` /
    /// `resourceVersion` + `resourceVersionMatch=Exact`, rebuilt from the event history.
    func list(_ filter: ObjectFilter, _ options: ListOptions) throws(APIError) -> ListResult {
        try state.withLock { (s) throws(APIError) -> ListResult in
            let (at, start) = try s.listPosition(options)
            let snapshot = s.snapshot(filter.type.storageKey, at: at)
            var keys = snapshot.keys.sorted()
            if let start { keys = keys.filter { $0 > start } }
            var items: [JSONValue] = []
            var last: ObjectKey?
            var more = false
            for key in keys {
                guard let object = snapshot[key], filter.matches(object) else { continue }
                if let limit = options.limit, limit > 0, items.count == limit { more = true; break }
                items.append(object)
                last = key
            }
            var result = ListResult(items: items, revision: at)
            if more, let last {
                result.continueToken = ContinueToken(revision: at, start: last).encoded
                if filter.labels.requirements.isEmpty, filter.fields.terms.isEmpty {
                    result.remainingItemCount = keys.filter { $0 > last && (filter.namespace == nil || $0.namespace == filter.namespace) }.count
                }
            }
            return result
        }
    }

    // MARK: Watches

    /// Starts a watch. `resourceVersion` nil, "" or "0" (or `sendInitialEvents`) first sends
    /// synthetic ADDED events for the current state; otherwise the history after that revision is
    /// replayed, or an ERROR 410 Expired is sent and the stream finished when it is compacted.
    /// Returns the watch's id, or nil when the watch already ended.
    func watch(_ filter: ObjectFilter, from resourceVersion: String?, sendInitialEvents: Bool, sink: any WatchSink) -> Int? {
        state.withLock { s -> Int? in
            let rvText = resourceVersion ?? ""
            if sendInitialEvents || rvText.isEmpty || rvText == "0" {
                let collection = s.collections[filter.type.storageKey] ?? [:]
                for key in collection.keys.sorted() {
                    guard let object = collection[key], filter.matches(object) else { continue }
                    sink.send(["type": "ADDED", "object": filter.render(object)])
                }
                if sendInitialEvents { sink.send(filter.bookmark(revision: s.revision, initialEventsEnd: true)) }
            } else {
                guard let rv = Int(rvText), rv >= 0 else {
                    sink.send(["type": "ERROR", "object": APIError.badRequest("invalid resource version: \(rvText)").status])
                    sink.finish()
                    return nil
                }
                if rv < s.compacted {
                    sink.send(["type": "ERROR", "object": APIError.expired("too old resource version: \(rv) (\(s.compacted + 1))").status])
                    sink.finish()
                    return nil
                }
                if rv > s.revision {
                    sink.send(["type": "ERROR", "object": APIError.tooLargeResourceVersion(rv, current: s.revision).status])
                    sink.finish()
                    return nil
                }
                for change in s.history where change.revision > rv && change.storageKey == filter.type.storageKey {
                    if let event = filter.event(for: change) { sink.send(event) }
                }
            }
            let id = s.nextWatchID
            s.nextWatchID += 1
            s.watches[id] = OpenWatch(filter: filter, sink: sink)
            return id
        }
    }

    /// Forgets a watch whose connection ended.
    func removeWatch(_ id: Int) {
        _ = state.withLock { $0.watches.removeValue(forKey: id) }
    }

    /// Sends a BOOKMARK at the current revision to one watch.
    func bookmark(_ id: Int) {
        state.withLock { s in
            guard let w = s.watches[id] else { return }
            w.sink.send(w.filter.bookmark(revision: s.revision))
        }
    }

    /// Ends every open watch cleanly; clients see the stream end and re-watch.
    func finishAllWatches() {
        let sinks = state.withLock { s in
            let sinks = s.watches.values.map(\.sink)
            s.watches.removeAll()
            return sinks
        }
        for sink in sinks { sink.finish() }
    }

    /// Forgets the whole event history.
    func compact() {
        state.withLock { s in
            s.compacted = s.revision
            s.history.removeAll()
        }
    }
}

extension ObjectStore.State {
    /// Where a list reads: the revision (current, a continue token's, or an exact
    /// `resourceVersion`) and the key after which it starts.
    func listPosition(_ options: ObjectStore.ListOptions) throws(APIError) -> (revision: Int, start: ObjectKey?) {
        if let token = options.continueToken, !token.isEmpty {
            let decoded = try ContinueToken.decode(token)
            guard decoded.revision >= compacted else {
                throw .expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            }
            return (decoded.revision, decoded.start)
        }
        guard let text = options.resourceVersion, !text.isEmpty, text != "0" else { return (revision, nil) }
        guard let rv = Int(text), rv > 0 else { throw .badRequest("invalid resource version: \(text)") }
        if rv > revision { throw .tooLargeResourceVersion(rv, current: revision) }
        guard options.resourceVersionMatch == "Exact" else { return (revision, nil) }
        guard rv >= compacted else { throw .expired("too old resource version: \(rv) (\(compacted))") }
        return (rv, nil)
    }

    /// One collection as it was at `revision` (which must not be compacted).
    func snapshot(_ storageKey: String, at revision: Int) -> [ObjectKey: JSONValue] {
        var objects = collections[storageKey] ?? [:]
        guard revision < self.revision else { return objects }
        for change in history.reversed() {
            guard change.revision > revision else { break }
            guard change.storageKey == storageKey else { continue }
            objects[change.key] = change.previous
        }
        return objects
    }

    /// Records one change: bumps the revision, stamps `resourceVersion`, stores, appends to the
    /// history and notifies the watches. Returns the stored (or last) state.
    @discardableResult
    mutating func commit(_ kind: StoreEvent.Kind, _ type: ResourceType, _ key: ObjectKey, _ object: JSONValue, previous: JSONValue?) -> JSONValue {
        revision += 1
        var stamped = object
        stamped.setMetadata("resourceVersion", .string(String(revision)))
        collections[type.storageKey, default: [:]][key] = kind == .deleted ? nil : stamped
        let change = StoreEvent(kind: kind, revision: revision, storageKey: type.storageKey, key: key, object: stamped, previous: previous)
        history.append(change)
        if history.count > ObjectStore.historyCap {
            let drop = history.count - ObjectStore.historyCap
            compacted = history[drop - 1].revision
            history.removeFirst(drop)
        }
        for w in watches.values where w.filter.type.storageKey == type.storageKey {
            if let event = w.filter.event(for: change) { w.sink.send(event) }
        }
        return stamped
    }
}

extension ObjectStore {
    /// How many events are kept before the oldest are compacted away.
    static let historyCap = 50_000
}

/// The opaque `continue` value: the revision of the first page and the last key returned,
/// base64-encoded JSON as the real server's.
struct ContinueToken {
    var revision: Int
    var start: ObjectKey

    var encoded: String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(revision), "start": .string(start.token)]
        // Go's base64.RawURLEncoding, as the real server.
        return json.serialized().base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) throws(APIError) -> ContinueToken {
        let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = standard + String(repeating: "=", count: (4 - standard.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), let json = try? JSONValue(parsing: data),
              json["v"]?.stringValue == "meta.k8s.io/v1", let rv = json["rv"]?.intValue,
              let startText = json["start"]?.stringValue, let start = ObjectKey(token: startText)
        else { throw .badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)") }
        return ContinueToken(revision: rv, start: start)
    }
}
