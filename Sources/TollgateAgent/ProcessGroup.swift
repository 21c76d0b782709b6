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

/// Cleans up NGINX workers a master left behind. A master killed with SIGKILL leaves its workers
/// running (they keep the listening sockets, so a new master could not bind). The supervised
/// master leads its own process group, so its orphans are found by that group id.
enum ProcessGroup {
    /// Live (non-zombie) processes named `nginx` in process group `pgid` (Linux `/proc`).
    static func nginxMembers(of pgid: Int32) -> [Int32] {
        guard pgid > 1, pgid != getpgrp() else { return [] }
        var out: [Int32] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let stat = ProcStat.read(pid), stat.group == pgid, !stat.isZombie,
                  let comm = try? String(contentsOfFile: "/proc/\(name)/comm", encoding: .utf8),
                  comm.trimmingWhitespace() == "nginx" else { continue }
            out.append(pid)
        }
        return out
    }

    /// True when `pid` has exited but was not reaped yet (Linux `/proc`).
    static func isZombie(_ pid: Int32) -> Bool { ProcStat.read(pid)?.isZombie ?? false }

    /// SIGKILLs every remaining `nginx` process of group `pgid`.
    static func killNginxRemnants(of pgid: Int32) {
        for pid in nginxMembers(of: pgid) { kill(pid, SIGKILL) }
    }
}
