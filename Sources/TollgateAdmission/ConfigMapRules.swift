import TollgateModel

/// Kubernetes' `ValidateConfigMap`: config keys, no key in both `data` and `binaryData`,
/// `binaryData` values in base64, at most 1 MiB in all.
enum ConfigMapRules {
    static let maxSize = 1024 * 1024

    static func check(_ map: ConfigMap, into f: inout Findings) {
        let data = map.data ?? [:]
        let binary = map.binaryData ?? [:]
        var total = 0
        for key in data.keys.sorted() {
            let p = FieldPath("data").key(key)
            f.invalid(key, ConfigMapKey.problems(key), at: p)
            if binary[key] != nil { f.append(.invalid(p, key, "duplicate of key present in binaryData")) }
            total += data[key]?.utf8.count ?? 0
        }
        for key in binary.keys.sorted() {
            let p = FieldPath("binaryData").key(key)
            f.invalid(key, ConfigMapKey.problems(key), at: p)
            guard let value = binary[key] else { continue }
            if let n = Base64Text.decodedCount(value) {
                total += n
            } else {
                f.append(.invalid(p, value, "must be valid base64 (RFC 4648, with padding)"))
            }
        }
        if total > maxSize { f.append(.tooLong(FieldPath("data"), bytes: maxSize, "data and binaryData together")) }
    }
}
