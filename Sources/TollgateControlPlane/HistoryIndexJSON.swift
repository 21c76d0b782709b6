import Foundation

/// Writes a history index as JSON straight into one byte buffer: the document `JSONEncoder`
/// (sorted keys, ISO 8601 dates) writes for `HistoryStore.Index`, decodable by the same
/// `Codable` types, without building an encoder's tree of every version and file first.
///
/// The index is written after every publish and every agent report; at 10k routes it lists
/// tens of thousands of files, and the encoder's intermediate objects were most of what a save
/// allocated (and left the heap fragmented).
enum HistoryIndexJSON {
    static func encode(_ index: HistoryStore.Index) -> Data {
        var out: [UInt8] = []
        // Roughly the size of the files listings, which dominate.
        out.reserveCapacity(256 + index.snapshots.reduce(0) { $0 + 512 + $1.files.count * 128 + $1.inputGenerations.count * 48 })
        out.append(contentsOf: #"{"floor":"#.utf8)
        number(index.floor, into: &out)
        out.append(contentsOf: #","gateway":"#.utf8)
        string(index.gateway, into: &out)
        out.append(contentsOf: #","snapshots":["#.utf8)
        for (i, entry) in index.snapshots.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            self.entry(entry, into: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return Data(out)
    }

    private static func entry(_ e: HistoryStore.Entry, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"createdAt":"#.utf8)
        string(e.createdAt.formatted(Date.ISO8601FormatStyle()), into: &out)
        out.append(contentsOf: #","digest":"#.utf8)
        string(e.digest, into: &out)
        out.append(contentsOf: #","files":{"#.utf8)
        for (i, path) in e.files.keys.sorted().enumerated() {
            let ref = e.files[path]!
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(path, into: &out)
            out.append(contentsOf: #":{"mode":"#.utf8)
            number(UInt64(ref.mode), into: &out)
            out.append(contentsOf: #","sha256":"#.utf8)
            string(ref.sha256, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"},"inputGenerations":{"#.utf8)
        for (i, key) in e.inputGenerations.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(key, into: &out)
            out.append(UInt8(ascii: ":"))
            number(e.inputGenerations[key]!, into: &out)
        }
        out.append(contentsOf: #"},"reports":["#.utf8)
        for (i, r) in e.reports.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"agentID":"#.utf8)
            string(r.agentID, into: &out)
            out.append(contentsOf: #","dryRun":"#.utf8)
            out.append(contentsOf: (r.dryRun ? "true" : "false").utf8)
            out.append(contentsOf: #","message":"#.utf8)
            string(r.message, into: &out)
            out.append(contentsOf: #","outcome":"#.utf8)
            string(r.outcome, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"trigger":"#.utf8)
        string(e.trigger, into: &out)
        out.append(contentsOf: #","version":"#.utf8)
        number(e.version, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    private static func number(_ n: UInt64, into out: inout [UInt8]) {
        out.append(contentsOf: String(n).utf8)
    }

    private static func number(_ n: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: String(n).utf8)
    }

    /// A JSON string: quotes, backslashes and control characters escaped, and `/` as `\/` the
    /// way `JSONEncoder` writes it.
    private static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "/"): out.append(contentsOf: #"\/"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
