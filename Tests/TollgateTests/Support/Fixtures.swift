import Foundation

/// Paths of the test fixtures, found next to this source file.
enum Fixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let golden = testsDirectory.appendingPathComponent("Fixtures/golden")
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repositoryRoot.appendingPathComponent("examples")

    /// The golden case names (every directory but `shared`).
    static var goldenCases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: golden.path)) ?? []
        return names.filter { n in
            var d: ObjCBool = false
            return n != "shared" && !n.hasPrefix(".") && FileManager.default.fileExists(atPath: golden.appendingPathComponent(n).path, isDirectory: &d) && d.boolValue
        }.sorted()
    }

    /// Fixed evaluation time for certificate expiry in golden cases (override per case with a
    /// `now` file).
    static let defaultNow = ISO8601DateFormatter().date(from: "2026-11-23T00:00:00Z")!

    static func read(_ url: URL) -> String? {
        FileManager.default.contents(atPath: url.path).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// Every regular file under `dir`, relative paths, sorted.
    static func files(under dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(rel).path, isDirectory: &d), !d.boolValue { out.append(rel) }
        }
        return out.sorted()
    }

    static var updateGolden: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" }
}
