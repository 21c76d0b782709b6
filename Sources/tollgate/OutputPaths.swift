import TollgateAdmission
import Foundation
import TollgateModel
import TollgateNginx
import TollgateSnapshot

/// Where `render --output OUT` may write: `OUT/NAMESPACE/NAME/…` and nowhere else, whatever the
/// names and file paths contain.
enum OutputPaths {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// The Gateway's directory under `output`, after checking that the namespace and name are
    /// single plain path components and that every file path stays inside it.
    static func gatewayDirectory(output: String, gateway key: ObjectKey, files: RenderedFiles) throws -> String {
        for component in [key.namespace, key.name] {
            guard PathSafety.isSafe(component), !component.contains("/"), component.utf8.count <= 253 else {
                throw Refused(description: "\(EchoedText.quoted(component)) cannot be a directory name under the output directory")
            }
        }
        let root = URL(fileURLWithPath: output).standardizedFileURL.path
        let dir = URL(fileURLWithPath: root).appendingPathComponent(key.namespace).appendingPathComponent(key.name).standardizedFileURL.path
        guard dir.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw Refused(description: "\(dir) is outside \(root)")
        }
        for path in files.paths where !PathSafety.isSafe(path) {
            throw Refused(description: "file \(EchoedText.quoted(path)) would leave \(dir)")
        }
        return dir
    }
}
