import TollgateModel

/// Kubernetes' `ValidateEndpointSlice` for the fields the model decodes: the address type, at most
/// 1000 endpoints of 1–100 addresses valid for that type, at most 20000 ports (Kubernetes' own limit) with DNS-label names
/// (unique), known protocols and numbers 0–65535.
///
/// Endpoint IPs may not be unspecified, link-local or link-local multicast, as the API server says;
/// unlike the API server, loopback addresses are admitted: standalone mode serves its backends on
/// 127.0.0.1 and ::1.
enum EndpointSliceRules {
    static let addressTypes = ["FQDN", "IPv4", "IPv6"]
    static let protocols = ["SCTP", "TCP", "UDP"]
    static let maxEndpoints = 1000
    static let maxAddresses = 100
    static let maxPorts = 20000

    static func check(_ slice: EndpointSlice, into f: inout Findings) {
        let typePath = FieldPath("addressType")
        if slice.addressType.isEmpty {
            f.append(.required(typePath))
        } else if !addressTypes.contains(slice.addressType) {
            f.append(.unsupported(typePath, slice.addressType, supported: addressTypes))
        }
        endpoints(slice.endpoints ?? [], type: slice.addressType, into: &f)
        ports(slice.ports ?? [], into: &f)
    }

    static func endpoints(_ endpoints: [EndpointSlice.Endpoint], type: String, into f: inout Findings) {
        let path = FieldPath("endpoints")
        guard endpoints.count <= maxEndpoints else {
            f.append(.tooMany(path, count: endpoints.count, max: maxEndpoints))
            return
        }
        for (i, e) in endpoints.enumerated() {
            let p = path.index(i).child("addresses")
            if e.addresses.isEmpty { f.append(.required(p, "must contain at least 1 address")) }
            if e.addresses.count > maxAddresses { f.append(.tooMany(p, count: e.addresses.count, max: maxAddresses)) }
            for (j, address) in e.addresses.enumerated() {
                f.invalid(address, addressProblems(address, type: type), at: p.index(j))
            }
        }
    }

    /// Messages for one address of a slice of `type`.
    static func addressProblems(_ address: String, type: String) -> [String] {
        switch type {
        case "IPv4":
            guard let bytes = IPAddressText.parseIPv4(address) else { return ["must be a valid IPv4 address"] }
            return specialRangeProblems(bytes, address)
        case "IPv6":
            guard let bytes = IPAddressText.parseIPv6(address), !IPAddressText.isIPv4Mapped(bytes) else {
                return ["must be a valid IPv6 address"]
            }
            return specialRangeProblems(bytes, address)
        case "FQDN":
            return DNSName.fullyQualifiedProblems(address)
        default:
            return []
        }
    }

    /// `ValidateEndpointIP` without its loopback rule.
    static func specialRangeProblems(_ b: [UInt8], _ text: String) -> [String] {
        var out: [String] = []
        if b.allSatisfy({ $0 == 0 }) { out.append("may not be unspecified (\(EchoedText.escaped(text)))") }
        let linkLocal = b.count == 4 ? (b[0] == 169 && b[1] == 254) : (b[0] == 0xFE && b[1] & 0xC0 == 0x80)
        if linkLocal { out.append("may not be in the link-local range (169.254.0.0/16, fe80::/10)") }
        let linkLocalMulticast = b.count == 4 ? (b[0] == 224 && b[1] == 0 && b[2] == 0) : (b[0] == 0xFF && b[1] & 0x0F == 0x02)
        if linkLocalMulticast { out.append("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)") }
        return out
    }

    static func ports(_ ports: [EndpointSlice.Port], into f: inout Findings) {
        let path = FieldPath("ports")
        guard ports.count <= maxPorts else {
            f.append(.tooMany(path, count: ports.count, max: maxPorts))
            return
        }
        var names: Set<String> = []
        for (i, port) in ports.enumerated() {
            let p = path.index(i)
            let name = port.name ?? ""
            if !name.isEmpty { f.invalid(name, DNSName.labelProblems(name), at: p.child("name")) }
            if !names.insert(name).inserted { f.append(.duplicate(p.child("name"), name)) }
            if let proto = port.protocol, !protocols.contains(proto) {
                f.append(.unsupported(p.child("protocol"), proto, supported: protocols))
            }
            if let n = port.port, !PortNumber.validOrZero.contains(n) {
                f.append(.invalid(p.child("port"), integer: n, PortNumber.rangeMessage(PortNumber.validOrZero)))
            }
        }
    }
}
