#if canImport(Glibc)
import Glibc
#endif

/// Keeps a process's resident size close to what it holds (the controller and the agent). glibc keeps what a burst of work
/// freed (one arena per thread that allocated, up to eight per core), so without these the
/// resident size after an update is the peak of every update so far rather than what it holds.
public enum HeapTrim {
    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32
    /// glibc's `malloc_trim` and `mallopt` (declared in malloc.h, which the Glibc module does not export).
    private static let trim: Trim? = symbol("malloc_trim")
    private static let option: Option? = symbol("mallopt")
    /// `M_ARENA_MAX` and `M_MMAP_THRESHOLD` of malloc.h.
    private static let arenaMax: Int32 = -8
    private static let mmapThreshold: Int32 = -3

    private static func symbol<F>(_ name: String) -> F? {
        guard let s = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(s, to: F.self)
    }
    #endif

    /// Returns freed heap memory to the system.
    public static func releaseFreeMemory() {
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }

    /// Sets up malloc for a process that holds a large, long-lived heap; call first thing at
    /// start, before other threads allocate. Measured on the controller with 10k routes and ten
    /// agents:
    /// - at most `arenas` arenas (threads that have not allocated yet share the existing ones):
    ///   the controller's work hops between threads, and memory one thread's arena freed is
    ///   otherwise not reused by the others — about 13 MiB less resident;
    /// - allocations of 128 KiB and more always mapped on their own (glibc's initial threshold,
    ///   which it otherwise raises after the first such block is freed, up to 32 MiB): large
    ///   transient buffers (rebuilt history contents for a snapshot listing, encoded responses)
    ///   go back to the system when freed instead of staying in the heap — twenty
    ///   `tollgate snapshots list` calls over a full history grew it by 20 MiB, now by 3.
    public static func configureAllocator(arenas: Int32 = 2) {
        #if canImport(Glibc)
        _ = option?(arenaMax, arenas)
        _ = option?(mmapThreshold, 128 * 1024)
        #endif
    }
}
