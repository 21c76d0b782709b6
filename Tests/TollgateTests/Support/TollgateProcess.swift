import Foundation

/// A `tollgate` subcommand running as a child process of the test, with its output in a log file.
final class TollgateProcess: @unchecked Sendable {
    let process: Process
    let log: URL

    /// Starts `tollgate ARGS`; output goes to `log`.
    init(_ arguments: [String], log: URL) throws {
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var output: String { Fixtures.read(log) ?? "" }

    /// SIGTERM (clean shutdown) and wait up to `seconds`; SIGKILL after that.
    func stop(seconds: Double = 20) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// kill -9.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Polls `condition` until it holds (a bounded wait on an event, not a timing assertion).
@discardableResult
func eventually(_ what: String, timeout: Double = 30, interval: Double = 0.2, _ condition: () throws -> Bool) throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if (try? condition()) == true { return true }
        usleep(UInt32(interval * 1_000_000))
    }
    throw TestFailure("timed out waiting for: \(what)")
}

/// `tollgate ARGS` run to completion.
func tollgate(_ arguments: [String]) throws -> Processes.Output {
    try Processes.run(CLITests.binary, arguments)
}

/// PIDs of processes whose command line contains `needle` (from /proc).
func pids(commandContaining needle: String) -> Set<Int32> {
    var out = Set<Int32>()
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
        let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        if cmd.contains(needle), !cmd.contains("/proc") { out.insert(pid) }
    }
    return out
}
