import Logging

/// Keeps a local copy of every object of one resource type (optionally one namespace and a
/// label selector) and tells a consumer what changed.
///
/// ``run()`` lists (paged), emits ``InformerEvent/synced(_:)``, then watches from the list's
/// resourceVersion with bookmarks, emitting each change. A watch that ends is reopened from the
/// last resourceVersion seen; an expired resourceVersion (410) relists, and the sync reports the
/// changes missed meanwhile, deletions included. Failures are retried with jittered exponential
/// backoff; each distinct cause is logged once at warning, and the recovery once at info. A
/// resource the server does not serve is an empty cache with one warning, checked again
/// every ``InformerOptions/notServedRecheck``.
public actor Informer {
    public nonisolated let resource: ResourceType
    public nonisolated let namespace: String?
    public nonisolated let labelSelector: LabelSelector?
    /// A field selector (e.g. `type=kubernetes.io/tls` for Secrets), applied by the server.
    public nonisolated let fieldSelector: String?
    /// The changes, for one consumer; finishes when ``run()`` returns.
    public nonisolated let events: AsyncStream<InformerEvent>

    private let client: KubeClient
    private let options: InformerOptions
    private let logger: Logger
    private let continuation: AsyncStream<InformerEvent>.Continuation

    private var cache: [KubeObjectKey: KubeObject] = [:]
    /// Where the next watch starts; nil when a (re)list is due.
    private var resourceVersion: String?
    private var backoff: Backoff
    private var failures: FailureLog
    private var notServed = false
    private var watchesOpened = 0
    private var started = false
    /// Counters for metrics.
    public private(set) var counters = InformerCounters()
    /// Whether a list has completed, so ``objects`` reflects the cluster.
    public private(set) var hasSynced = false
    /// Whether the next retry would wait the shortest backoff step: true after a list succeeds
    /// or a watch delivers an event, so failures long past do not slow the next recovery.
    public var backoffStartsOver: Bool { backoff.isAtStart }

    public init(
        client: KubeClient, resource: ResourceType, namespace: String? = nil,
        labelSelector: LabelSelector? = nil, fieldSelector: String? = nil, options: InformerOptions = InformerOptions(),
        logger: Logger = Logger(label: "tollgate.kube.informer")
    ) {
        self.client = client
        self.resource = resource
        self.namespace = resource.namespaced ? namespace : nil
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.options = options
        var logger = logger
        logger[metadataKey: "resource"] = "\(resource)"
        if let namespace { logger[metadataKey: "namespace"] = "\(namespace)" }
        self.logger = logger
        self.backoff = options.backoff
        self.failures = FailureLog(logger: logger)
        (events, continuation) = AsyncStream.makeStream(of: InformerEvent.self)
    }

    /// The cached objects.
    public var objects: [KubeObjectKey: KubeObject] { cache }

    /// Lists and watches until the calling task is cancelled, then finishes ``events``. Call once.
    public func run() async {
        guard !started else {
            logger.error("Informer.run() called more than once; the second call does nothing")
            return
        }
        started = true
        defer { continuation.finish() }
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    guard try await relist() else {
                        try await Task.sleep(for: options.notServedRecheck)
                        continue
                    }
                }
                try await watchOnce()
            } catch is CancellationError {
                return
            } catch let error as KubeError where error.code == .expired {
                logger.info("resourceVersion expired; listing again", metadata: ["reason": "\(error.message)"])
                resourceVersion = nil
            } catch {
                counters.errors += 1
                failures.failed(resourceVersion == nil ? "list" : "watch", error)
                if let error = error as? KubeError, error.code == .notFound {
                    resourceVersion = nil  // the resource may have been removed: relist finds out
                }
                var delay = backoff.next()
                if let error = error as? KubeError, let seconds = error.retryAfterSeconds {
                    delay = max(delay, min(.seconds(seconds), options.backoff.maximum))
                }
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    /// Lists every page and replaces the cache; false when the resource is not served.
    private func relist() async throws -> Bool {
        let listed: KubeList
        do {
            listed = try await client.list(
                resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector, limit: options.pageSize)
        } catch let error as KubeError where error.code == .notFound {
            if !notServed {
                logger.warning("the API server does not serve this resource; treating it as empty and checking again periodically", metadata: [
                    "recheck": "\(options.notServedRecheck)",
                ])
                notServed = true
            }
            failures.succeeded("list")
            replaceCache(with: [:], served: false, resourceVersion: "")
            return false
        }
        if notServed {
            logger.info("the API server serves this resource now")
            notServed = false
        }
        failures.succeeded("list")
        backoff.reset()
        var objects: [KubeObjectKey: KubeObject] = [:]
        for object in listed.items { objects[object.key] = object }
        replaceCache(with: objects, served: true, resourceVersion: listed.resourceVersion)
        resourceVersion = listed.resourceVersion
        return true
    }

    private func replaceCache(with objects: [KubeObjectKey: KubeObject], served: Bool, resourceVersion: String) {
        if counters.lists > 0 { counters.relists += 1 }
        counters.lists += 1
        let sync = InformerSync(previous: cache, current: objects, served: served, resourceVersion: resourceVersion)
        let firstOrChanged = !hasSynced || !sync.added.isEmpty || !sync.updated.isEmpty || !sync.deleted.isEmpty
        cache = objects
        hasSynced = true
        if firstOrChanged || served { continuation.yield(.synced(sync)) }
    }

    /// Opens one watch from ``resourceVersion`` and applies its events until it ends.
    private func watchOnce() async throws {
        let timeout = Int.random(in: options.watchTimeoutSeconds)
        let stream = try await client.watch(
            resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
            resourceVersion: resourceVersion, timeoutSeconds: timeout, allowWatchBookmarks: true)
        if watchesOpened > 0 { counters.watchRestarts += 1 }
        watchesOpened += 1
        failures.succeeded("watch")
        let opened = ContinuousClock.now
        var sawEvent = false
        for try await event in stream {
            try apply(event)
            if !sawEvent {
                // The server works again: a later failure starts from the shortest wait.
                sawEvent = true
                backoff.reset()
            }
        }
        if !sawEvent, ContinuousClock.now - opened < options.minimumWatchDuration {
            try await Task.sleep(for: backoff.next())
        }
    }

    private func apply(_ event: WatchEvent) throws {
        switch event {
        case .bookmark(let version):
            resourceVersion = version
        case .error(let status):
            throw KubeError.fromWatchStatus(status, request: "watch \(resource)")
        case .added(let object), .modified(let object):
            counters.events += 1
            let existed = cache.updateValue(object, forKey: object.key) != nil
            resourceVersion = object.resourceVersion ?? resourceVersion
            continuation.yield(existed ? .modified(object) : .added(object))
        case .deleted(let object):
            counters.events += 1
            cache[object.key] = nil
            resourceVersion = object.resourceVersion ?? resourceVersion
            continuation.yield(.deleted(object))
        }
    }
}
