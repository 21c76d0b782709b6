import Dispatch
import Foundation
import Logging

/// Waits for SIGINT or SIGTERM.
enum Signals {
    static func termination() -> AsyncStream<Int32> {
        let (stream, cont) = AsyncStream<Int32>.makeStream()
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { cont.yield(sig) }
            source.resume()
            retained.append(source)
        }
        return stream
    }

    /// Runs `body` until it returns or a termination signal arrives (then cancels it).
    static func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let signals = termination()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                for await _ in signals { return }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    nonisolated(unsafe) private static var retained: [any DispatchSourceSignal] = []
}

/// Logging to stderr, flushed per line (stdout is buffered when redirected).
enum LogSetup {
    static func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
