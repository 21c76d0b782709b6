import TollgateModel

/// Validated BackendTLSPolicies, indexed by the Service (and port name) they apply to.
struct BackendPolicyIndex {
    struct Entry {
        var policy: ObjectKey
        var tls: BackendTLS
    }
    /// Outcome per policy, used for its status.
    struct Outcome {
        var accepted: Problem?
        var unresolved: Problem?
        var conflicted: Problem?
        var generation: Int64
        var inputs: [ObjectKey: Int64]
    }
    /// (service, sectionName or "") → the winning policy.
    var winners: [ObjectKey: [String: Entry]] = [:]
    /// Every policy targeting a Service, winners and losers (for ancestor status).
    var policiesByService: [ObjectKey: [ObjectKey]] = [:]
    var outcomes: [ObjectKey: Outcome] = [:]

    /// The policy for a Service port: one naming the port's name beats one without sectionName.
    func lookup(service: ObjectKey, portName: String?) -> Entry? {
        guard let byPort = winners[service] else { return nil }
        if let n = portName, !n.isEmpty, let e = byPort[n] { return e }
        return byPort[""]
    }
}

extension BuildContext {
    mutating func resolveBackendTLSPolicies() -> BackendPolicyIndex {
        var index = BackendPolicyIndex()
        // Validate each policy on its own.
        var tlsByPolicy: [ObjectKey: BackendTLS] = [:]
        for p in store.backendTLSPolicies.values {
            let (tls, outcome) = validatePolicy(p)
            tlsByPolicy[p.key] = tls
            index.outcomes[p.key] = outcome
        }
        // Resolve conflicts: per (service, section), the oldest policy wins, then alphabetical.
        var claims: [ObjectKey: [String: [BackendTLSPolicy]]] = [:]
        for p in store.backendTLSPolicies.values {
            for t in p.spec.targetRefs where t.group == "" && t.kind == "Service" {
                let svc = ObjectKey(kind: .service, namespace: p.namespace, name: t.name)
                claims[svc, default: [:]][t.sectionName ?? "", default: []].append(p)
                if !(index.policiesByService[svc]?.contains(p.key) ?? false) {
                    index.policiesByService[svc, default: []].append(p.key)
                }
            }
        }
        for (svc, bySection) in claims {
            for (section, policies) in bySection {
                let ordered = policies.sorted {
                    let a = $0.metadata.creationTimestamp ?? "", b = $1.metadata.creationTimestamp ?? ""
                    return a != b ? a < b : $0.key.namespacedName < $1.key.namespacedName
                }
                let winner = ordered[0]
                index.winners[svc, default: [:]][section] = BackendPolicyIndex.Entry(policy: winner.key, tls: tlsByPolicy[winner.key]!)
                for loser in ordered.dropFirst() {
                    let target = section.isEmpty ? svc.namespacedName : "\(svc.namespacedName) port \(section)"
                    index.outcomes[loser.key]?.conflicted = Problem(reason: Reason.conflicted,
                        message: "BackendTLSPolicy \(winner.key.namespacedName) already targets \(target) and takes precedence")
                }
            }
        }
        return index
    }

    /// Checks one policy's validation block; returns what traffic gets and the status outcome.
    private func validatePolicy(_ p: BackendTLSPolicy) -> (BackendTLS, BackendPolicyIndex.Outcome) {
        var outcome = BackendPolicyIndex.Outcome(generation: p.generation, inputs: [p.key: p.generation])
        let v = p.spec.validation
        func invalid(_ reason: String, _ message: String) -> (BackendTLS, BackendPolicyIndex.Outcome) {
            var o = outcome
            o.accepted = o.accepted ?? Problem(reason: reason, message: message)
            return (.invalid(policy: p.key, reason: message), o)
        }
        for (i, t) in p.spec.targetRefs.enumerated() where !(t.group == "" && t.kind == "Service") {
            return invalid(Reason.invalid, "spec.targetRefs[\(i)]: only core Services can be targeted, not \(t.group.isEmpty ? "" : t.group + "/")\(t.kind)")
        }
        let refs = v.caCertificateRefs ?? []
        let wellKnown = v.wellKnownCACertificates
        if refs.isEmpty == (wellKnown == nil) {
            return invalid(Reason.invalid, "spec.validation: set exactly one of caCertificateRefs and wellKnownCACertificates")
        }
        if let wk = wellKnown, wk != "System" {
            return invalid(Reason.invalid, "spec.validation.wellKnownCACertificates \"\(wk)\" is not supported; only System is")
        }
        guard Hostnames.isValid(v.hostname, allowWildcard: false) else {
            return invalid(Reason.invalid, "spec.validation.hostname \"\(v.hostname)\" is not a valid DNS name")
        }
        for (i, san) in (v.subjectAltNames ?? []).enumerated() {
            // NGINX verifies the backend certificate against proxy_ssl_name, which is also the SNI
            // (the policy hostname); it has no separate SAN list. Accept only what it can enforce.
            guard san.type == "Hostname", san.hostname == v.hostname else {
                return invalid(Reason.invalid, "spec.validation.subjectAltNames[\(i)]: NGINX can only verify the backend certificate against spec.validation.hostname (\(v.hostname)); a \(san.type) SAN \(san.hostname ?? san.uri ?? "") cannot be enforced")
            }
        }
        if let _ = wellKnown { return (.valid(hostname: v.hostname, trust: .system, policy: p.key), outcome) }
        var pems: [String] = []
        var sources: [ObjectKey] = []
        var problems: [Problem] = []
        for (i, ref) in refs.enumerated() {
            let f = "spec.validation.caCertificateRefs[\(i)]"
            guard ref.group ?? "" == "", let kind = ObjectKind(rawValue: ref.kind ?? ""), kind == .secret || kind == .configMap else {
                problems.append(Problem(reason: Reason.invalidKind, message: "\(f): kind \(ref.kind ?? "(empty)") is not supported; use a Secret or ConfigMap"))
                continue
            }
            let key = ObjectKey(kind: kind, namespace: p.namespace, name: ref.name)
            if kind == .secret, let s = store.secrets[key] { outcome.inputs[key] = s.generation }
            if kind == .configMap, let c = store.configMaps[key] { outcome.inputs[key] = c.generation }
            switch caCertificate(kind: kind, key) {
            case .success(let ca): pems.append(ca.pem); sources.append(key)
            case .failure(let fail): problems.append(Problem(reason: Reason.invalidCACertificateRef, message: "\(f): \(fail.message)"))
            }
        }
        if let first = problems.first {
            outcome.unresolved = Problem(reason: first.reason, message: problems.map(\.message).joined(separator: "; "))
        }
        if pems.isEmpty {
            outcome.accepted = Problem(reason: Reason.noValidCACertificate, message: "no valid CA certificate in spec.validation.caCertificateRefs")
            return (.invalid(policy: p.key, reason: "no valid CA certificate"), outcome)
        }
        let bundle = CABundle(id: "backend-" + PEMValidation.fileID(p.key), pem: pems.joined(), sources: sources)
        return (.valid(hostname: v.hostname, trust: .bundle(bundle), policy: p.key), outcome)
    }

    /// Writes each policy's status: one ancestor entry per Gateway whose traffic it affects.
    mutating func writePolicyStatuses() {
        for p in store.backendTLSPolicies.values {
            guard let o = backendPolicies.outcomes[p.key] else { continue }
            let g = o.generation
            let accepted: Condition
            if let c = o.conflicted {
                accepted = Condition(ConditionType.accepted, false, c.reason, c.message, generation: g)
            } else if let a = o.accepted {
                accepted = Condition(ConditionType.accepted, false, a.reason, a.message, generation: g)
            } else {
                accepted = Condition(ConditionType.accepted, true, Reason.accepted, "Policy is accepted", generation: g)
            }
            let resolved = o.unresolved.map { Condition(ConditionType.resolvedRefs, false, $0.reason, $0.message, generation: g) }
                ?? Condition(ConditionType.resolvedRefs, true, Reason.resolvedRefs, "All CACertificateRefs are resolved", generation: g)
            let ancestors = routes.ancestors(policy: p.key).sorted().map { gw in
                PolicyStatus.Ancestor(ancestorRef: StatusParentRef(group: GatewayAPI.group, kind: "Gateway", namespace: gw.namespace, name: gw.name),
                                      controllerName: controllerName, conditions: [accepted, resolved])
            }
            graph.statuses[p.key] = .backendTLSPolicy(PolicyStatus(ancestors: ancestors))
        }
    }
}
