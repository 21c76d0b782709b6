/// A minimal line diff (Myers' O(ND) algorithm, linear-space "middle snake" bisection) and the
/// grouping of its edit script into unified-diff hunks. Internal; `UnifiedDiff` is the public face.
struct LineDiff {
    /// One line of a file: its bytes without the "\n" terminator (a "\r" stays part of the line),
    /// and whether a "\n" followed it (only the last line of a file can lack one). Lines are
    /// compared byte for byte, never by Unicode equivalence.
    struct Line: Hashable {
        var bytes: ArraySlice<UInt8>
        var hasNewline: Bool
    }

    enum Op: Equatable {
        case equal(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// Splits bytes into lines the way `diff` does.
    static func lines(_ bytes: [UInt8]) -> [Line] {
        if bytes.isEmpty { return [] }
        var parts = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = bytes.last == UInt8(ascii: "\n")
        if endsWithNewline { parts.removeLast() }
        let last = parts.count - 1
        return parts.enumerated().map { i, s in Line(bytes: s, hasNewline: endsWithNewline || i < last) }
    }

    /// The edit script turning `a` into `b`, in order; deletions precede insertions in a change.
    static func ops<T: Hashable>(_ a: [T], _ b: [T]) -> [Op] {
        // Compare small integers instead of lines.
        var ids: [T: Int] = [:]
        func id(_ e: T) -> Int {
            if let id = ids[e] { return id }
            let id = ids.count
            ids[e] = id
            return id
        }
        let xa = a.map(id)
        let yb = b.map(id)

        var deleted = [Bool](repeating: false, count: xa.count)
        var inserted = [Bool](repeating: false, count: yb.count)
        var solver = Solver(a: xa, b: yb, deleted: deleted, inserted: inserted)
        solver.diff(0, xa.count, 0, yb.count)
        deleted = solver.deleted
        inserted = solver.inserted
        slideRuns(&deleted, xa)
        slideRuns(&inserted, yb)

        var result: [Op] = []
        result.reserveCapacity(max(xa.count, yb.count))
        var i = 0, j = 0
        while i < xa.count || j < yb.count {
            if i < xa.count && deleted[i] {
                result.append(.delete(i)); i += 1
            } else if j < yb.count && inserted[j] {
                result.append(.insert(j)); j += 1
            } else {
                result.append(.equal(i, j)); i += 1; j += 1
            }
        }
        return result
    }

    /// Moves each run of changed lines as far down as it can go while staying an equally short
    /// diff (the line after the run equals its first line), merging runs it meets, as GNU diff
    /// does. An inserted block then ends with its own closing brace rather than borrowing the
    /// previous block's.
    static func slideRuns(_ changed: inout [Bool], _ x: [Int]) {
        let n = changed.count
        var i = 0
        while i < n {
            if !changed[i] { i += 1; continue }
            var s = i, e = i
            while e < n && changed[e] { e += 1 }
            // Up first, to merge with earlier runs; then all the way down.
            while s > 0 && !changed[s - 1] && x[s - 1] == x[e - 1] {
                changed[e - 1] = false; changed[s - 1] = true
                s -= 1; e -= 1
                while s > 0 && changed[s - 1] { s -= 1 }
            }
            while e < n && !changed[e] && x[s] == x[e] {
                changed[s] = false; changed[e] = true
                s += 1; e += 1
                while e < n && changed[e] { e += 1 }
            }
            i = e
        }
    }

    private struct Solver {
        let a: [Int]
        let b: [Int]
        var deleted: [Bool]
        var inserted: [Bool]

        /// Marks the deletions and insertions turning a[aLo..<aHi] into b[bLo..<bHi].
        mutating func diff(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) {
            var aLo = aLo, aHi = aHi, bLo = bLo, bHi = bHi
            while aLo < aHi && bLo < bHi && a[aLo] == b[bLo] { aLo += 1; bLo += 1 }
            while aLo < aHi && bLo < bHi && a[aHi - 1] == b[bHi - 1] { aHi -= 1; bHi -= 1 }
            if aLo == aHi {
                for j in bLo..<bHi { inserted[j] = true }
                return
            }
            if bLo == bHi {
                for i in aLo..<aHi { deleted[i] = true }
                return
            }
            if let (x, y) = bisect(aLo, aHi, bLo, bHi) {
                diff(aLo, x, bLo, y)
                diff(x, aHi, y, bHi)
            } else {
                for i in aLo..<aHi { deleted[i] = true }
                for j in bLo..<bHi { inserted[j] = true }
            }
        }

        /// Finds the middle snake of an optimal path; returns the split point (absolute indices),
        /// or nil when the ranges share nothing.
        func bisect(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> (Int, Int)? {
            let n = aHi - aLo, m = bHi - bLo
            let maxD = (n + m + 1) / 2
            let offset = maxD
            let length = 2 * maxD + 2
            var v1 = [Int](repeating: -1, count: length)
            var v2 = [Int](repeating: -1, count: length)
            v1[offset + 1] = 0
            v2[offset + 1] = 0
            let delta = n - m
            let front = delta % 2 != 0
            var k1start = 0, k1end = 0, k2start = 0, k2end = 0
            for d in 0..<maxD {
                // Forward path.
                var k1 = -d + k1start
                while k1 <= d - k1end {
                    let k1o = offset + k1
                    var x1: Int
                    if k1 == -d || (k1 != d && v1[k1o - 1] < v1[k1o + 1]) {
                        x1 = v1[k1o + 1]
                    } else {
                        x1 = v1[k1o - 1] + 1
                    }
                    var y1 = x1 - k1
                    while x1 < n && y1 < m && a[aLo + x1] == b[bLo + y1] { x1 += 1; y1 += 1 }
                    v1[k1o] = x1
                    if x1 > n {
                        k1end += 2
                    } else if y1 > m {
                        k1start += 2
                    } else if front {
                        let k2o = offset + delta - k1
                        if k2o >= 0 && k2o < length && v2[k2o] != -1 {
                            let x2 = n - v2[k2o]
                            if x1 >= x2 { return (aLo + x1, bLo + y1) }
                        }
                    }
                    k1 += 2
                }
                // Reverse path.
                var k2 = -d + k2start
                while k2 <= d - k2end {
                    let k2o = offset + k2
                    var x2: Int
                    if k2 == -d || (k2 != d && v2[k2o - 1] < v2[k2o + 1]) {
                        x2 = v2[k2o + 1]
                    } else {
                        x2 = v2[k2o - 1] + 1
                    }
                    var y2 = x2 - k2
                    while x2 < n && y2 < m && a[aLo + n - x2 - 1] == b[bLo + m - y2 - 1] { x2 += 1; y2 += 1 }
                    v2[k2o] = x2
                    if x2 > n {
                        k2end += 2
                    } else if y2 > m {
                        k2start += 2
                    } else if !front {
                        let k1o = offset + delta - k2
                        if k1o >= 0 && k1o < length && v1[k1o] != -1 {
                            let x1 = v1[k1o]
                            let y1 = offset + x1 - k1o
                            if x1 >= n - x2 { return (aLo + x1, bLo + y1) }
                        }
                    }
                    k2 += 2
                }
            }
            return nil
        }
    }

    /// One `@@` hunk: 0-based start and count in each file, and its ops.
    struct Hunk {
        var aStart: Int, aCount: Int, bStart: Int, bCount: Int
        var ops: ArraySlice<Op>
    }

    /// Groups an edit script into hunks with `context` lines of context; changes separated by at
    /// most 2 × context unchanged lines share a hunk (as `diff -u` does).
    static func hunks(_ ops: [Op], context: Int = 3) -> [Hunk] {
        let changes = ops.indices.filter { if case .equal = ops[$0] { return false } else { return true } }
        guard !changes.isEmpty else { return [] }
        var groups: [(Int, Int)] = []  // op index ranges (first change, last change)
        var start = changes[0], end = changes[0]
        for c in changes.dropFirst() {
            if c - end - 1 > 2 * context {
                groups.append((start, end)); start = c
            }
            end = c
        }
        groups.append((start, end))

        // Lines of each side consumed before every op.
        var aBefore = [Int](repeating: 0, count: ops.count)
        var bBefore = [Int](repeating: 0, count: ops.count)
        var ai = 0, bi = 0
        for (k, op) in ops.enumerated() {
            aBefore[k] = ai; bBefore[k] = bi
            switch op {
            case .equal: ai += 1; bi += 1
            case .delete: ai += 1
            case .insert: bi += 1
            }
        }

        return groups.map { first, last in
            let lo = max(0, first - context)
            let hi = min(ops.count - 1, last + context)
            let slice = ops[lo...hi]
            var aCount = 0, bCount = 0
            for op in slice {
                switch op {
                case .equal: aCount += 1; bCount += 1
                case .delete: aCount += 1
                case .insert: bCount += 1
                }
            }
            return Hunk(aStart: aBefore[lo], aCount: aCount, bStart: bBefore[lo], bCount: bCount, ops: slice)
        }
    }
}
