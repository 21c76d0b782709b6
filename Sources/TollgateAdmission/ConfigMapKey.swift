/// Keys of `ConfigMap.data`/`binaryData` and `Secret.data` (`IsConfigMapKey`): at most 253
/// characters of `[-._a-zA-Z0-9]+`, not `.` or `..`, not starting with `..`.
public enum ConfigMapKey {
    public static let maxLength = 253
    static let characters: Set<UInt8> = ASCIIBytes.alnum.union(ASCIIBytes.set("-._"))
    static let message = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"

    /// Whether `key` is a valid key.
    public static func isValid(_ key: String) -> Bool { problems(key).isEmpty }

    /// The API server's messages for `key` (empty when valid).
    public static func problems(_ key: String) -> [String] {
        var out: [String] = []
        if key.utf8.count > maxLength { out.append("must be no more than \(maxLength) characters") }
        if !ASCIIBytes.allIn(key.utf8, characters) { out.append(message) }
        if key == "." {
            out.append("must not be '.'")
        } else if key == ".." {
            out.append("must not be '..'")
        } else if key.utf8.starts(with: "..".utf8) {
            out.append("must not start with '..'")
        }
        return out
    }
}
