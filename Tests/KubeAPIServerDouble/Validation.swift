/// The name rules kube-apiserver applies to every object (RFC 1123 subdomain, or label for
/// namespaces), with its messages.
enum NameValidation {
    static func isDNSLabel(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 63 else { return false }
        let chars = Array(s.utf8)
        let ok = chars.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        return ok && chars.first != 0x2D && chars.last != 0x2D
    }

    static func isDNSSubdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    /// nil when valid, else the `Invalid value` cause for `metadata.name`.
    static func nameProblem(_ name: String, for type: ResourceType) -> APIError.Cause? {
        if type.kind == "Namespace" {
            guard !isDNSLabel(name) else { return nil }
            return .init(field: "metadata.name", reason: "FieldValueInvalid",
                         message: "Invalid value: \"\(name)\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        }
        guard !isDNSSubdomain(name) else { return nil }
        return .init(field: "metadata.name", reason: "FieldValueInvalid",
                     message: "Invalid value: \"\(name)\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    }
}
