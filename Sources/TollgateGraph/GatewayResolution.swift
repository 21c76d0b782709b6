import TollgateAdmission
import TollgateModel

extension BuildContext {
    static let gatewayKindGroup = (group: GatewayAPI.group, kind: "Gateway")

    /// Resolves every Gateway whose class belongs to us: addresses, parameters, listeners,
    /// certificates, frontend validation, the backend client certificate and conflicts.
    mutating func buildGateways(acceptedClasses: [String: (settings: NginxProxy.Spec?, inputs: [ObjectKey: Int64])]) {
        let ourClasses = Set(store.gatewayClasses.values.filter { $0.spec.controllerName == controllerName }.map(\.name))
        validateNamedKeyPairs(ourClasses: ourClasses)
        for gw in store.gateways.values where ourClasses.contains(gw.spec.gatewayClassName) {
            var state = GatewayState(gateway: gw)
            state.inputs[gw.key] = gw.generation
            if let cls = acceptedClasses[gw.spec.gatewayClassName] {
                state.inputs.merge(cls.inputs) { a, _ in a }
                apply(cls.settings, to: &state.settings)
            } else {
                state.notAccepted = Problem(reason: Reason.invalid, message: "GatewayClass \(gw.spec.gatewayClassName) is not accepted")
            }
            if let ref = gw.spec.infrastructure?.parametersRef {
                switch resolveNginxProxy(ref, defaultNamespace: gw.namespace) {
                case .success(let np):
                    apply(np.spec, to: &state.settings)
                    state.inputs[np.key] = np.generation
                case .failure(let f):
                    state.notAccepted = state.notAccepted ?? Problem(reason: Reason.invalidParameters, message: "spec.infrastructure.\(f.message)")
                }
            }
            resolveAddresses(&state)
            state.listeners = gw.spec.listeners.map { ListenerState(spec: $0) }
            for i in state.listeners.indices { validateListener(&state.listeners[i], gateway: gw, inputs: &state.inputs) }
            for i in state.listeners.indices {
                if let reason = unavailablePorts[gw.key]?[state.listeners[i].spec.port], state.listeners[i].notAccepted == nil {
                    state.listeners[i].notAccepted = Problem(reason: Reason.portUnavailable, message: "port \(state.listeners[i].spec.port) could not be bound: \(reason)")
                }
            }
            markConflicts(&state.listeners)
            markOverlaps(&state.listeners)
            resolveFrontendValidation(&state)
            resolveBackendClientCertificate(&state)
            gatewayStates[gw.key] = state
        }
    }

    private func apply(_ spec: NginxProxy.Spec?, to settings: inout ProxySettings) {
        guard let spec else { return }
        if let d = spec.disableSNIHostValidation { settings.disableSNIHostValidation = d }
        switch spec.workerProcesses {
        // Admission allows 1-1024 or "auto"; clamp anyway, this reaches worker_processes.
        case .int(let n)?: settings.workerProcesses = String(min(max(1, n), 1024))
        case .string(let s)?: settings.workerProcesses = s == "auto" ? "auto" : (Int(s).map { String(min(max(1, $0), 1024)) } ?? "auto")
        case nil: break
        }
    }

    private func resolveAddresses(_ state: inout GatewayState) {
        var addresses: [String] = []
        for (i, a) in (state.gateway.spec.addresses ?? []).enumerated() {
            let type = a.type ?? "IPAddress"
            guard type == "IPAddress" else {
                state.notAccepted = state.notAccepted ?? Problem(reason: Reason.unsupportedAddress,
                    message: "spec.addresses[\(i)]: address type \(type) is not supported; use IPAddress")
                continue
            }
            guard IPAddressText.isIP(a.value) else {
                state.notAccepted = state.notAccepted ?? Problem(reason: Reason.unsupportedAddress,
                    message: "spec.addresses[\(i)]: \(EchoedText.quoted(a.value)) is not an IP address")
                continue
            }
            if !addresses.contains(a.value) { addresses.append(a.value) }
        }
        state.bindAddresses = addresses.isEmpty ? [defaultAddress] : addresses
    }

    private mutating func validateListener(_ l: inout ListenerState, gateway gw: Gateway, inputs: inout [ObjectKey: Int64]) {
        let spec = l.spec
        guard (1...65535).contains(spec.port) else {
            l.notAccepted = Problem(reason: Reason.portUnavailable, message: "port \(spec.port) is outside 1-65535")
            return
        }
        if let h = spec.hostname, !Hostnames.isValid(h) {
            l.notAccepted = Problem(reason: Reason.unsupportedValue, message: "hostname \"\(h)\" is not a valid DNS name or wildcard")
        }
        switch spec.protocol {
        case "HTTP", "HTTPS":
            break
        default:
            l.notAccepted = Problem(reason: Reason.unsupportedProtocol, message: "protocol \(spec.protocol) is not supported; use HTTP or HTTPS")
            return
        }
        // Route kinds.
        let httpRoute = GatewayStatus.RouteGroupKind(group: GatewayAPI.group, kind: "HTTPRoute")
        if let kinds = spec.allowedRoutes?.kinds, !kinds.isEmpty {
            var invalid: [String] = []
            for k in kinds {
                if (k.group ?? GatewayAPI.group) == GatewayAPI.group && k.kind == "HTTPRoute" {
                    if !l.supportedKinds.contains(httpRoute) { l.supportedKinds.append(httpRoute) }
                } else {
                    invalid.append("\(k.group ?? GatewayAPI.group)/\(k.kind)")
                }
            }
            if !invalid.isEmpty {
                l.unresolved.append(Problem(reason: Reason.invalidRouteKinds, message: "route kinds \(invalid.joined(separator: ", ")) are not supported"))
            }
        } else {
            l.supportedKinds = [httpRoute]
        }
        guard spec.protocol == "HTTPS" else { return }
        if let mode = spec.tls?.mode, mode != "Terminate" {
            l.notAccepted = Problem(reason: Reason.unsupportedProtocol, message: "HTTPS listeners support tls.mode Terminate only, not \(mode)")
            return
        }
        let refs = spec.tls?.certificateRefs ?? []
        if refs.isEmpty {
            l.certificateInvalid = true
            l.unresolved.append(Problem(reason: Reason.invalidCertificateRef, message: "HTTPS listener needs tls.certificateRefs"))
            return
        }
        for (i, ref) in refs.enumerated() {
            let field = "tls.certificateRefs[\(i)]"
            let group = ref.group ?? "", kind = ref.kind ?? "Secret"
            guard group == "", kind == "Secret" else {
                l.certificateInvalid = true
                l.unresolved.append(Problem(reason: Reason.invalidCertificateRef, message: "\(field): kind \(group.isEmpty ? "" : group + "/")\(kind) is not supported; use a core Secret"))
                continue
            }
            let ns = ref.namespace ?? gw.namespace
            let key = ObjectKey(kind: .secret, namespace: ns, name: ref.name)
            guard grants.allows(fromGroup: GatewayAPI.group, fromKind: "Gateway", fromNamespace: gw.namespace,
                                toGroup: "", toKind: "Secret", toNamespace: ns, toName: ref.name) else {
                l.certificateInvalid = true
                l.unresolved.append(Problem(reason: Reason.refNotPermitted, message: "\(field): \(key) is in another namespace and no ReferenceGrant allows it"))
                continue
            }
            recordGrantInputs(from: gw.namespace, to: ns, into: &inputs)
            if let s = store.secrets[key] { inputs[key] = s.generation }
            switch keyPair(key) {
            case .success(let material):
                l.certificates.append(material)
                if let note = PEMValidation.expiryNote(material.notAfter, subject: key.namespacedName, now: now) { l.notes.append(note) }
            case .failure(let f):
                l.certificateInvalid = true
                l.unresolved.append(Problem(reason: Reason.invalidCertificateRef, message: "\(field): \(f.message)"))
            }
        }
    }

    func recordGrantInputs(from: String, to: String, into inputs: inout [ObjectKey: Int64]) {
        guard from != to else { return }
        for g in grants.grants(in: to) { inputs[g.key] = g.generation }
    }

    /// Listeners sharing a port must share a protocol; listeners sharing port and hostname conflict.
    private func markConflicts(_ listeners: inout [ListenerState]) {
        var byPort: [Int: [Int]] = [:]
        for (i, l) in listeners.enumerated() where l.notAccepted == nil { byPort[l.spec.port, default: []].append(i) }
        for (port, idx) in byPort where idx.count > 1 {
            let protocols = Set(idx.map { listeners[$0].spec.protocol })
            if protocols.count > 1 {
                for i in idx {
                    listeners[i].conflicted = Problem(reason: Reason.protocolConflict,
                        message: "port \(port) is used with protocols \(protocols.sorted().joined(separator: " and "))")
                }
                continue
            }
            var byHost: [String: [Int]] = [:]
            for i in idx { byHost[listeners[i].spec.hostname ?? "", default: []].append(i) }
            for (host, same) in byHost where same.count > 1 {
                let names = same.map { listeners[$0].spec.name }.joined(separator: ", ")
                for i in same {
                    listeners[i].conflicted = Problem(reason: Reason.hostnameConflict,
                        message: "listeners \(names) share port \(port) and hostname \(host.isEmpty ? "(none)" : host)")
                }
            }
        }
    }
}

extension BuildContext {
    /// HTTPS listeners on one port whose hostnames overlap (`a.example.com` and `*.example.com`, or
    /// any hostname and no hostname) get OverlappingTLSConfig=True: a client may reuse one
    /// connection for both names, and NGINX answers 421 when the Host selects the other listener.
    func markOverlaps(_ listeners: inout [ListenerState]) {
        let https = listeners.indices.filter { listeners[$0].spec.protocol == "HTTPS" && listeners[$0].renderable }
        for i in https {
            let a = listeners[i].spec
            let others = https.filter { j in
                guard j != i, listeners[j].spec.port == a.port else { return false }
                let b = listeners[j].spec
                return Self.overlap(a.hostname, b.hostname)
            }.map { listeners[$0].spec.name }
            if !others.isEmpty {
                listeners[i].overlapping = Problem(reason: Reason.overlappingHostnames,
                    message: "hostname \(a.hostname ?? "(any)") on port \(a.port) overlaps listener\(others.count == 1 ? "" : "s") \(others.joined(separator: ", "))")
            }
        }
    }

    static func overlap(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return true }
        return Hostnames.listenerMatches(a, b) || Hostnames.listenerMatches(b, a)
    }
}
