import Foundation
import TollgateModel

/// Kubernetes' `ValidateSecret`: keys of `data` and `stringData` are config keys, `data` values are
/// base64, the merged data holds at most 1 MiB, and the well-known types carry their keys. Secret
/// contents are never echoed in a message.
enum SecretRules {
    static let maxSize = 1024 * 1024
    static let redacted = "<secret contents redacted>"

    static func check(_ secret: Secret, into f: inout Findings) {
        let dataPath = FieldPath("data")
        var sizes: [String: Int] = [:]
        let data = secret.data ?? [:]
        for key in data.keys.sorted() {
            let p = dataPath.key(key)
            f.invalid(key, ConfigMapKey.problems(key), at: p)
            guard let value = data[key] else { continue }
            if let n = Base64Text.decodedCount(value) {
                sizes[key] = n
            } else {
                f.append(.invalid(p, redacted, "must be valid base64 (RFC 4648, with padding)"))
            }
        }
        let stringData = secret.stringData ?? [:]
        for key in stringData.keys.sorted() {
            f.invalid(key, ConfigMapKey.problems(key), at: FieldPath("stringData").key(key))
            sizes[key] = stringData[key]?.utf8.count ?? 0
        }
        let total = sizes.values.reduce(0, +)
        if total > maxSize { f.append(.tooLong(dataPath, bytes: maxSize, "data and stringData together, decoded")) }
        typeRules(secret, keys: Set(data.keys).union(stringData.keys), sizes: sizes, into: &f)
    }

    /// The keys each built-in Secret type must hold.
    static func typeRules(_ secret: Secret, keys: Set<String>, sizes: [String: Int], into f: inout Findings) {
        let dataPath = FieldPath("data")
        switch secret.type ?? "Opaque" {
        case "kubernetes.io/service-account-token":
            if (secret.metadata.annotations?["kubernetes.io/service-account.name"] ?? "").isEmpty {
                f.append(.required(FieldPath("metadata").child("annotations").key("kubernetes.io/service-account.name")))
            }
        case "kubernetes.io/dockercfg":
            dockerConfig(secret, key: ".dockercfg", keys: keys, into: &f)
        case "kubernetes.io/dockerconfigjson":
            dockerConfig(secret, key: ".dockerconfigjson", keys: keys, into: &f)
        case "kubernetes.io/basic-auth":
            if !keys.contains("username"), !keys.contains("password") {
                f.append(.required(dataPath.key("username")))
                f.append(.required(dataPath.key("password")))
            }
        case "kubernetes.io/ssh-auth":
            if (sizes["ssh-privatekey"] ?? 0) == 0 { f.append(.required(dataPath.key("ssh-privatekey"))) }
        case "kubernetes.io/tls":
            for key in ["tls.crt", "tls.key"] where !keys.contains(key) { f.append(.required(dataPath.key(key))) }
        default:
            break
        }
    }

    /// Docker configuration Secrets: the key must exist and hold a JSON object.
    static func dockerConfig(_ secret: Secret, key: String, keys: Set<String>, into f: inout Findings) {
        let p = FieldPath("data").key(key)
        guard keys.contains(key) else { f.append(.required(p)); return }
        guard let bytes = try? secret.value(key) else { return }   // invalid base64 is reported already
        let object = try? JSONSerialization.jsonObject(with: bytes)
        if !(object is [String: Any]) { f.append(.invalid(p, redacted, "must be a JSON object")) }
    }
}
