#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Cleans up NGINX workers a master left behind. A master killed with SIGKILL leaves its workers
/// running (they keep the listening sockets, so a new master could not bind). The supervised
/// master leads its own process group, so its orphans are found by that group id.
enum ProcessGroup {
    /// Live (non-zombie) processes named `nginx` in process group `pgid` (Linux `/proc`).
    static func nginxMembers(of pgid: Int32) -> [Int32] {
        guard pgid > 1, pgid != getpgrp() else { return [] }
        var out: [Int32] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8) else { continue }
            // "PID (COMM) STATE PPID PGRP ..." — COMM may contain spaces; parse after the last ')'.
            guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard comm == "nginx", fields.count > 3, fields[0] != "Z", Int32(fields[2]) == pgid else { continue }
            out.append(pid)
        }
        return out
    }

    /// True when `pid` has exited but was not reaped yet (Linux `/proc`).
    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// SIGKILLs every remaining `nginx` process of group `pgid`.
    static func killNginxRemnants(of pgid: Int32) {
        for pid in nginxMembers(of: pgid) { kill(pid, SIGKILL) }
    }
}
