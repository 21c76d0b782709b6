import Foundation

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
    /// line found once in the base's middle, starts a run there; other lines are new bytes. O(n).
    public static func make(base: Data, baseSHA256: String, target: Data) -> Splice {
        let b = [UInt8](base), t = [UInt8](target)
        let (prefix, suffix) = commonEnds(base: base, target: target)
        var builder = Builder()
        builder.copy(from: 0, length: prefix)
        let baseMiddle = prefix..<(b.count - suffix), targetMiddle = prefix..<(t.count - suffix)
        // Lines of the base's middle found once there (and long enough to mean something).
        var anchors: [ArraySlice<UInt8>: Int] = [:]
        var seen: Set<ArraySlice<UInt8>> = []
        for line in lines(b, in: baseMiddle) where line.count >= 8 {
            let key = b[line]
            if seen.insert(key).inserted { anchors[key] = line.lowerBound } else { anchors[key] = nil }
        }
        var cursor: Int?  // where in the base the current run continues
        for line in lines(t, in: targetMiddle) {
            let text = t[line]
            if let c = cursor, c + text.count <= baseMiddle.upperBound, b[c..<(c + text.count)] == text {
                builder.copy(from: c, length: text.count)
                cursor = c + text.count
            } else if let at = anchors[text] {
                builder.copy(from: at, length: text.count)
                cursor = at + text.count
            } else {
                builder.add(text)
                cursor = nil
            }
        }
        builder.copy(from: b.count - suffix, length: suffix)
        return builder.splice(baseSHA256: baseSHA256)
    }

    /// Ranges of the lines (each with its newline, the last maybe without) of `bytes` in `range`.
    static func lines(_ bytes: [UInt8], in range: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if bytes[i] == UInt8(ascii: "\n") {
                out.append(start..<(i + 1))
                start = i + 1
            }
            i += 1
        }
        if start < range.upperBound { out.append(start..<range.upperBound) }
        return out
    }

    /// Collects copies and new bytes, joining adjacent runs of the base into one.
    struct Builder {
        var copies: [Copy] = []
        var literal: [UInt8] = []
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

        mutating func add(_ bytes: ArraySlice<UInt8>) {
            closeRun()
            literal += bytes
            pendingLiteral += bytes.count
        }

            mutating func closeRun() {
            guard let r = run else { return }
            copies.append(Copy(literalBefore: pendingLiteral, baseOffset: r.offset, length: r.length))
            pendingLiteral = 0
            run = nil
        }

        mutating func splice(baseSHA256: String) -> Splice {
            closeRun()
            return Splice(baseSHA256: baseSHA256, copies: copies, literal: Data(literal))
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
