#if canImport(Glibc)
import Glibc
#endif

/// Returns freed heap memory to the system. glibc keeps what a burst of work freed (one arena
/// per thread that allocated), so without it the controller's resident size after an update is
/// the peak of every update so far rather than what it holds.
enum HeapTrim {
    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    /// glibc's `malloc_trim` (declared in malloc.h, which the Glibc module does not export).
    private static let trim: Trim? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
    }()
    #endif

    static func releaseFreeMemory() {
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }
}
