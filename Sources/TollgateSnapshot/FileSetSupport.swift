import Foundation
import TollgateNginx

extension RenderedFile {
    /// A file from raw bytes (what an agent reads from disk or receives in a `FileUpsert`).
    public init(contents: Data, mode: UInt16) {
        self.init("", mode: mode)
        self.contents = contents
    }
}

extension RenderedFiles {
    /// A file set from files by relative path.
    public init(files: [String: RenderedFile]) {
        self.init()
        self.files = files
    }
}
