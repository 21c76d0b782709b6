import Testing
@testable import TollgateManifests

/// The YAML event reader runs before the structure pre-scan and gives up past
/// `YAMLEventReader.maxDepth` levels. These random documents of known nesting — block mappings and
/// sequences, indentless sequences, flow sequences, mappings and single-pair mappings, mixed —
/// check that this order changes nothing: every document the event reader builds is one the scan
/// accepts, and at every depth (up to well past the scan's limit) decoding gives what the checked
/// Yams path gives.
@Suite struct ManifestEventDepthTests {
    /// A small deterministic generator (SplitMix64).
    struct RNG {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    enum Rendered { case inline(String), lines(String) }

    /// A value with exactly `depth` nested collections, written at `indent`.
    static func block(_ depth: Int, indent: Int, _ rng: inout RNG) -> Rendered {
        if depth == 0 { return .inline(["v", "'q'", "1", "\"d\""][rng.next(4)]) }
        let pad = String(repeating: " ", count: indent)
        func attach(_ head: String, _ child: Rendered) -> String {
            switch child {
            case .inline(let s): return pad + head + " " + s + "\n"
            case .lines(let s): return pad + head + "\n" + s
            }
        }
        switch rng.next(depth >= 2 ? 5 : 4) {
        case 0: return .lines(attach("k:", block(depth - 1, indent: indent + 2, &rng)))
        case 1: return .lines(attach("-", block(depth - 1, indent: indent + 2, &rng)))
        case 2, 3: return .inline(flow(depth, &rng))
        default:
            // A mapping whose value is an indentless sequence: two levels.
            return .lines(pad + "k:\n" + attach("-", block(depth - 2, indent: indent + 2, &rng)))
        }
    }

    /// A flow value with exactly `depth` nested collections.
    static func flow(_ depth: Int, _ rng: inout RNG) -> String {
        if depth == 0 { return ["v", "'q'", "2"][rng.next(3)] }
        switch rng.next(depth >= 2 ? 3 : 2) {
        case 0: return "[" + flow(depth - 1, &rng) + "]"
        case 1: return "{k: " + flow(depth - 1, &rng) + "}"
        default: return "[k: " + flow(depth - 2, &rng) + "]"     // a single-pair mapping in a sequence
        }
    }

    static func document(depth: Int, seed: UInt64) -> String {
        var rng = RNG(state: seed)
        switch block(depth, indent: 0, &rng) {
        case .inline(let s): return s + "\n"
        case .lines(let s): return s
        }
    }

    @Test("documents the event reader builds (up to its depth) pass the structure scan")
    func builtDocumentsPassTheScan() throws {
        var built = 0
        for seed in 0..<400 {
            let depth = 1 + seed % YAMLEventReader.maxDepth
            let text = Self.document(depth: depth, seed: UInt64(seed))
            guard case .tree = YAMLEventReader.read(text, lineOffset: 0) else {
                Issue.record("depth \(depth), seed \(seed): the event reader did not build\n\(text)")
                continue
            }
            built += 1
            #expect(throws: Never.self, "depth \(depth), seed \(seed)") { try YAMLStructureScan.check(text) }
        }
        #expect(built == 400)
    }

    @Test("at any depth, decoding gives what the checked Yams path gives; past the limit both refuse alike")
    func sameAsTheCheckedPath() {
        var refused = 0
        for seed in 0..<240 {
            let depth = 1 + seed % 120
            let text = Self.document(depth: depth, seed: UInt64(1000 + seed))
            let fast = ManifestDecoder().decode(text: text, file: "d.yaml")
            let checked = ManifestDecoder().decodeViaYams(text: text, file: "d.yaml")
            #expect(fast.errors == checked.errors, "depth \(depth), seed \(1000 + seed)")
            #expect(fast.errors.count == 1, "a document that is not an object is one error")
            if fast.errors.first?.message.contains("nesting deeper than") == true { refused += 1 }
        }
        // Depths above the scan's limit are refused with its error.
        #expect(refused >= 40, "\(refused)")
    }
}
