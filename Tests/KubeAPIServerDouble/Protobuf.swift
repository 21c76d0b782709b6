import Foundation

/// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), which
/// kubectl's typed shortcuts send: `kubectl create namespace|configmap|secret`. Only those three
/// kinds are decoded (their metadata, data and type fields); any other kind answers 415.
enum KubeProtobuf {
    static let mediaType = "application/vnd.kubernetes.protobuf"

    /// The body as the JSON object it encodes.
    static func decode(_ body: Data) throws(APIError) -> JSONValue {
        let bytes = [UInt8](body)
        guard bytes.count >= 4, bytes[0..<4] == [0x6B, 0x38, 0x73, 0x00] else { throw .badRequest("protobuf body without the k8s envelope") }
        do {
            let unknown = try Fields(bytes[4...])
            let typeMeta = try Fields(unknown.bytes(1) ?? [])
            let apiVersion = typeMeta.string(1) ?? "", kind = typeMeta.string(2) ?? ""
            let raw = try Fields(unknown.bytes(2) ?? [])
            var object: [String: JSONValue] = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
            if let meta = raw.bytes(1) { object["metadata"] = try objectMeta(Fields(meta)) }
            switch (apiVersion, kind) {
            case ("v1", "ConfigMap"):
                if let data = try map(raw, 2, value: { .string(String(decoding: $0, as: UTF8.self)) }) { object["data"] = data }
                if let binary = try map(raw, 3, value: { .string(Data($0).base64EncodedString()) }) { object["binaryData"] = binary }
                if let immutable = raw.varint(4) { object["immutable"] = .bool(immutable != 0) }
            case ("v1", "Secret"):
                if let data = try map(raw, 2, value: { .string(Data($0).base64EncodedString()) }) { object["data"] = data }
                if let type = raw.string(3) { object["type"] = .string(type) }
                if let stringData = try map(raw, 4, value: { .string(String(decoding: $0, as: UTF8.self)) }) { object["stringData"] = stringData }
                if let immutable = raw.varint(5) { object["immutable"] = .bool(immutable != 0) }
            case ("v1", "Namespace"):
                break
            default:
                throw APIError.unsupportedMediaType(mediaType, accepted: ["application/json", "application/yaml"])
            }
            return .object(object)
        } catch let error as APIError {
            throw error
        } catch {
            throw .badRequest("invalid protobuf body: \(error)")
        }
    }

    /// The ObjectMeta fields a client may set: name, generateName, namespace, labels, annotations,
    /// ownerReferences, finalizers.
    private static func objectMeta(_ f: Fields) throws -> JSONValue {
        var meta: [String: JSONValue] = [:]
        for (number, key) in [(1, "name"), (2, "generateName"), (3, "namespace")] {
            if let s = f.string(number), !s.isEmpty { meta[key] = .string(s) }
        }
        if let labels = try map(f, 11, value: { .string(String(decoding: $0, as: UTF8.self)) }) { meta["labels"] = labels }
        if let annotations = try map(f, 12, value: { .string(String(decoding: $0, as: UTF8.self)) }) { meta["annotations"] = annotations }
        let owners = try f.all(13).map { bytes -> JSONValue in
            let o = try Fields(bytes)
            var ref: [String: JSONValue] = [:]
            for (number, key) in [(1, "kind"), (3, "name"), (4, "uid"), (5, "apiVersion")] { ref[key] = o.string(number).map(JSONValue.string) }
            if let c = o.varint(6) { ref["controller"] = .bool(c != 0) }
            if let b = o.varint(7) { ref["blockOwnerDeletion"] = .bool(b != 0) }
            return .object(ref)
        }
        if !owners.isEmpty { meta["ownerReferences"] = .array(owners) }
        let finalizers = f.all(14).map { JSONValue.string(String(decoding: $0, as: UTF8.self)) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers) }
        return .object(meta)
    }

    /// A protobuf map field (repeated entries with key 1 and value 2), nil when absent.
    private static func map(_ f: Fields, _ number: Int, value: ([UInt8]) -> JSONValue) throws -> JSONValue? {
        let entries = f.all(number)
        guard !entries.isEmpty else { return nil }
        var out: [String: JSONValue] = [:]
        for entry in entries {
            let e = try Fields(entry)
            out[e.string(1) ?? ""] = value(e.bytes(2) ?? [])
        }
        return .object(out)
    }

    struct Malformed: Error {}

    /// The fields of one protobuf message: varints and length-delimited values by field number.
    struct Fields {
        private var varints: [Int: UInt64] = [:]
        private var delimited: [Int: [[UInt8]]] = [:]

        init<C: Collection>(_ bytes: C) throws where C.Element == UInt8, C.Index == Int {
            var i = bytes.startIndex
            func varint() throws -> UInt64 {
                var value: UInt64 = 0, shift: UInt64 = 0
                while true {
                    guard i < bytes.endIndex, shift < 64 else { throw Malformed() }
                    let b = bytes[i]
                    i += 1
                    value |= UInt64(b & 0x7F) << shift
                    if b & 0x80 == 0 { return value }
                    shift += 7
                }
            }
            while i < bytes.endIndex {
                let tag = try varint()
                let number = Int(tag >> 3)
                switch tag & 7 {
                case 0: varints[number] = try varint()
                case 1: guard i + 8 <= bytes.endIndex else { throw Malformed() }; i += 8
                case 5: guard i + 4 <= bytes.endIndex else { throw Malformed() }; i += 4
                case 2:
                    let length = Int(try varint())
                    guard length >= 0, i + length <= bytes.endIndex else { throw Malformed() }
                    delimited[number, default: []].append(Array(bytes[i..<(i + length)]))
                    i += length
                default: throw Malformed()
                }
            }
        }

        func bytes(_ number: Int) -> [UInt8]? { delimited[number]?.last }
        func all(_ number: Int) -> [[UInt8]] { delimited[number] ?? [] }
        func string(_ number: Int) -> String? { bytes(number).map { String(decoding: $0, as: UTF8.self) } }
        func varint(_ number: Int) -> UInt64? { varints[number] }
    }
}
