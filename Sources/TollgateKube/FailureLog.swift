import Logging

/// Logs each distinct cause of a retried failure once at warning, later repeats at debug, and
/// one line when things work again — so a long outage does not flood the log.
struct FailureLog: Sendable {
    private var seen: Set<String> = []
    private var failures = 0
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Whether a failure is being retried now.
    var isFailing: Bool { failures > 0 }

    /// Records a failure of `operation`; logs it at warning the first time its cause is seen.
    mutating func failed(_ operation: String, _ error: any Error) {
        failures += 1
        let cause = Self.cause(of: error)
        if seen.insert(cause).inserted {
            logger.warning("\(operation) failed; retrying with backoff (repeats are logged at debug)", metadata: [
                "error": "\(error)",
            ])
        } else {
            logger.debug("\(operation) failed again", metadata: ["error": "\(error)"])
        }
    }

    /// Records a success; logs the recovery if failures came before it.
    mutating func succeeded(_ operation: String) {
        guard failures > 0 else { return }
        logger.info("\(operation) works again", metadata: ["failures": "\(failures)"])
        failures = 0
        seen.removeAll()
    }

    /// What makes two failures "the same": the error kind, HTTP status and reason (the message
    /// for failures without a response).
    static func cause(of error: any Error) -> String {
        if let error = error as? KubeError {
            if error.code == .transport { return "transport/\(error.message)" }
            return "\(error.code.rawValue)/\(error.httpStatus ?? 0)/\(error.status?.reason ?? "")"
        }
        return String(describing: type(of: error))
    }
}
