import Foundation

/// One object as the API server sent it: its JSON bytes, plus the few header fields every
/// consumer needs without decoding the rest. Callers decode ``json`` into their own model.
public struct KubeObject: Sendable, Equatable {
    /// The object's JSON, with `apiVersion` and `kind` filled in when a list omitted them.
    public var json: Data
    /// The parsed `apiVersion`, `kind` and `metadata` header.
    public var header: KubeObjectHeader

    /// Parses the header of `json`; throws ``KubeError`` (`.malformedResponse`) when it is not an
    /// object with `metadata.name`.
    public init(json: Data) throws(KubeError) {
        self.json = json
        do {
            header = try JSONDecoder().decode(KubeObjectHeader.self, from: json)
        } catch {
            throw KubeError(code: .malformedResponse, message: "object without a readable header: \(error)")
        }
    }

    init(json: Data, header: KubeObjectHeader) {
        self.json = json
        self.header = header
    }

    /// `namespace/name`, the cache key.
    public var key: KubeObjectKey { KubeObjectKey(namespace: header.namespace, name: header.name) }
    public var name: String { header.name }
    public var namespace: String? { header.namespace }
    public var resourceVersion: String? { header.resourceVersion }
}

/// The header of a Kubernetes object: `apiVersion`, `kind` and the `metadata` fields that
/// identify, version and select it.
public struct KubeObjectHeader: Sendable, Equatable, Decodable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var labels: [String: String]
    /// Set once deletion has begun (finalizers pending).
    public var deletionTimestamp: String?

    public init(
        apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String,
        uid: String? = nil, resourceVersion: String? = nil, generation: Int64? = nil,
        labels: [String: String] = [:], deletionTimestamp: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.labels = labels
        self.deletionTimestamp = deletionTimestamp
    }

    private enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata }
    private enum MetadataKeys: String, CodingKey {
        case namespace, name, uid, resourceVersion, generation, labels, deletionTimestamp
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        let metadata = try container.nestedContainer(keyedBy: MetadataKeys.self, forKey: .metadata)
        namespace = try metadata.decodeIfPresent(String.self, forKey: .namespace).flatMap { $0.isEmpty ? nil : $0 }
        name = try metadata.decode(String.self, forKey: .name)
        uid = try metadata.decodeIfPresent(String.self, forKey: .uid)
        resourceVersion = try metadata.decodeIfPresent(String.self, forKey: .resourceVersion)
        generation = try metadata.decodeIfPresent(Int64.self, forKey: .generation)
        labels = try metadata.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        deletionTimestamp = try metadata.decodeIfPresent(String.self, forKey: .deletionTimestamp)
    }
}

/// The identity of an object within one resource type: namespace (nil when cluster-scoped) and name.
public struct KubeObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    /// `namespace/name`, or `name` when cluster-scoped.
    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (lhs: KubeObjectKey, rhs: KubeObjectKey) -> Bool {
        (lhs.namespace ?? "", lhs.name) < (rhs.namespace ?? "", rhs.name)
    }
}

extension KubeObject {
    /// An object from a list or watch of `resource`: list items usually omit `apiVersion` and
    /// `kind`, so they are filled in from the resource type, keeping the rest of the bytes as sent.
    init(json: Data, of resource: ResourceType) throws(KubeError) {
        var object = try KubeObject(json: json)
        guard object.header.apiVersion == nil || object.header.kind == nil else {
            self = object
            return
        }
        var prefix = "{"
        if object.header.apiVersion == nil {
            prefix += "\"apiVersion\":\(Self.quoted(resource.apiVersion)),"
            object.header.apiVersion = resource.apiVersion
        }
        if object.header.kind == nil {
            prefix += "\"kind\":\(Self.quoted(resource.kind)),"
            object.header.kind = resource.kind
        }
        // The header decoded, so the bytes are an object: replace its `{` with the prefix.
        guard let brace = json.firstIndex(of: UInt8(ascii: "{")) else {
            self = object
            return
        }
        var patched = Data(prefix.utf8)
        patched.append(json[json.index(after: brace)...])
        object.json = patched
        self = object
    }

    private static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
