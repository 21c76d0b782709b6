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

/// One immutable version of one Gateway's configuration files.
public struct Snapshot: Sendable, Equatable {
    /// The Gateway, "namespace/name".
    public var gateway: String
    /// Monotonic per Gateway, starting at 1.
    public var version: UInt64
    /// `files.digest`, stored so it is computed once.
    public var digest: String
    public var files: FileSet
    /// When the controller published it (passed in; the snapshot layer reads no clock).
    public var createdAt: Date
    /// Why this version exists, e.g. "HTTPRoute default/tea changed".
    public var trigger: String
    /// Generation of each input object, keyed "Kind namespace/name".
    public var inputGenerations: [String: Int64]

    public init(gateway: String, version: UInt64, files: FileSet, createdAt: Date, trigger: String,
                inputGenerations: [String: Int64] = [:]) {
        self.gateway = gateway
        self.version = version
        self.digest = files.digest
        self.files = files
        self.createdAt = createdAt
        self.trigger = trigger
        self.inputGenerations = inputGenerations
    }

    /// For callers that already computed `files.digest`.
    init(gateway: String, version: UInt64, files: FileSet, digest: String, createdAt: Date,
         trigger: String, inputGenerations: [String: Int64]) {
        self.gateway = gateway
        self.version = version
        self.digest = digest
        self.files = files
        self.createdAt = createdAt
        self.trigger = trigger
        self.inputGenerations = inputGenerations
    }
}
