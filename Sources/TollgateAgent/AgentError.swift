#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Why an agent operation failed before or while touching the disk or NGINX.
public struct AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A one-line, human-readable reason (what a rejected result carries).
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// An error for a failed system call, with `errno`'s text.
    static func posix(_ what: String, _ path: String, errno code: Int32 = errno) -> AgentError {
        AgentError("\(what) \(path): \(String(cString: strerror(code))) (\(code))")
    }
}
