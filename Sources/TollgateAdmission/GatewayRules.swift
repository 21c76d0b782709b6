import TollgateModel

/// Gateway `spec` (standard channel v1.6.1): class name, addresses, infrastructure; listeners and
/// `spec.tls` have their own files.
enum GatewayRules {
    static let gatewayClassName = StringRule(minLength: 1, maxLength: 253)
    static let addressType = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayAPIText.addressTypeRegex) { GatewayAPIText.isAddressType($0) })
    static let addressValue = StringRule(maxLength: 253)
    static let infrastructureLabelValue = StringRule(maxLength: 63, pattern: TextPattern(regex: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$") { LabelValue.matchesPattern($0) })

    static func check(_ spec: Gateway.Spec, into f: inout Findings) {
        let path = FieldPath("spec")
        f.string(spec.gatewayClassName, gatewayClassName, at: path.child("gatewayClassName"))
        GatewayListenerRules.check(spec.listeners, at: path.child("listeners"), into: &f)
        if let addresses = spec.addresses { self.addresses(addresses, at: path.child("addresses"), into: &f) }
        if let infrastructure = spec.infrastructure { self.infrastructure(infrastructure, at: path.child("infrastructure"), into: &f) }
        if let tls = spec.tls { GatewayTLSRules.check(tls, at: path.child("tls"), into: &f) }
    }

    /// At most 16; `type` defaults to IPAddress; IP addresses parsed (IPv4 or IPv6), hostnames by the
    /// CEL pattern; values unique per type (CEL).
    static func addresses(_ addresses: [Gateway.Address], at path: FieldPath, into f: inout Findings) {
        f.items(addresses.count, max: 16, at: path)
        var seen: Set<[String]> = []
        for (i, a) in addresses.enumerated() {
            let p = path.index(i)
            f.string(a.type, addressType, at: p.child("type"))
            f.string(a.value, addressValue, at: p.child("value"))
            let type = a.type ?? "IPAddress"
            switch type {
            case "IPAddress":
                if !a.value.isEmpty, !IPAddressText.isIP(a.value) {
                    f.append(.invalid(p.child("value"), a.value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
                }
            case "Hostname":
                if !GatewayHostname.matchesPattern(a.value, allowWildcard: true) {
                    f.append(.invalid(p.child("value"), a.value, "Hostname value must be empty or contain only valid characters (matching \(GatewayHostname.wildcardRegex))"))
                }
            default:
                break
            }
            if type == "IPAddress" || type == "Hostname", !seen.insert([type, a.value]).inserted {
                f.append(.duplicate(p.child("value"), a.value, "\(type) values must be unique"))
            }
        }
    }

    /// Labels (≤ 8) and annotations (≤ 16) with the CEL key rules, and a local parametersRef.
    static func infrastructure(_ infra: Gateway.Infrastructure, at path: FieldPath, into f: inout Findings) {
        f.stringMap(infra.labels, maxProperties: 8, values: infrastructureLabelValue, at: path.child("labels"))
        for key in (infra.labels ?? [:]).keys.sorted() {
            f.invalid(key, GatewayAPIText.infrastructureKeyProblems(key, what: "label"), at: path.child("labels").key(key))
        }
        f.stringMap(infra.annotations, maxProperties: 16, values: CRDFields.annotationValue, at: path.child("annotations"))
        for key in (infra.annotations ?? [:]).keys.sorted() {
            f.invalid(key, GatewayAPIText.infrastructureKeyProblems(key, what: "annotation"), at: path.child("annotations").key(key))
        }
        if let ref = infra.parametersRef {
            ReferenceRules.parameters(ref, at: path.child("parametersRef"), namespaced: false, into: &f)
        }
    }
}
