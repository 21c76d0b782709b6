import Foundation
import Testing
@testable import TollgateControlPlane

/// The history's blob writer: every file complete, private, and named only after its bytes are written.
@Suite struct BlobBatchWriterTests {
    @Test func writesEveryFileWithItsContentsAndMode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blobbatch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Many files at once.
        let files = (0..<600).map { i in (path: "\(dir)/blob-\(i)", contents: Data("content \(i)\n".utf8)) }
        try BlobBatchWriter.write(files, directory: dir)
        for f in files {
            #expect(FileManager.default.contents(atPath: f.path) == f.contents)
            let mode = try #require(FileManager.default.attributesOfItem(atPath: f.path)[.posixPermissions] as? Int)
            #expect(mode == 0o600)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.count == 600)
        #expect(!names.contains { $0.hasSuffix(".tmp") })
    }

    @Test func aDirectoryThatCannotHoldTheFilesFailsAndLeavesNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blobbatch-missing-\(UUID().uuidString)").path
        let files = [(path: "\(dir)/a", contents: Data("a".utf8))]
        #expect(throws: BlobBatchWriter.WriteError.self) { try BlobBatchWriter.write(files, directory: dir) }
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/a"))
    }

    @Test func nothingToWriteIsNotAnError() throws {
        try BlobBatchWriter.write([], directory: "/nonexistent-\(UUID().uuidString)")
    }
}
