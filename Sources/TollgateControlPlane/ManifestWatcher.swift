import Foundation
import Logging
import TollgateModel

/// The directory provider, the embedded default: polls manifest directories (every 250 ms by
/// default) with `DirectoryProvider` and delivers every change. Emulated generations persist in
/// `generationsFile`, so a restart keeps them.
public struct ManifestWatcher: Provider {
    public let roots: [String]
    public let generationsFile: String?
    public let interval: Duration
    let logger: Logger

    public init(roots: [String], generationsFile: String?, interval: Duration = .milliseconds(250),
                logger: Logger = Logger(label: "tollgate.manifests")) {
        self.roots = roots; self.generationsFile = generationsFile; self.interval = interval; self.logger = logger
    }

    /// Loads once (throws if a root is missing), then keeps polling until cancelled.
    public func run(deliver: @escaping @Sendable (ProviderUpdate) async -> Void) async throws {
        var provider = DirectoryProvider(roots: roots, generations: loadGenerations())
        try await poll(&provider, deliver)
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            do { try await poll(&provider, deliver) } catch { logger.error("\(error)") }
        }
    }

    /// Delivers one change, in order: the controller sees every state exactly once, oldest first.
    private func poll(_ provider: inout DirectoryProvider, _ deliver: @Sendable (ProviderUpdate) async -> Void) async throws {
        guard let state = try provider.poll() else { return }
        for e in state.errors { logger.error("\(e)") }
        for w in state.warnings { logger.warning("\(w)") }
        saveGenerations(provider.knownGenerations)
        await deliver(ProviderUpdate(store: state.store, changed: state.changed))
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
