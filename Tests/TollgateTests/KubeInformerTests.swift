import Foundation
import Logging
import Synchronization
import Testing
import TollgateKube

/// The informer against the API server double: initial sync, live changes, re-watch after a
/// dropped watch, relist after compaction (with the deletion made during the gap), recovery
/// from failures with one warning per cause, and a resource the server does not serve.
@Suite struct KubeInformerTests {
    static let configMaps = ResourceType(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true)
    static let policies = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", plural: "backendtlspolicies", kind: "BackendTLSPolicy", namespaced: true)

    /// Fast retries so the tests spend no time waiting.
    static let options = InformerOptions(
        pageSize: 2, watchTimeoutSeconds: 30...40,
        backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(100)),
        notServedRecheck: .milliseconds(100), minimumWatchDuration: .milliseconds(1))

    /// Everything an informer emitted, in order.
    final class Recorder: Sendable {
        private let events = Mutex<[InformerEvent]>([])

        var all: [InformerEvent] { events.withLock { $0 } }
        var syncs: [InformerSync] {
            all.compactMap { if case .synced(let sync) = $0 { return sync } else { return nil } }
        }
        /// `added x`, `modified x`, `deleted x` for watch events.
        var changes: [String] {
            all.compactMap { event in
                switch event {
                case .added(let object): return "added \(object.name)"
                case .modified(let object): return "modified \(object.name)"
                case .deleted(let object): return "deleted \(object.name)"
                case .synced: return nil
                }
            }
        }

        func record(_ event: InformerEvent) { events.withLock { $0.append(event) } }
    }

    /// Runs an informer and a recorder of its events for the duration of `body`.
    static func withInformer(
        _ client: KubeClient, _ resource: ResourceType = configMaps, namespace: String? = "default",
        logger: Logger = Logger(label: "test.informer"),
        _ body: (Informer, Recorder) async throws -> Void
    ) async throws {
        let informer = Informer(client: client, resource: resource, namespace: namespace, options: options, logger: logger)
        let recorder = Recorder()
        let running = Task { await informer.run() }
        let consuming = Task { for await event in informer.events { recorder.record(event) } }
        defer {
            running.cancel()
            consuming.cancel()
        }
        try await body(informer, recorder)
        running.cancel()
        await running.value
        await consuming.value
    }

    @Test func initialSyncThenLiveChanges() async throws {
        try await withKubeServer { server, client in
            for name in ["a", "b", "c"] { try server.createConfigMap(namespace: "default", name: name) }
            try await Self.withInformer(client) { informer, recorder in
                try await waitUntil("the first sync") { !recorder.syncs.isEmpty }
                let first = try #require(recorder.syncs.first)
                #expect(first.served)
                #expect(Set(first.objects.keys.map(\.name)) == ["a", "b", "c"])
                #expect(first.added.map(\.name) == ["a", "b", "c"])
                #expect(first.deleted.isEmpty)

                try server.createConfigMap(namespace: "default", name: "d")
                try server.setLabel(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "a", key: "x", value: "1")
                try server.delete(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "b")
                try await waitUntil("three changes") { recorder.changes.count >= 3 }
                #expect(recorder.changes == ["added d", "modified a", "deleted b"])
                let cached = await informer.objects
                #expect(Set(cached.keys.map(\.name)) == ["a", "c", "d"])
                #expect(cached[KubeObjectKey(namespace: "default", name: "a")]?.header.labels["x"] == "1")
                // Three list pages of two (25 objects would be the same with more pages).
                #expect(server.requests.filter { !$0.isWatch && $0.path.hasSuffix("/configmaps") }.count == 2)
            }
        }
    }

    @Test func droppedWatchResumesWithoutRelist() async throws {
        try await withKubeServer { server, client in
            try server.createConfigMap(namespace: "default", name: "a")
            try await Self.withInformer(client) { informer, recorder in
                try await waitUntil("the first sync") { !recorder.syncs.isEmpty }
                // Drop until a second watch shows: a drop racing the first watch's start may miss it.
                try await waitUntil("a second watch") {
                    server.dropWatches()
                    return server.requests.filter(\.isWatch).count >= 2
                }
                try server.createConfigMap(namespace: "default", name: "after")
                try await waitUntil("the change after the drop") { recorder.changes == ["added after"] }
                let counters = await informer.counters
                #expect(counters.lists == 1)
                #expect(counters.relists == 0)
                #expect(counters.watchRestarts >= 1)
                #expect(recorder.syncs.count == 1)
                let watches = server.requests.filter(\.isWatch)
                #expect(watches.dropFirst().allSatisfy { ($0.query["resourceVersion"] ?? "") != "" })
            }
        }
    }

    @Test func compactionDuringAGapRelistsAndReportsTheDeletion() async throws {
        try await withKubeServer { server, client in
            for name in ["keep", "gone"] { try server.createConfigMap(namespace: "default", name: name) }
            try await Self.withInformer(client) { informer, recorder in
                try await waitUntil("the first sync") { !recorder.syncs.isEmpty }
                // Disconnect the informer, change things, and forget the history it would need.
                server.failRequests(status: 503, count: nil, pathContaining: "/configmaps", watches: true)
                try await waitUntil("a refused watch") {
                    server.dropWatches()
                    return server.requests.contains { $0.isWatch && $0.status == 503 }
                }
                try server.delete(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "gone")
                try server.createConfigMap(namespace: "default", name: "new")
                server.compact()
                server.clearFailures()
                try await waitUntil("a relist") { recorder.syncs.count >= 2 }
                let relist = recorder.syncs[1]
                #expect(relist.deleted.map(\.name) == ["gone"])
                #expect(relist.added.map(\.name) == ["new"])
                #expect(Set(relist.objects.keys.map(\.name)) == ["keep", "new"])
                let counters = await informer.counters
                #expect(counters.relists == 1)
                #expect(recorder.changes.isEmpty, "the gap's changes come in the sync, not as watch events")
            }
        }
    }

    @Test func recoversFromFailuresAndWarnsOncePerCause() async throws {
        let logs = LogCapture()
        try await withKubeServer { server, client in
            try await Self.withInformer(client, logger: logs.logger()) { informer, recorder in
                try await waitUntil("the first sync") { !recorder.syncs.isEmpty }
                server.failRequests(status: 503, count: 5, pathContaining: "/configmaps")
                try await waitUntil("five failures") {
                    server.dropWatches()
                    return server.requests.filter { $0.status == 503 }.count == 5
                }
                try server.createConfigMap(namespace: "default", name: "later")
                try await waitUntil("the change after recovery") { recorder.changes.contains("added later") }
                let counters = await informer.counters
                #expect(counters.errors == 5)
                let warnings = logs.at(.warning)
                #expect(warnings.count == 1, "one warning for one cause: \(warnings.map(\.message))")
                #expect(warnings.first?.metadata["error"]?.contains("503") == true)
                #expect(logs.at(.info).contains { $0.message.contains("works again") })
            }
        }
    }

    /// Failures long past must not slow the next recovery: the backoff starts over once the
    /// server answers again (a list, or a watch that delivers an event).
    @Test func backoffStartsOverOnceTheServerWorksAgain() async throws {
        try await withKubeServer { server, client in
            try await Self.withInformer(client) { informer, recorder in
                try await waitUntil("the first sync") { !recorder.syncs.isEmpty }
                #expect(await informer.backoffStartsOver, "a list that succeeded leaves the backoff at its start")
                server.failRequests(status: 503, count: 4, pathContaining: "/configmaps")
                try await waitUntil("four failures") {
                    server.dropWatches()
                    return server.requests.filter { $0.status == 503 }.count == 4
                }
                // While failing (or right after), the backoff has grown.
                let afterFailures = await informer.counters.errors
                #expect(afterFailures >= 1)
                try server.createConfigMap(namespace: "default", name: "recovered")
                try await waitUntil("the change after recovery") { recorder.changes.contains("added recovered") }
                #expect(await informer.backoffStartsOver, "an event after the failures resets the backoff")
            }
        }
    }

    @Test func unservedResourceIsEmptyWithOneWarningAndRechecked() async throws {
        let logs = LogCapture()
        try await withKubeServer(.olderGatewayAPI) { server, client in
            try await Self.withInformer(client, Self.policies, logger: logs.logger()) { informer, recorder in
                try await waitUntil("an empty sync") { !recorder.syncs.isEmpty }
                let sync = try #require(recorder.syncs.first)
                #expect(!sync.served)
                #expect(sync.objects.isEmpty)
                try await waitUntil("rechecks") {
                    server.requests.filter { $0.path.hasSuffix("/backendtlspolicies") }.count >= 3
                }
                #expect(logs.at(.warning).count == 1)
                #expect(recorder.syncs.count == 1, "an unchanged empty cache is not announced again")
                #expect(await informer.hasSynced)
            }
        }
    }

    @Test func resourceServedLaterIsPickedUp() async throws {
        let logs = LogCapture()
        try await withKubeServer { server, client in
            try server.createConfigMap(namespace: "default", name: "a")
            // The first list says "not served" (as before a CRD is installed); the recheck finds it.
            server.failRequests(status: 404, count: 1, pathContaining: "/configmaps", watches: false)
            try await Self.withInformer(client, logger: logs.logger()) { _, recorder in
                try await waitUntil("a served sync") { recorder.syncs.contains { $0.served } }
                #expect(recorder.syncs.first?.served == false)
                #expect(recorder.syncs.last?.objects.keys.map(\.name) == ["a"])
                #expect(logs.at(.warning).count == 1)
                #expect(logs.at(.info).contains { $0.message.contains("serves this resource now") })
            }
        }
    }

    @Test func restartedServerIsRejoinedFromTheLastVersion() async throws {
        let logs = LogCapture()
        try await withKubeServer { server, client in
            try await Self.withInformer(client, logger: logs.logger()) { informer, recorder in
                try await waitUntil("the first sync") { !recorder.syncs.isEmpty }
                try await waitUntil("a watch") { server.requests.contains { $0.isWatch } }
                try await server.restart()
                try server.createConfigMap(namespace: "default", name: "after-restart")
                try await waitUntil("the change after the restart") { recorder.changes == ["added after-restart"] }
                #expect(await informer.counters.relists == 0)
                #expect(recorder.syncs.count == 1)
            }
        }
    }
}
