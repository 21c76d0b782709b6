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
import TollgateFiles

/// An NGINX master of one config root that is running now, identified through `/proc` (Linux):
/// the process its pid file names, whose command line is `nginx: master process … -p RUNTIME/
/// … -c ROOT/current/nginx.conf …`. Its start time tells it apart from a later process that
/// reuses the pid, so `isAlive` stays false once it has exited, even as an unreaped zombie.
struct RunningMaster: Sendable, Equatable {
    let pid: Int32
    /// Start time in clock ticks after boot (`/proc/PID/stat` field 22).
    let startTime: UInt64
    /// Its process group when it leads one (where its workers are), else 0.
    let group: Int32

    /// Why the process a pid file names is not a running master of this config root.
    enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// No pid file, or one without a pid: nothing to adopt.
        case noPidFile
        /// The pid file names a process that is not running (or a zombie).
        case notRunning(pid: Int32)
        /// The process is not an NGINX master (its command line is given).
        case notNginxMaster(pid: Int32, commandLine: String)
        /// An NGINX master, but of another config root or prefix.
        case otherRoot(pid: Int32, commandLine: String)
        /// A process this agent may not signal (another user's).
        case notPermitted(pid: Int32)

        var pid: Int32? {
            switch self {
            case .noPidFile: return nil
            case .notRunning(let pid), .notNginxMaster(let pid, _), .otherRoot(let pid, _), .notPermitted(let pid): return pid
            }
        }

        var description: String {
            switch self {
            case .noPidFile: return "no pid file"
            case .notRunning(let pid): return "pid \(pid) is not running"
            case .notNginxMaster(let pid, let cmd): return "pid \(pid) is not an NGINX master (\(cmd))"
            case .otherRoot(let pid, let cmd): return "pid \(pid) is an NGINX master of another config root (\(cmd))"
            case .notPermitted(let pid): return "pid \(pid) may not be signalled by this agent"
            }
        }
    }

    /// The master the pid file of `root` names, if it runs NGINX on exactly this root.
    static func identify(root: ConfigRoot) -> Result<RunningMaster, Refusal> {
        guard let pid = NginxProcess.readPid(root.pidFile), pid != getpid() else { return .failure(.noPidFile) }
        guard let stat = ProcStat.read(pid), !stat.isZombie else { return .failure(.notRunning(pid: pid)) }
        if kill(pid, 0) != 0 { return .failure(errno == EPERM ? .notPermitted(pid: pid) : .notRunning(pid: pid)) }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingWhitespace() ?? ""
        let cmd = commandLine(pid)
        guard comm == "nginx", cmd.hasPrefix("nginx: master process ") else {
            return .failure(.notNginxMaster(pid: pid, commandLine: String(cmd.prefix(200))))
        }
        guard hasOption(cmd, "-c", root.currentConfigFile),
              hasOption(cmd, "-p", root.runtimeDirectory + "/") || hasOption(cmd, "-p", root.runtimeDirectory) else {
            return .failure(.otherRoot(pid: pid, commandLine: String(cmd.prefix(300))))
        }
        return .success(RunningMaster(pid: pid, startTime: stat.startTime, group: stat.group == pid ? pid : 0))
    }

    /// True while this very process runs (not exited, not a zombie, pid not reused).
    var isAlive: Bool {
        guard let stat = ProcStat.read(pid) else { return false }
        return !stat.isZombie && stat.startTime == startTime
    }

    /// `/proc/PID/cmdline` with NULs as spaces, trimmed. NGINX rewrites its master's to
    /// `nginx: master process ARGV…`.
    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmed(where: { $0.isWhitespace && !$0.isNewline })
    }

    /// True when `cmd` has `option value` as whole words.
    private static func hasOption(_ cmd: String, _ option: String, _ value: String) -> Bool {
        let needle = " \(option) \(value)"
        return cmd.hasSuffix(needle) || cmd.contains(needle + " ")
    }
}

/// The fields of `/proc/PID/stat` the agent needs, parsed without trusting the text.
struct ProcStat: Sendable, Equatable {
    /// One letter: R, S, D, Z, T, …
    let state: Character
    let parent: Int32
    let group: Int32
    let startTime: UInt64

    var isZombie: Bool { state == "Z" || state == "X" }

    /// nil when the process does not exist or the line does not parse.
    static func read(_ pid: Int32) -> ProcStat? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// "PID (COMM) STATE PPID PGRP … STARTTIME …": COMM may hold spaces and parentheses, so the
    /// fields are counted after the last ')'. STATE is field 3, PPID field 4, PGRP field 5,
    /// STARTTIME field 22.
    static func parse(_ text: String) -> ProcStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 19, let state = fields[0].first, fields[0].count == 1, let parent = Int32(fields[1]),
              let group = Int32(fields[2]), let start = UInt64(fields[19]) else { return nil }
        return ProcStat(state: state, parent: parent, group: group, startTime: start)
    }
}
