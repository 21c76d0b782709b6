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

/// A file sent as a change to one the agent already holds (the base, by sha256): runs of the base
/// to copy, and new bytes between them. One route's change to a server file of hundreds of routes
/// is then a few hundred bytes on the wire instead of the whole file, even when the change moves
/// the route's locations elsewhere in the file (a new path sorts elsewhere).
///
/// The new file is: for each copy in order, the next `literalBefore` bytes of `literal`, then
/// `length` bytes of the base from `baseOffset`; then the rest of `literal`. A common prefix and
/// suffix are the first and last copies.
///
/// Bytes, not characters: a run may end inside a multibyte UTF-8 sequence.
public struct Splice: Sendable, Equatable {
    /// A run of the base, after some new bytes.
    public struct Copy: Sendable, Equatable {
        public var literalBefore: Int
        public var baseOffset: Int
        public var length: Int

        public init(literalBefore: Int, baseOffset: Int, length: Int) {
            self.literalBefore = literalBefore; self.baseOffset = baseOffset; self.length = length
        }
    }

    /// Hex sha256 of the file the splice applies to.
    public var baseSHA256: String
    public var copies: [Copy]
    /// The new bytes, in order.
    public var literal: Data

    public init(baseSHA256: String, copies: [Copy], literal: Data) {
        self.baseSHA256 = baseSHA256; self.copies = copies; self.literal = literal
    }

    /// Bytes a splice costs on the wire besides its new bytes (base sha256, framing), and per copy.
    public static let overheadBytes = 96
    public static let bytesPerCopy = 16

    /// Files smaller than this are always sent whole: a splice could not save much.
    public static let minimumFileBytes = 1024

    /// What the splice costs on the wire, about.
    public var wireBytes: Int { literal.count + Self.overheadBytes + copies.count * Self.bytesPerCopy }

    /// The longest common prefix and then the longest common suffix of what is left, one pass
    /// each; `prefix + suffix` never exceeds the shorter of the two.
    public static func commonEnds(base: Data, target: Data) -> (prefix: Int, suffix: Int) {
        base.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            target.withUnsafeBytes { (t: UnsafeRawBufferPointer) in
                let limit = min(b.count, t.count)
                var prefix = 0
                while prefix < limit && b[prefix] == t[prefix] { prefix += 1 }
                var suffix = 0
                let room = limit - prefix
                while suffix < room && b[b.count - 1 - suffix] == t[t.count - 1 - suffix] { suffix += 1 }
                return (prefix, suffix)
            }
        }
    }

    /// The splice turning `base` into `target`, or nil when sending `target` whole is about as
    /// cheap: a small file, or a splice of half the file or more.
    public static func plan(base: Data, baseSHA256: String, target: Data) -> Splice? {
        guard target.count >= minimumFileBytes else { return nil }
        let splice = make(base: base, baseSHA256: baseSHA256, target: target)
        return splice.wireBytes * 2 < target.count ? splice : nil
    }

    /// A splice turning `base` into `target`, whatever it costs: the common prefix and suffix are
    /// kept, and between them each target line continues the base run it follows or, when it is a
    /// line found once in the base's middle, starts a run there; other lines are new bytes. O(n):
    /// lines are found by a 64-bit hash and their bytes compared before a run is used.
    public static func make(base: Data, baseSHA256: String, target: Data) -> Splice {
        let (prefix, suffix) = commonEnds(base: base, target: target)
        var builder = Builder()
        base.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            target.withUnsafeBytes { (t: UnsafeRawBufferPointer) in
                builder.copy(from: 0, length: prefix)
                let baseEnd = b.count - suffix
                // Lines of the base's middle found once there (and long enough to mean something),
                // by hash; a hash seen twice is no anchor.
                var anchors: [UInt64: Int] = [:]
                forEachLine(b, from: prefix, to: baseEnd) { start, end in
                    guard end - start >= 8 else { return }
                    let h = hash(b, start, end)
                    if anchors[h] == nil { anchors[h] = start } else { anchors[h] = -1 }
                }
                var cursor = -1  // where in the base the current run continues (-1: none)
                forEachLine(t, from: prefix, to: t.count - suffix) { start, end in
                    let n = end - start
                    if cursor >= 0, cursor + n <= baseEnd, equal(b, cursor, t, start, n) {
                        builder.copy(from: cursor, length: n)
                        cursor += n
                    } else if n >= 8, let at = anchors[hash(t, start, end)], at >= 0, at + n <= baseEnd, equal(b, at, t, start, n) {
                        builder.copy(from: at, length: n)
                        cursor = at + n
                    } else {
                        builder.add(t, start, end)
                        cursor = -1
                    }
                }
                builder.copy(from: baseEnd, length: suffix)
            }
        }
        return builder.splice(baseSHA256: baseSHA256)
    }

    /// Calls `body` with the bounds of each line (with its newline; the last maybe without) of
    /// `bytes[from..<to]`.
    static func forEachLine(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int, _ body: (Int, Int) -> Void) {
        var start = from
        var i = from
        while i < to {
            if bytes[i] == 0x0A {
                body(start, i + 1)
                start = i + 1
            }
            i += 1
        }
        if start < to { body(start, to) }
    }

    /// FNV-1a over `bytes[start..<end]`.
    static func hash(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in start..<end { h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01b3 }
        return h
    }

    static func equal(_ a: UnsafeRawBufferPointer, _ i: Int, _ b: UnsafeRawBufferPointer, _ j: Int, _ n: Int) -> Bool {
        memcmp(a.baseAddress! + i, b.baseAddress! + j, n) == 0
    }

    /// Collects copies and new bytes, joining adjacent runs of the base into one.
    struct Builder {
        var copies: [Copy] = []
        var literal = Data()
        var pendingLiteral = 0
        /// The run being extended (not yet in `copies`).
        var run: (offset: Int, length: Int)?

        mutating func copy(from offset: Int, length: Int) {
            guard length > 0 else { return }
            if let r = run, r.offset + r.length == offset {
                run = (r.offset, r.length + length)
            } else {
                closeRun()
                run = (offset, length)
            }
        }

        mutating func add(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) {
            closeRun()
            literal.append(contentsOf: bytes[start..<end])
            pendingLiteral += end - start
        }

            mutating func closeRun() {
            guard let r = run else { return }
            copies.append(Copy(literalBefore: pendingLiteral, baseOffset: r.offset, length: r.length))
            pendingLiteral = 0
            run = nil
        }

        mutating func splice(baseSHA256: String) -> Splice {
            closeRun()
            return Splice(baseSHA256: baseSHA256, copies: copies, literal: literal)
        }
    }

    /// The new file: the base's runs between the new bytes; nil when a run or the new bytes do
    /// not fit (not the base or the bytes this splice was made from).
    public func apply(to base: Data) -> Data? {
        var out = Data()
        var used = 0
        for c in copies {
            guard c.literalBefore >= 0, c.literalBefore <= literal.count - used,
                  c.baseOffset >= 0, c.length >= 0, c.baseOffset <= base.count - c.length else { return nil }
            let l = literal.startIndex + used
            out.append(literal.subdata(in: l..<(l + c.literalBefore)))
            used += c.literalBefore
            let s = base.startIndex + c.baseOffset
            out.append(base.subdata(in: s..<(s + c.length)))
        }
        out.append(literal.subdata(in: (literal.startIndex + used)..<literal.endIndex))
        return out
    }
}
