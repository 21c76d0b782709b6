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

/// Runs a short-lived program to completion without blocking a Swift concurrency thread. Output
/// goes to temporary files, not pipes: a child that leaves a descendant holding its stderr would
/// otherwise keep a pipe reader waiting forever.
enum ShortCommand {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        let dir = FileManager.default.temporaryDirectory.path
        let id = UUID().uuidString
        let outPath = "\(dir)/tollgate-agent-out-\(id)", errPath = "\(dir)/tollgate-agent-err-\(id)"
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        let status = try await ChildProcess.spawn(executable, arguments, stdout: outPath, stderr: errPath).exitStatus()
        let o = FileManager.default.contents(atPath: outPath) ?? Data()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        return Output(status: status, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
