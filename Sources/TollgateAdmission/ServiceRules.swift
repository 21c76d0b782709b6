import TollgateModel

/// Kubernetes' `ValidateService` for the fields the model decodes: type, clusterIP, and ports
/// (names, numbers, protocols, target ports, app protocols, duplicates).
enum ServiceRules {
    static let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let protocols = ["SCTP", "TCP", "UDP"]

    static func check(_ service: Service, into f: inout Findings) {
        let path = FieldPath("spec")
        let spec = service.spec
        let type = spec?.type ?? "ClusterIP"
        if let t = spec?.type, !types.contains(t) { f.append(.unsupported(path.child("type"), t, supported: types)) }
        let clusterIP = spec?.clusterIP ?? ""
        if !clusterIP.isEmpty {
            if type == "ExternalName" {
                f.append(.forbidden(path.child("clusterIP"), "may not be set for ExternalName services"))
            } else if clusterIP != "None", !IPAddressText.isIP(clusterIP) {
                f.append(.invalid(path.child("clusterIP"), clusterIP, "must be empty, 'None', or a valid IP address"))
            }
        }
        let ports = spec?.ports ?? []
        if ports.isEmpty, clusterIP != "None", type != "ExternalName" { f.append(.required(path.child("ports"))) }
        var names: Set<String> = []
        var keys: Set<String> = []
        for (i, port) in ports.enumerated() {
            let p = path.child("ports").index(i)
            self.port(port, requireName: ports.count > 1, names: &names, at: p, into: &f)
            let key = "\(port.port)/\(port.protocol ?? "TCP")"
            if !keys.insert(key).inserted { f.append(.duplicate(p, key)) }
        }
    }

    static func port(_ port: Service.Port, requireName: Bool, names: inout Set<String>, at p: FieldPath, into f: inout Findings) {
        let name = port.name ?? ""
        if name.isEmpty {
            if requireName { f.append(.required(p.child("name"))) }
        } else {
            f.invalid(name, DNSName.labelProblems(name), at: p.child("name"))
            if !names.insert(name).inserted { f.append(.duplicate(p.child("name"), name)) }
        }
        if !PortNumber.isValid(port.port) {
            f.append(.invalid(p.child("port"), integer: port.port, PortNumber.rangeMessage()))
        }
        if let proto = port.protocol, !protocols.contains(proto) {
            f.append(.unsupported(p.child("protocol"), proto, supported: protocols))
        }
        switch port.targetPort {
        case .int(let n)? where n != 0 && !PortNumber.isValid(n):
            f.append(.invalid(p.child("targetPort"), integer: n, PortNumber.rangeMessage()))
        case .string(let s)? where !s.isEmpty:
            f.invalid(s, IANAServiceName.problems(s), at: p.child("targetPort"))
        default:
            break   // absent, 0 or "": defaults to the port
        }
        if let app = port.appProtocol { f.invalid(app, QualifiedName.problems(app), at: p.child("appProtocol")) }
    }
}
