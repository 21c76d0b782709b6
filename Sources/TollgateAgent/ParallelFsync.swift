import Dispatch
import TollgateFiles

/// The agent's flushes of a staged tree: `FileFlush` with the agent's errors, and an async form.
enum ParallelFsync {
    /// Threads flushing at once.
    static let defaultWidth = FileFlush.defaultWidth

    /// fsyncs every path, `width` at a time, blocking the caller; throws the first failure after
    /// all have been tried.
    static func run(_ paths: [String], width: Int = defaultWidth) throws {
        if let problem = FileFlush.flushAll(paths, width: width) { throw AgentError(problem) }
    }

    /// `run` on a thread of its own: the caller's task waits without blocking a Swift concurrency
    /// thread.
    static func sync(_ paths: [String], width: Int = defaultWidth) async throws {
        let problem: String? = await withCheckedContinuation { c in
            DispatchQueue(label: "tollgate.fsync").async { c.resume(returning: FileFlush.flushAll(paths, width: width)) }
        }
        if let problem { throw AgentError(problem) }
    }
}
