#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program started with `posix_spawn` (FoundationEssentials has no `Process`, and the agent
/// does not link full Foundation). Like Foundation's `Process` on Linux, the child leads its own
/// process group and inherits no descriptor but 0, 1 and 2; unlike it, signal dispositions and
/// the signal mask are reset, and the exit is seen as soon as the child ends (a thread blocked in
/// `waitpid`, not a descriptor the child's own children inherit).
struct ChildProcess: Sendable {
    let pid: Int32

    /// Starts `executable` with `arguments` and the agent's environment: standard input from
    /// `/dev/null`, standard output and error appended to the files at `stdout` and `stderr`
    /// (`/dev/null` when nil).
    static func spawn(_ executable: String, _ arguments: [String], stdout: String?, stderr: String?) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        if let stderr, stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        }
        #if canImport(Glibc)
        // POSIX_SPAWN_CLOEXEC_DEFAULT is Apple's; close what is open now (as Foundation does).
        for fd in Self.openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        #endif
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        var flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        #if canImport(Darwin)
        flags |= POSIX_SPAWN_CLOEXEC_DEFAULT
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw AgentError("cannot run \(executable): \(String(cString: strerror(rc)))")
        }
        return ChildProcess(pid: pid)
    }

    /// The descriptors open in this process (Linux `/proc/self/fd`).
    private static func openDescriptors() -> [Int32] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var out: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd != own { out.append(fd) }
        }
        return out
    }

    /// Reaps the child on a thread of its own and then calls `handler` with its exit code (or the
    /// number of the signal that ended it), as Foundation's `terminationStatus` does.
    func onExit(_ handler: @escaping @Sendable (Int32) -> Void) {
        let pid = self.pid
        WaiterThread.start {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let signal = status & 0x7f
            handler(signal == 0 ? (status >> 8) & 0xff : signal)
        }
    }

    /// The child's exit status (see `onExit`), without blocking a Swift concurrency thread.
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { c in onExit { c.resume(returning: $0) } }
    }
}

/// A detached thread that runs one blocking closure (a `waitpid`): blocking calls must not
/// occupy the Swift concurrency pool or Dispatch's width-limited global queues.
private enum WaiterThread {
    final class Body { let run: @Sendable () -> Void; init(_ run: @escaping @Sendable () -> Void) { self.run = run } }

    static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        let rc = pthread_create(&thread, nil, { arg in
            Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box)
        if rc == 0 {
            #if canImport(Glibc)
            pthread_detach(thread)
            #else
            pthread_detach(thread!)
            #endif
        } else {
            Unmanaged<Body>.fromOpaque(box).takeRetainedValue().run()
        }
    }
}
