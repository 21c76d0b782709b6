import Foundation
import TollgateNginx

// `FileSet` is `RenderedFiles`, whose API is made of `RenderedFile`s: re-export exactly these two
// types, so users of this module (the agent) need not depend on the NGINX renderer.
@_exported import struct TollgateNginx.RenderedFile
@_exported import struct TollgateNginx.RenderedFiles

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
