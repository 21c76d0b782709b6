import Foundation
import Testing
@testable import TollgateManifests
import TollgateModel

/// `YAMLEventReader` (trees from libyaml's events) against the Yams path it stands in for: the
/// same trees for every golden document, the same results and errors for YAML's corners (which
/// it hands to the Yams path) and for mutated documents.
@Suite struct ManifestFastPathYAMLTests {
    let decoder = ManifestDecoder()

    @Test("every golden document gives the same tree from libyaml's events as through Yams")
    func goldenDocuments() throws {
        var viaEvents = 0, documents = 0
        for file in try ManifestFastPathTests.goldenInputs() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for chunk in ManifestDecoder.splitDocuments(text) {
                documents += 1
                if case .tree = YAMLEventReader.read(chunk.text, lineOffset: chunk.firstLine - 1) { viaEvents += 1 }
                Self.expectSameParse(chunk.text, firstLine: chunk.firstLine, "\(file.path):\(chunk.firstLine)")
            }
        }
        #expect(documents > 200)
        #expect(viaEvents * 10 >= documents * 9, "only \(viaEvents) of \(documents) documents were read from events")
    }

    static let corners: [String] = [
        "a: &x {b: 1}\nc: *x\n",                       // anchors and aliases: Yams path
        "a: !!str 1\nb: !!int '2'\nc: !foo 3\nd: ! 4\n",  // tags: Yams path
        "%YAML 1.1\n---\na: 1\n",                      // a directive
        "a: |\n  x\n  y\n\nb: >-\n  p\n  q\nc: |+\n  k\n\n",
        "a: \"x\\0y\"\nb: 'it''s'\nc: \"\\u00e9\\t\"\n",
        "a: 1\n---\tb: 2\n",                            // a second document the splitter does not see
        "a: 1\na: 2\n",
        "a: 1\n'a': 2\n",
        "? [a]\n: b\n",
        "[a]: b\n",
        "{a: 1}: b\n",
        "---\n",
        "~\n",
        "# only a comment\n",
        "plain scalar\n",
        "a:\nb: ~\nc: null\nd: ''\n",
        "i: [0x1F, 0o17, 017, -0, +5, 1_000, 9223372036854775808, 1.5, .5, 1e3, .inf, -.Inf, .nan]\n",
        "b: [y, Yes, on, Off, n, TRUE, false]\n",
        "a: [1, 2\n",
        "a: b: c\n",
        "a:\n\t- b\n",
        "a: 1\r\nb: [x, y]\r\n",
        "a: 1\n...\n",
        "- a\n- {b: [c, {d: e}]}\n- - f\n  - g\n",
        "a: \"multi\n  line\"\nb: plain\n  continued\n",
        "é: ü\n\"k\\u00e9y\": 1\n",
        "a: [1, 2]]\n",
        "a: @x\n",
        "a: `x\n",
        "? a\n? b\n",
        "a: {b: 1, b: 2}\n",
        "- &a x\n- *a\n- *missing\n",
    ]

    @Test("YAML corners: the same tree, or the same error, as the Yams path", arguments: corners)
    func corner(_ text: String) {
        Self.expectSameParse(text, firstLine: 3, text)
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  " + text.replacingOccurrences(of: "\n", with: "\n  ")
        ManifestFastPathTests.expectSame(decoder.decode(text: manifest, file: "c.yaml"),
                                         decoder.decodeViaYams(text: manifest, file: "c.yaml"), manifest)
    }

    @Test("mutated golden YAML decodes exactly as through Yams: objects, errors and warnings")
    func mutations() throws {
        let files = try ManifestFastPathTests.goldenInputs().filter { $0.pathExtension == "yaml" }.prefix(12)
        let alphabet = Array(":-[]{},'\"#&*!|>? \n\t0aZ".utf8)
        var rng = SplitMix64(seed: 21)
        var compared = 0
        for file in files {
            let bytes = Array(try String(contentsOf: file, encoding: .utf8).utf8)
            for _ in 0..<150 {
                var m = bytes
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let at = Int(rng.next() % UInt64(m.count))
                    switch rng.next() % 3 {
                    case 0: m[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: m.remove(at: at)
                    default: m.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                    }
                }
                let text = String(decoding: m, as: UTF8.self)
                ManifestFastPathTests.expectSame(decoder.decode(text: text, file: "m.yaml"),
                                                 decoder.decodeViaYams(text: text, file: "m.yaml"), "\(file.lastPathComponent): \(text)")
                compared += 1
            }
        }
        #expect(compared > 1_000)
    }

    /// `parse` with and without events: the same tree (as `canonical` shows it), or the same error.
    static func expectSameParse(_ text: String, firstLine: Int, _ label: String,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let viaEvents = Result { () throws(ManifestTreeBuilder.Failure) in
            try ManifestDecoder.parse(text, firstLine: firstLine, events: true).map(ManifestFastPathTests.canonical)
        }
        let viaYams = Result { () throws(ManifestTreeBuilder.Failure) in
            try ManifestDecoder.parse(text, firstLine: firstLine, events: false).map(ManifestFastPathTests.canonical)
        }
        #expect(viaEvents == viaYams, "\(label)", sourceLocation: sourceLocation)
        if case .success(let tree?) = viaEvents, case .tree(let t) = YAMLEventReader.read(text, lineOffset: firstLine - 1) {
            ManifestFastPathTests.expectParentsConsistent(t)
            _ = tree
        }
    }
}
