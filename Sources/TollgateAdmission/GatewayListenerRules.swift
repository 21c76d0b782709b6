import TollgateModel

/// Gateway `spec.listeners`: 1–64 listeners, each field's schema, and the CEL rules on the list
/// (tls per protocol, hostname per protocol, unique names, unique port/protocol/hostname).
enum GatewayListenerRules {
    static let listenerProtocol = StringRule(minLength: 1, maxLength: 255, pattern: TextPattern(regex: GatewayAPIText.protocolRegex) { GatewayAPIText.isListenerProtocol($0) })
    static let tlsMode = StringRule(allowed: ["Terminate", "Passthrough"])
    static let namespacesFrom = StringRule(allowed: ["All", "Selector", "Same"])

    static func check(_ listeners: [Gateway.Listener], at path: FieldPath, into f: inout Findings) {
        f.items(listeners.count, min: 1, max: 64, at: path)
        var names: Set<String> = []
        var combinations: Set<Combination> = []
        for (i, l) in listeners.enumerated() {
            let p = path.index(i)
            f.string(l.name, CRDFields.sectionName, at: p.child("name"))
            f.string(l.hostname, CRDFields.hostname, at: p.child("hostname"))
            f.integer(l.port, in: CRDFields.port, at: p.child("port"))
            f.string(l.protocol, listenerProtocol, at: p.child("protocol"))
            if let tls = l.tls { self.tls(tls, at: p.child("tls"), into: &f) }
            if let routes = l.allowedRoutes { allowedRoutes(routes, at: p.child("allowedRoutes"), into: &f) }
            protocolRules(l, at: p, into: &f)
            if !names.insert(l.name).inserted {
                f.append(.duplicate(p.child("name"), l.name, "Listener name must be unique within the Gateway"))
            }
            let combination = Combination(port: l.port, protocol: l.protocol, hostname: l.hostname)
            if !combinations.insert(combination).inserted {
                f.append(FieldViolation(field: p.description, message: "Duplicate value: \(combination): Combination of port, protocol and hostname must be unique for each listener"))
            }
        }
    }

    /// The CEL rules that tie `tls` and `hostname` to the protocol (`tls.mode` defaults to Terminate).
    static func protocolRules(_ l: Gateway.Listener, at p: FieldPath, into f: inout Findings) {
        switch l.protocol {
        case "HTTP", "TCP", "UDP":
            if l.tls != nil { f.append(.forbidden(p.child("tls"), "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")) }
        case "HTTPS":
            if let tls = l.tls, let mode = tls.mode, mode != "", mode != "Terminate" {
                f.append(.invalid(p.child("tls").child("mode"), mode, "tls mode must be Terminate for protocol HTTPS"))
            }
        case "TLS":
            if l.tls == nil || l.tls?.mode == "" { f.append(.required(p.child("tls").child("mode"), "tls mode must be set for protocol TLS")) }
        default:
            break
        }
        if l.protocol == "TCP" || l.protocol == "UDP", let h = l.hostname, !h.isEmpty {
            f.append(.forbidden(p.child("hostname"), "hostname must not be specified for protocols ['TCP', 'UDP']"))
        }
    }

    /// `GatewayTLSConfig` of a listener.
    static func tls(_ tls: Gateway.ListenerTLS, at p: FieldPath, into f: inout Findings) {
        f.string(tls.mode, tlsMode, at: p.child("mode"))
        if let refs = tls.certificateRefs {
            f.items(refs.count, max: 64, at: p.child("certificateRefs"))
            for (i, r) in refs.enumerated() {
                ReferenceRules.object(r, at: p.child("certificateRefs").index(i), groupAndKindRequired: false, namespaced: true, into: &f)
            }
        }
        f.stringMap(tls.options, maxProperties: 16, values: CRDFields.annotationValue, at: p.child("options"))
        if (tls.mode ?? "Terminate") == "Terminate", (tls.certificateRefs ?? []).isEmpty, (tls.options ?? [:]).isEmpty {
            f.append(.required(p.child("certificateRefs"), "certificateRefs or options must be specified when mode is Terminate"))
        }
    }

    static func allowedRoutes(_ routes: Gateway.AllowedRoutes, at p: FieldPath, into f: inout Findings) {
        f.string(routes.namespaces?.from, namespacesFrom, at: p.child("namespaces").child("from"))
        if let kinds = routes.kinds {
            f.items(kinds.count, max: 8, at: p.child("kinds"))
            for (i, k) in kinds.enumerated() {
                f.string(k.group, CRDFields.group, at: p.child("kinds").index(i).child("group"))
                f.string(k.kind, CRDFields.kind, at: p.child("kinds").index(i).child("kind"))
            }
        }
    }

    /// What the CEL rule compares: port, protocol, and hostname (absent differs from any value).
    struct Combination: Hashable, CustomStringConvertible {
        var port: Int
        var `protocol`: String
        var hostname: String?
        var description: String {
            "{port: \(port), protocol: \(EchoedText.quoted(self.protocol)), hostname: \(hostname.map { EchoedText.quoted($0) } ?? "unset")}"
        }
    }
}
