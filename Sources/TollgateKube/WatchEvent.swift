import Foundation

/// One event of a watch stream.
public enum WatchEvent: Sendable, Equatable {
    case added(KubeObject)
    case modified(KubeObject)
    case deleted(KubeObject)
    /// Nothing changed, but the watch has seen everything up to this resourceVersion.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a `Status`; code 410 (`Expired`/`Gone`) means relist.
    case error(KubeStatus)

    /// The object of an added, modified or deleted event.
    public var object: KubeObject? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): return object
        case .bookmark, .error: return nil
        }
    }

    /// The resourceVersion this event brings the watch to, if any.
    public var resourceVersion: String? {
        switch self {
        case .bookmark(let version): return version
        case .error: return nil
        default: return object?.resourceVersion
        }
    }

    /// Decodes one line of a watch response (`{"type":…,"object":…}`), keeping the object's bytes.
    static func decode(line: Data, of resource: ResourceType) throws(KubeError) -> WatchEvent {
        let raw = RawJSON(line)
        let type: String
        let objectRange: Range<Int>
        do {
            let members = try raw.members()
            guard let typeRange = members["type"], let range = members["object"] else {
                throw KubeError(code: .malformedResponse, message: "watch event without type or object")
            }
            type = try raw.string(typeRange)
            objectRange = range
        } catch let error as KubeError {
            throw error
        } catch {
            throw KubeError(code: .malformedResponse, message: "watch event: \(error)")
        }
        let object = raw.data(objectRange)
        switch type {
        case "ADDED": return .added(try KubeObject(json: object, of: resource))
        case "MODIFIED": return .modified(try KubeObject(json: object, of: resource))
        case "DELETED": return .deleted(try KubeObject(json: object, of: resource))
        case "BOOKMARK":
            struct Bookmark: Decodable {
                struct Metadata: Decodable { var resourceVersion: String? }
                var metadata: Metadata?
            }
            guard let version = (try? JSONDecoder().decode(Bookmark.self, from: object))?.metadata?.resourceVersion else {
                throw KubeError(code: .malformedResponse, message: "bookmark without metadata.resourceVersion")
            }
            return .bookmark(resourceVersion: version)
        case "ERROR":
            return .error(KubeStatus.decode(object) ?? KubeStatus(status: "Failure", message: "watch error", code: 500))
        default:
            throw KubeError(code: .malformedResponse, message: "unknown watch event type \"\(type)\"")
        }
    }
}
