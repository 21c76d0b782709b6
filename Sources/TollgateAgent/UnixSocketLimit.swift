#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The size limit of a Unix socket address: a longer path cannot be bound or connected to.
public enum UnixSocketLimit {
    /// The longest path `sun_path` holds without its terminating NUL: 107 bytes on Linux, 103 on
    /// macOS.
    public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
}
