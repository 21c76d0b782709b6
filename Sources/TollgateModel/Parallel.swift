import Dispatch
import Foundation
import Synchronization

/// Independent pieces of work run on every core, with their results in input order: a stage
/// split this way is exactly as deterministic as the loop it replaces. The caller blocks and
/// takes part in the work, so synchronous code (an actor's method included) can use it; the
/// controller's stages (decoding files, resolving routes, rendering Gateways) go through here.
public enum Parallel {
    /// `items.map(transform)`, computed in contiguous chunks on up to all active cores.
    /// `transform` runs concurrently with itself and must not depend on the order of calls.
    public static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores > 1, items.count > 1 else { return items.map(transform) }
        // A few chunks per core, so a slow chunk does not leave a core idle for long.
        let chunks = min(items.count, cores * 8)
        let size = (items.count + chunks - 1) / chunks
        let parts = Mutex<[[R]]>(Array(repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lower = min(c * size, items.count), upper = min(lower + size, items.count)
            let part = items[lower..<upper].map(transform)
            parts.withLock { $0[c] = part }
        }
        return parts.withLock { Array($0.joined()) }
    }
}
