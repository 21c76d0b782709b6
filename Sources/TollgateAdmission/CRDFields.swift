/// The string rules the Gateway API CRDs repeat on many fields (references, names, hostnames).
enum CRDFields {
    static let group = StringRule(maxLength: 253, pattern: TextPattern(regex: GatewayAPIText.groupRegex) { GatewayAPIText.isGroup($0) })
    static let kind = StringRule(minLength: 1, maxLength: 63, pattern: TextPattern(regex: GatewayAPIText.kindRegex) { GatewayAPIText.isKind($0) })
    static let objectName = StringRule(minLength: 1, maxLength: 253)
    static let namespace = StringRule(minLength: 1, maxLength: 63, pattern: TextPattern(regex: GatewayAPIText.namespaceRegex) { GatewayAPIText.isNamespace($0) })
    static let sectionName = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayAPIText.sectionNameRegex) { GatewayAPIText.isSectionName($0) })
    static let hostname = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayHostname.wildcardRegex) { GatewayHostname.matchesPattern($0, allowWildcard: true) })
    static let preciseHostname = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayHostname.preciseRegex) { GatewayHostname.matchesPattern($0, allowWildcard: false) })
    /// Values of `options` and infrastructure annotations.
    static let annotationValue = StringRule(maxLength: 4096)
    static let port: ClosedRange<Int> = 1...65535
}
