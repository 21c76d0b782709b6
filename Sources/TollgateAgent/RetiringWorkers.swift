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

/// The worker processes a master ran just before a reload, to tell when none of them accepts new
/// connections any more (Linux `/proc`).
///
/// On SIGHUP the master starts new workers, waits 100 ms, then tells the old ones to shut down
/// gracefully. An old worker renames itself `nginx: worker process is shutting down` and closes its
/// listening sockets in the same step, before it returns to its event loop: from then on it accepts
/// nothing, though it may finish requests already under way. So once every old worker has exited
/// or says it is shutting down, every new connection reaches a worker of the new configuration —
/// what `ConfigApplier` waits for before it reports a version applied (without this, it waits for
/// the probe to answer only the new version for a fixed time).
struct RetiringWorkers: Sendable, Equatable {
    /// The workers that accepted connections: pid and start time (so a reused pid is not mistaken
    /// for one of them).
    let workers: [Worker]

    struct Worker: Sendable, Equatable {
        let pid: Int32
        let startTime: UInt64
    }

    /// No workers: the master is being started, not reloaded.
    static let starting = RetiringWorkers(workers: [])

    /// The accepting workers of `master` now; nil when `/proc` cannot tell (no such process, or
    /// its children are not visible).
    static func accepting(ofMaster master: Int32) -> RetiringWorkers? {
        guard master > 1, ProcStat.read(master) != nil, let children = children(of: master) else { return nil }
        var out: [Worker] = []
        for pid in children {
            guard let stat = ProcStat.read(pid), stat.parent == master, !stat.isZombie else { continue }
            let cmd = RunningMaster.commandLine(pid)
            guard cmd.hasPrefix("nginx: worker process"), !cmd.contains("shutting down") else { continue }
            out.append(Worker(pid: pid, startTime: stat.startTime))
        }
        return RetiringWorkers(workers: out)
    }

    /// True once each worker has exited, is a zombie, or says it is shutting down.
    var allRetired: Bool {
        workers.allSatisfy { w in
            guard let stat = ProcStat.read(w.pid), stat.startTime == w.startTime, !stat.isZombie else { return true }
            return RunningMaster.commandLine(w.pid).contains("shutting down")
        }
    }

    /// The pids of `parent`'s children: `/proc/PID/task/PID/children` where the kernel provides
    /// it, else a scan of `/proc` for processes whose parent is `parent`.
    private static func children(of parent: Int32) -> [Int32]? {
        if let text = try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8) {
            return text.split(separator: " ").compactMap { Int32($0.trimmingWhitespace()) }
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        return names.compactMap(Int32.init).filter { ProcStat.read($0)?.parent == parent }
    }
}
