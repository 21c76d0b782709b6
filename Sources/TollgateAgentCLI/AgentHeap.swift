#if canImport(Glibc)
import Glibc
#endif

/// Keeps the agent's resident size close to what it holds, as `HeapTrim` does for the controller
/// (TollgateControlPlane, which the agent does not link): at most two malloc arenas, blocks of
/// 128 KiB and more mapped on their own (a version's file contents go back to the system when
/// freed), and the heap trimmed after each reload. Without these the agent's heap grew from 5 to
/// 12 MiB over 50 versions of a 1,000-route Gateway.
enum AgentHeap {
    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32
    /// glibc's `malloc_trim` and `mallopt` (malloc.h, which the Glibc module does not export).
    private static let trim: Trim? = symbol("malloc_trim")
    private static let option: Option? = symbol("mallopt")

    private static func symbol<F>(_ name: String) -> F? {
        guard let s = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(s, to: F.self)
    }
    #endif

    /// Call first thing, before other threads allocate.
    static func configure() {
        #if canImport(Glibc)
        _ = option?(-8, 2)           // M_ARENA_MAX
        _ = option?(-3, 128 * 1024)  // M_MMAP_THRESHOLD
        #endif
    }

    /// Returns freed heap memory to the system.
    static func trimFreeMemory() {
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }
}
