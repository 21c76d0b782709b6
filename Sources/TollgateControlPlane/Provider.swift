import Foundation
import TollgateModel

/// One state of a provider's inputs: the whole store and the objects added, changed or removed
/// since the previous state.
public struct ProviderUpdate: Sendable {
    public var store: Store
    public var changed: Set<ObjectKey>

    public init(store: Store, changed: Set<ObjectKey>) {
        self.store = store
        self.changed = changed
    }
}

/// Where the controller's inputs come from: a manifest directory (`ManifestWatcher`, the embedded
/// default) or a Kubernetes API server. A provider validates what it reads (admission), keeps
/// object generations, and hands the controller whole stores; everything after — graph, render,
/// snapshots — is shared and pure.
public protocol Provider: Sendable {
    /// Delivers the inputs to `deliver`: first the initial state (the controller serves agents
    /// only after it, so a reconnecting agent never races the first render), then every change,
    /// oldest first, each exactly once. Runs until cancelled; throws when it cannot start.
    func run(deliver: @escaping @Sendable (ProviderUpdate) async -> Void) async throws
}

extension ControllerCore {
    /// Feeds every update of `provider` into the core; `initialLoad` is called once the first
    /// update is applied.
    nonisolated public func follow(_ provider: any Provider, initialLoad: (@Sendable () -> Void)? = nil) async throws {
        let first = FirstFlag()
        try await provider.run { [weak self] update in
            await self?.update(store: update.store, changed: update.changed)
            if first.take() { initialLoad?() }
        }
    }
}

/// true the first time only.
final class FirstFlag: @unchecked Sendable {
    private var done = false
    private let lock = NSLock()
    func take() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}
