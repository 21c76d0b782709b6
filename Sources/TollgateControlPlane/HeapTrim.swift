#if canImport(Glibc)
import Glibc
#endif

/// Keeps the controller's resident size close to what it holds. glibc keeps what a burst of work
/// freed (one arena per thread that allocated, up to eight per core), so without these the
/// resident size after an update is the peak of every update so far rather than what it holds.
public enum HeapTrim {
    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32
    /// glibc's `malloc_trim` and `mallopt` (declared in malloc.h, which the Glibc module does not export).
    private static let trim: Trim? = symbol("malloc_trim")
    private static let option: Option? = symbol("mallopt")
    /// `M_ARENA_MAX` of malloc.h.
    private static let arenaMax: Int32 = -8

    private static func symbol<F>(_ name: String) -> F? {
        guard let s = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(s, to: F.self)
    }
    #endif

    /// Returns freed heap memory to the system.
    static func releaseFreeMemory() {
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }

    /// Caps the number of malloc arenas for the rest of the process (threads that have not
    /// allocated yet share the existing ones). Call first thing at start: the controller's work
    /// hops between a few threads, and memory one thread's arena freed is otherwise not reused by
    /// the others. Controller with 10k routes and ten agents: about 13 MiB less resident.
    public static func limitArenas(_ count: Int32) {
        #if canImport(Glibc)
        _ = option?(arenaMax, count)
        #endif
    }
}
