import Logging

/// Logging to stderr, flushed per line (stdout is buffered when redirected); both executables.
public enum LogSetup {
    public static func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
