/// A linear pre-scan of one YAML document, run before the text reaches libyaml and Yams.
///
/// Yams builds its `Node` tree recursively (one call chain per nesting level) and hashes mapping
/// keys in full, so hostile input could overflow a (small, concurrency) thread stack or make key
/// hashing exponential through aliases. This scan follows libyaml's scanner closely enough to know
/// where its tokens are (quoted, plain and block scalars, comments, flow brackets, block
/// indentation) and bounds, conservatively, how deeply the document nests. It never allocates per
/// byte and never recurses.
struct YAMLStructureScan {
    /// Why a document is refused before parsing.
    struct Refusal: Error, Equatable {
        /// 1-based line and column within the scanned text.
        var line: Int
        var column: Int
        var problem: String
    }

    /// Deepest nesting (collections inside collections) a document may have.
    static let maxDepth = 100

    /// Scans `text`; throws a `Refusal` when it nests deeper than `maxDepth` or combines aliases
    /// with non-scalar mapping keys (which Yams hashes in full, expanding every alias).
    static func check(_ text: String) throws(Refusal) {
        var copy = text
        var refusal: Refusal?
        copy.withUTF8 { bytes in
            var scanner = YAMLStructureScan(bytes)
            scanner.run()
            refusal = scanner.refusal
        }
        if let refusal { throw refusal }
    }

    private struct SimpleKey {
        var possible = false
        var line = 0
        var index = 0
        var column = 0
        /// The key starts with a scalar (not a flow collection, alias, anchor or tag).
        var scalar = true
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    private var line = 0
    private var column = 0
    /// Characters (not bytes) consumed, as libyaml counts for the 1024-character simple-key limit.
    private var index = 0

    private var indent = -1
    /// Indentation levels pushed before the current one (libyaml's `indents`).
    private var indents: [Int] = []
    /// Per pushed level: opened by a mapping, and whether an indentless sequence sits in it.
    private var levelIsMapping: [Bool] = []
    private var levelHasIndentless: [Bool] = []
    private var indentless = 0

    private var flowLevel = 0
    /// Per open flow collection: a sequence (`[`), and whether it holds single-pair mappings.
    private var flowIsSequence: [Bool] = []
    private var flowHasPairs: [Bool] = []
    private var flowPairs = 0

    private var simpleKeyAllowed = true
    private var simpleKeys: [SimpleKey] = [SimpleKey()]

    private var aliases = 0
    private var complexKey: (line: Int, column: Int)?
    private(set) var refusal: Refusal?

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: - Characters

    private func byte(_ offset: Int = 0) -> UInt8 {
        let p = pos + offset
        return p < bytes.count ? bytes[p] : 0
    }

    /// libyaml stops at the end of input and refuses NUL, so both end the scan.
    private var atEnd: Bool { pos >= bytes.count || bytes[pos] == 0 }

    private func isBlank(_ offset: Int = 0) -> Bool { let b = byte(offset); return b == 0x20 || b == 0x09 }

    /// Line break width at `offset` (CR, LF, CRLF, NEL, LS, PS), 0 when none.
    private func breakWidth(_ offset: Int = 0) -> Int {
        switch byte(offset) {
        case 0x0A: return 1
        case 0x0D: return byte(offset + 1) == 0x0A ? 2 : 1
        case 0xC2: return byte(offset + 1) == 0x85 ? 2 : 0
        case 0xE2: return byte(offset + 1) == 0x80 && (byte(offset + 2) == 0xA8 || byte(offset + 2) == 0xA9) ? 3 : 0
        default: return 0
        }
    }

    private func isBreak(_ offset: Int = 0) -> Bool { breakWidth(offset) > 0 }

    private func isBlankZ(_ offset: Int = 0) -> Bool {
        pos + offset >= bytes.count || byte(offset) == 0 || isBlank(offset) || isBreak(offset)
    }

    private func isAlpha(_ offset: Int = 0) -> Bool {
        let b = byte(offset)
        return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// Consumes one character (1-4 bytes).
    private mutating func skip() {
        guard pos < bytes.count else { return }
        let b = bytes[pos]
        pos += b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        column += 1
        index += 1
    }

    private mutating func skipLine() {
        let w = breakWidth()
        guard w > 0 else { return }
        pos += w
        line += 1
        column = 0
        index += 1
    }

    private func isDocumentIndicator() -> Bool {
        guard column == 0 else { return false }
        let b = byte()
        guard b == 0x2D || b == 0x2E else { return false }
        return byte(1) == b && byte(2) == b && isBlankZ(3)
    }

    // MARK: - Depth

    private var depth: Int { indents.count + indentless + flowLevel + flowPairs }

    private mutating func checkDepth() {
        if refusal == nil, depth > Self.maxDepth {
            refusal = Refusal(line: line + 1, column: column + 1,
                              problem: "nesting deeper than \(Self.maxDepth) levels")
        }
    }

    private mutating func rollIndent(_ at: Int, mapping: Bool) {
        guard flowLevel == 0 else { return }
        if indent < at {
            indents.append(indent)
            levelIsMapping.append(mapping)
            levelHasIndentless.append(false)
            indent = at
            checkDepth()
        }
    }

    private mutating func unrollIndent(_ to: Int) {
        guard flowLevel == 0 else { return }
        while indent > to, let previous = indents.popLast() {
            indent = previous
            levelIsMapping.removeLast()
            if levelHasIndentless.removeLast() { indentless -= 1 }
        }
    }

    // MARK: - Simple keys

    private mutating func saveSimpleKey(scalar: Bool) {
        guard simpleKeyAllowed else { return }
        simpleKeys[simpleKeys.count - 1] = SimpleKey(possible: true, line: line, index: index, column: column, scalar: scalar)
    }

    private mutating func removeSimpleKey() { simpleKeys[simpleKeys.count - 1].possible = false }

    private mutating func staleSimpleKeys() {
        for i in simpleKeys.indices where simpleKeys[i].possible {
            if simpleKeys[i].line < line || simpleKeys[i].index + 1024 < index { simpleKeys[i].possible = false }
        }
    }

    private mutating func noteComplexKey(line: Int, column: Int) {
        if complexKey == nil { complexKey = (line, column) }
    }

    /// A `:` or `?` inside a flow sequence makes a single-pair mapping: one more level.
    private mutating func notePairInFlowSequence() {
        guard flowLevel > 0, let isSequence = flowIsSequence.last, isSequence, flowHasPairs.last == false else { return }
        flowHasPairs[flowHasPairs.count - 1] = true
        flowPairs += 1
        checkDepth()
    }

    // MARK: - Scan

    private mutating func run() {
        while refusal == nil {
            scanToNextToken()
            staleSimpleKeys()
            unrollIndent(column)
            if atEnd { break }
            fetchToken()
        }
        if refusal == nil, aliases > 0, let key = complexKey {
            refusal = Refusal(line: key.line + 1, column: key.column + 1,
                              problem: "a mapping key that is not a plain string cannot be combined with aliases")
        }
    }

    private mutating func scanToNextToken() {
        while !atEnd {
            if column == 0, byte() == 0xEF, byte(1) == 0xBB, byte(2) == 0xBF { skip() }
            while byte() == 0x20 || ((flowLevel > 0 || !simpleKeyAllowed) && byte() == 0x09) { skip() }
            if byte() == 0x23 { while !atEnd && !isBreak() { skip() } }
            guard isBreak() else { return }
            skipLine()
            if flowLevel == 0 { simpleKeyAllowed = true }
        }
    }

    private mutating func fetchToken() {
        let c = byte()
        if column == 0 && c == 0x25 {                        // % directive: the rest of the line
            unrollIndent(-1); removeSimpleKey(); simpleKeyAllowed = false
            while !atEnd && !isBreak() { skip() }
            return
        }
        if isDocumentIndicator() {
            unrollIndent(-1); removeSimpleKey(); simpleKeyAllowed = false
            skip(); skip(); skip()
            return
        }
        switch c {
        case 0x5B, 0x7B:                                     // [ {
            saveSimpleKey(scalar: false)
            simpleKeys.append(SimpleKey())
            flowLevel += 1
            flowIsSequence.append(c == 0x5B)
            flowHasPairs.append(false)
            simpleKeyAllowed = true
            skip()
            checkDepth()
        case 0x5D, 0x7D:                                     // ] }
            removeSimpleKey()
            if flowLevel > 0 {
                flowLevel -= 1
                simpleKeys.removeLast()
                flowIsSequence.removeLast()
                if flowHasPairs.removeLast() { flowPairs -= 1 }
            }
            simpleKeyAllowed = false
            skip()
        case 0x2C:                                           // ,
            removeSimpleKey()
            simpleKeyAllowed = true
            skip()
        case 0x2D where isBlankZ(1):                         // - block entry
            if flowLevel == 0 {
                if indent < column {
                    rollIndent(column, mapping: false)
                } else if indent == column, levelIsMapping.last == true, levelHasIndentless.last == false {
                    levelHasIndentless[levelHasIndentless.count - 1] = true
                    indentless += 1
                    checkDepth()
                }
            }
            removeSimpleKey()
            simpleKeyAllowed = true
            skip()
        case 0x3F where flowLevel > 0 || isBlankZ(1):        // ? explicit key
            noteComplexKey(line: line, column: column)
            rollIndent(column, mapping: true)
            notePairInFlowSequence()
            removeSimpleKey()
            simpleKeyAllowed = flowLevel == 0
            skip()
        case 0x3A where flowLevel > 0 || isBlankZ(1):        // : value
            fetchValue()
        case 0x2A, 0x26:                                     // * alias, & anchor
            if c == 0x2A { aliases += 1 }
            saveSimpleKey(scalar: false)
            simpleKeyAllowed = false
            skip()
            while isAlpha() { skip() }
        case 0x21:                                           // ! tag
            saveSimpleKey(scalar: false)
            simpleKeyAllowed = false
            scanTag()
        case 0x7C where flowLevel == 0, 0x3E where flowLevel == 0:  // | > block scalar
            removeSimpleKey()
            simpleKeyAllowed = true
            scanBlockScalar()
        case 0x27, 0x22:                                     // ' "
            saveSimpleKey(scalar: true)
            simpleKeyAllowed = false
            scanQuoted(single: c == 0x27)
        default:
            if startsPlainScalar(c) {
                saveSimpleKey(scalar: true)
                simpleKeyAllowed = false
                scanPlain()
            } else {
                skip()                                       // libyaml fails here; keep scanning
            }
        }
    }

    private mutating func fetchValue() {
        let top = simpleKeys.count - 1
        if simpleKeys[top].possible {
            let key = simpleKeys[top]
            if !key.scalar { noteComplexKey(line: key.line, column: key.column) }
            rollIndent(key.column, mapping: true)
            simpleKeys[top].possible = false
            simpleKeyAllowed = false
        } else {
            rollIndent(column, mapping: true)
            simpleKeyAllowed = flowLevel == 0
        }
        notePairInFlowSequence()
        skip()
    }

    /// Bytes that cannot start a plain scalar on their own.
    private static let indicators = byteSet("-?:,[]{}#&*!|>'\"%@`")
    /// Bytes a tag may contain besides letters, digits, `_` and `-`.
    private static let tagBytes = byteSet(";/?:@&=+$.%!~*'()")
    private static let verbatimTagBytes = byteSet(";/?:@&=+$.%!~*'(),[]")

    private static func byteSet(_ s: String) -> [Bool] {
        var table = [Bool](repeating: false, count: 256)
        for b in s.utf8 { table[Int(b)] = true }
        return table
    }

    private func startsPlainScalar(_ c: UInt8) -> Bool {
        if !isBlankZ() && !Self.indicators[Int(c)] { return true }
        if c == 0x2D && !isBlank(1) { return true }
        return flowLevel == 0 && (c == 0x3F || c == 0x3A) && !isBlankZ(1)
    }

    private mutating func scanTag() {
        skip()                                               // !
        if byte() == 0x3C {                                  // !<verbatim>
            skip()
            while !atEnd && (isAlpha() || Self.verbatimTagBytes[Int(byte())]) { skip() }
            if byte() == 0x3E { skip() }
            return
        }
        while !atEnd && (isAlpha() || Self.tagBytes[Int(byte())]) { skip() }
    }

    private mutating func scanQuoted(single: Bool) {
        let quote: UInt8 = single ? 0x27 : 0x22
        skip()
        while !atEnd {
            // A document marker inside a quoted scalar is a libyaml error; it also ends this scan.
            if isDocumentIndicator() { return }
            while !isBlankZ() {
                let c = byte()
                if single && c == 0x27 && byte(1) == 0x27 {
                    skip(); skip()
                } else if c == quote {
                    skip()
                    return
                } else if !single && c == 0x5C {                 // backslash escape
                    skip()
                    if isBreak() { break }
                    if !atEnd { skip() }
                } else {
                    skip()
                }
            }
            while isBlank() || isBreak() {
                if isBlank() { skip() } else { skipLine() }
            }
        }
    }

    private mutating func scanPlain() {
        let minColumn = indent + 1
        var leadingBlanks = false
        while !atEnd {
            if isDocumentIndicator() || byte() == 0x23 { break }
            while !isBlankZ() {
                let c = byte()
                if c == 0x3A && isBlankZ(1) { return finishPlain(leadingBlanks) }
                if flowLevel > 0 && (c == 0x3A || c == 0x2C || c == 0x5B || c == 0x5D || c == 0x7B || c == 0x7D) {
                    if c != 0x3A { return finishPlain(leadingBlanks) }
                    let n = byte(1)
                    if n == 0x2C || n == 0x3F || n == 0x5B || n == 0x5D || n == 0x7B || n == 0x7D {
                        return finishPlain(leadingBlanks)            // libyaml: "found unexpected ':'"
                    }
                }
                leadingBlanks = false
                skip()
            }
            guard isBlank() || isBreak() else { break }
            while isBlank() || isBreak() {
                if isBlank() { skip() } else { skipLine(); leadingBlanks = true }
            }
            if flowLevel == 0 && column < minColumn { break }
        }
        finishPlain(leadingBlanks)
    }

    private mutating func finishPlain(_ leadingBlanks: Bool) {
        if leadingBlanks { simpleKeyAllowed = true }
    }

    private mutating func scanBlockScalar() {
        skip()                                               // | or >
        var increment = 0
        for _ in 0..<2 {
            let c = byte()
            if c == 0x2B || c == 0x2D { skip() } else if c >= 0x31 && c <= 0x39 { increment = Int(c - 0x30); skip() }
        }
        while isBlank() { skip() }
        if byte() == 0x23 { while !atEnd && !isBreak() { skip() } }
        guard atEnd || isBreak() else { return }             // libyaml fails; keep scanning
        skipLine()
        var blockIndent = increment > 0 ? (indent >= 0 ? indent + increment : increment) : 0
        blockScalarBreaks(&blockIndent)
        while column == blockIndent && !atEnd {
            while !atEnd && !isBreak() { skip() }
            if atEnd { return }
            skipLine()
            blockScalarBreaks(&blockIndent)
        }
    }

    private mutating func blockScalarBreaks(_ blockIndent: inout Int) {
        var maxIndent = 0
        while true {
            while (blockIndent == 0 || column < blockIndent) && byte() == 0x20 { skip() }
            if column > maxIndent { maxIndent = column }
            if (blockIndent == 0 || column < blockIndent) && byte() == 0x09 { break }   // libyaml fails
            guard isBreak() else { break }
            skipLine()
        }
        if blockIndent == 0 { blockIndent = max(maxIndent, indent + 1, 1) }
    }
}
