import Foundation
import Logging
import TollgateModel
import TollgateFiles

/// The directory provider, the embedded default: watches manifest directories with file-system
/// events (inotify; a burst of edits becomes one update, and a slow rescan catches missed events)
/// or, where events are not available or `watch` is `.poll`, polls every `interval`. Reads the
/// roots with `DirectoryProvider` and delivers every change. Emulated generations persist in
/// `generationsFile`, so a restart keeps them.
public struct ManifestWatcher: Provider {
    /// How changes are noticed.
    public enum WatchMode: Sendable {
        /// Look every `interval`.
        case poll
        /// File-system events, debounced; look again every `rescan` in case events were missed.
        case events(rescan: Duration = .seconds(30))
    }

    public let roots: [String]
    public let generationsFile: String?
    public let interval: Duration
    public let watch: WatchMode
    let logger: Logger

    public init(roots: [String], generationsFile: String?, interval: Duration = .milliseconds(250),
                watch: WatchMode = .events(), logger: Logger = Logger(label: "tollgate.manifests")) {
        self.roots = roots; self.generationsFile = generationsFile; self.interval = interval
        self.watch = watch; self.logger = logger
    }

    /// Loads once (throws if a root is missing), then delivers changes until cancelled.
    public func run(deliver: @escaping @Sendable (ProviderUpdate) async -> Void) async throws {
        var provider = DirectoryProvider(roots: roots, generations: loadGenerations())
        // Watch before the first load, so an edit made during it is not missed.
        let events = startEvents()
        defer { events?.stop() }
        try await poll(&provider, deliver)
        if let events {
            for await _ in events.signals {
                do { try await poll(&provider, deliver) } catch { logger.error("\(error)") }
            }
            return
        }
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            do { try await poll(&provider, deliver) } catch { logger.error("\(error)") }
        }
    }

    /// The file-system events to wait on, or nil to poll.
    private func startEvents() -> FileEvents? {
        guard case .events(let rescan) = watch else { return nil }
        do {
            return try FileEvents(roots: roots, timing: .init(rescan: rescan, fallback: interval), logger: logger)
        } catch {
            logger.warning("file-system events unavailable (\(error)): polling every \(interval)")
            return nil
        }
    }

    /// Delivers one change, in order: the controller sees every state exactly once, oldest first.
    private func poll(_ provider: inout DirectoryProvider, _ deliver: @Sendable (ProviderUpdate) async -> Void) async throws {
        guard let state = try provider.poll() else { return }
        for e in state.errors { logger.error("\(e)") }
        for w in state.warnings { logger.warning("\(w)") }
        saveGenerations(provider.knownGenerations)
        await deliver(ProviderUpdate(store: state.store, changed: state.changed))
        // Decoding, rendering and publishing free most of what they allocate; hand it back to the
        // system once the update is done, so the resident size is what the controller holds.
        HeapTrim.releaseFreeMemory()
    }

    private func loadGenerations() -> [ObjectKey: Int64] {
        guard let f = generationsFile, let data = FileManager.default.contents(atPath: f),
              let list = try? JSONDecoder().decode([Entry].self, from: data) else { return [:] }
        return Dictionary(list.map { (ObjectKey(kind: $0.kind, namespace: $0.namespace, name: $0.name), $0.generation) }) { a, _ in a }
    }

    private func saveGenerations(_ g: [ObjectKey: Int64]) {
        guard let f = generationsFile else { return }
        let list = g.keys.sorted().map { Entry(kind: $0.kind, namespace: $0.namespace, name: $0.name, generation: g[$0]!) }
        guard let data = try? JSONEncoder().encode(list) else { return }
        PrivateFile.replace(data, at: f)
    }

    struct Entry: Codable { var kind: ObjectKind; var namespace: String; var name: String; var generation: Int64 }
}
