/// A deterministic line diff (longest common subsequence after trimming the common prefix and
/// suffix) rendered as unified-diff hunks with three lines of context.
enum AgentLineDiff {
    enum Op: Equatable {
        case same(String), removed(String), added(String)
    }

    /// Above this many cells the middle is treated as a wholesale replacement (still a valid diff).
    static let maxCells = 4_000_000

    static func ops(_ a: [String], _ b: [String]) -> [Op] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let am = Array(a[prefix..<(a.count - suffix)]), bm = Array(b[prefix..<(b.count - suffix)])
        var out = a[..<prefix].map(Op.same)
        if am.count * bm.count > maxCells || am.isEmpty || bm.isEmpty {
            out += am.map(Op.removed) + bm.map(Op.added)
        } else {
            out += lcs(am, bm)
        }
        out += a[(a.count - suffix)...].map(Op.same)
        return out
    }

    private static func lcs(_ a: [String], _ b: [String]) -> [Op] {
        let n = a.count, m = b.count
        // table[i][j] = LCS length of a[i...] and b[j...]
        var table = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < n && j < m {
            if a[i] == b[j] { ops.append(.same(a[i])); i += 1; j += 1 }
            else if table[i + 1][j] >= table[i][j + 1] { ops.append(.removed(a[i])); i += 1 }
            else { ops.append(.added(b[j])); j += 1 }
        }
        ops += a[i...].map(Op.removed) + b[j...].map(Op.added)
        return ops
    }

    /// Unified hunks (`@@ -a,b +c,d @@` and ` `/`-`/`+` lines), empty when equal.
    static func hunks(_ a: [String], _ b: [String], context: Int = 3) -> [String] {
        let ops = ops(a, b)
        let changed = ops.indices.filter { if case .same = ops[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return [] }
        // Group changes whose context windows touch.
        var groups: [(Int, Int)] = []
        for c in changed {
            let lo = max(0, c - context), hi = min(ops.count - 1, c + context)
            if let last = groups.last, lo <= last.1 + 1 { groups[groups.count - 1].1 = hi } else { groups.append((lo, hi)) }
        }
        // Line numbers before each op.
        var oldLine = [Int](repeating: 0, count: ops.count + 1), newLine = oldLine
        for (k, op) in ops.enumerated() {
            switch op {
            case .same: oldLine[k + 1] = oldLine[k] + 1; newLine[k + 1] = newLine[k] + 1
            case .removed: oldLine[k + 1] = oldLine[k] + 1; newLine[k + 1] = newLine[k]
            case .added: oldLine[k + 1] = oldLine[k]; newLine[k + 1] = newLine[k] + 1
            }
        }
        var out: [String] = []
        for (lo, hi) in groups {
            let oldCount = oldLine[hi + 1] - oldLine[lo], newCount = newLine[hi + 1] - newLine[lo]
            let oldStart = oldCount == 0 ? oldLine[lo] : oldLine[lo] + 1
            let newStart = newCount == 0 ? newLine[lo] : newLine[lo] + 1
            out.append("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@")
            for op in ops[lo...hi] {
                switch op {
                case .same(let l): out.append(" " + l)
                case .removed(let l): out.append("-" + l)
                case .added(let l): out.append("+" + l)
                }
            }
        }
        return out
    }
}
