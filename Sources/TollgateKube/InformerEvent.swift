/// What an ``Informer`` tells its consumer.
public enum InformerEvent: Sendable {
    /// A (re)list finished: the whole cache, and how it differs from the cache before — so a
    /// consumer also learns of changes, deletions included, that happened while disconnected.
    case synced(InformerSync)
    case added(KubeObject)
    case modified(KubeObject)
    /// The object as last seen, now deleted.
    case deleted(KubeObject)
}

/// The cache after a (re)list and the changes against the cache before it.
public struct InformerSync: Sendable {
    /// Every object, by namespace/name.
    public var objects: [KubeObjectKey: KubeObject]
    public var added: [KubeObject]
    /// Objects whose resourceVersion changed.
    public var updated: [KubeObject]
    public var deleted: [KubeObject]
    /// False when the API server does not serve the resource (the cache is then empty).
    public var served: Bool
    /// The list's resourceVersion.
    public var resourceVersion: String

    /// Compares a new listing with the previous cache.
    init(previous: [KubeObjectKey: KubeObject], current: [KubeObjectKey: KubeObject], served: Bool, resourceVersion: String) {
        objects = current
        added = current.filter { previous[$0.key] == nil }.map(\.value).sorted { $0.key < $1.key }
        updated = current.compactMap { key, object in
            guard let old = previous[key], old.resourceVersion != object.resourceVersion || old.json != object.json
            else { return nil }
            return object
        }.sorted { $0.key < $1.key }
        deleted = previous.filter { current[$0.key] == nil }.map(\.value).sorted { $0.key < $1.key }
        self.served = served
        self.resourceVersion = resourceVersion
    }
}

/// Plain counters of an ``Informer``'s work, for metrics.
public struct InformerCounters: Sendable, Equatable {
    /// Successful lists, the first included.
    public var lists = 0
    /// Lists after the first: after an expired resourceVersion or while the resource is not served.
    public var relists = 0
    /// Watches opened after the first.
    public var watchRestarts = 0
    /// Watch events applied (bookmarks excluded).
    public var events = 0
    /// Failed requests and watch failures.
    public var errors = 0

    public init() {}
}
