import TollgateAdmission
import Foundation
import TollgateModel

extension BuildContext {
    /// Attaches every HTTPRoute to the listeners of Tollgate's Gateways it names, resolves its
    /// backends and writes its per-parent status: every route's outcome, aggregated.
    /// Routes are resolved concurrently (each outcome reads only the Gateway-side state) and in
    /// key order, so the aggregate's per-listener lists arrive already sorted.
    mutating func buildRoutes() {
        let ctx = self
        routes = RouteAggregate(Parallel.map(store.httpRoutes.keys.sorted()) { ($0, ctx.routeOutcome(ctx.store.httpRoutes[$0]!)) })
    }

    /// What one route contributes to the graph: its status, the listeners it attaches to, the
    /// inputs it adds to each Gateway and the Gateways it makes ancestors of BackendTLSPolicies.
    /// Reads the Gateway-side state only, so routes can be resolved in any order, or alone.
    func routeOutcome(_ route: HTTPRoute) -> RouteOutcome {
        var outcome = RouteOutcome()
        var parents: [RouteStatus.Parent] = []
        var resolved: (model: RouteModel, unresolved: Problem?, inputs: [ObjectKey: Int64])?
        let unsupported = unsupportedFeature(route)
        let g = route.generation
        for pref in route.spec.parentRefs ?? [] {
            let group = pref.group ?? GatewayAPI.group, kind = pref.kind ?? "Gateway"
            guard group == GatewayAPI.group, kind == "Gateway" else { continue }
            let ns = pref.namespace ?? route.namespace
            let gwKey = ObjectKey(kind: .gateway, namespace: ns, name: pref.name)
            guard gatewayStates[gwKey] != nil else { continue }
            let ref = StatusParentRef(group: group, kind: kind, namespace: ns, name: pref.name,
                                      sectionName: pref.sectionName, port: pref.port)
            func reject(_ reason: String, _ message: String) {
                parents.append(.init(parentRef: ref, controllerName: controllerName, conditions: [
                    Condition(ConditionType.accepted, false, reason, message, generation: g),
                    Condition(ConditionType.resolvedRefs, true, Reason.resolvedRefs, "All references are resolved", generation: g),
                ]))
            }
            let matched: [(Int, [String])]
            switch attachment(route, pref, gwKey) {
            case .reject(let reason, let message): reject(reason, message); continue
            case .attach(let m): matched = m
            }
            if let u = unsupported {
                reject(Reason.unsupportedValue, u)
                continue
            }
            if resolved == nil { resolved = resolveRoute(route) }
            let r = resolved!
            var attachments = outcome.attachments[gwKey] ?? []
            for (i, hosts) in matched where !attachments.contains(where: { $0.listener == i }) {
                attachments.append(RouteOutcome.Attachment(listener: i, route: AttachedRoute(route: r.model, hostnames: hosts)))
            }
            outcome.attachments[gwKey] = attachments
            var inputs = outcome.inputs[gwKey] ?? [:]
            inputs.merge(r.inputs) { a, _ in a }
            inputs[route.key] = g
            if route.namespace != gwKey.namespace, let nsObj = store.namespaces[route.namespace] {
                inputs[nsObj.key] = nsObj.generation
            }
            for rule in r.model.rules {
                for b in rule.backends {
                    guard case .service(let s) = b.target else { continue }
                    for p in backendPolicies.policiesByService[s.service] ?? [] {
                        outcome.policyAncestors[p, default: []].insert(gwKey)
                        if let o = backendPolicies.outcomes[p] { inputs.merge(o.inputs) { a, _ in a } }
                    }
                }
            }
            outcome.inputs[gwKey] = inputs
            let resolvedCondition = r.unresolved.map { Condition(ConditionType.resolvedRefs, false, $0.reason, $0.message, generation: g) }
                ?? Condition(ConditionType.resolvedRefs, true, Reason.resolvedRefs, "All references are resolved", generation: g)
            parents.append(.init(parentRef: ref, controllerName: controllerName, conditions: [
                Condition(ConditionType.accepted, true, Reason.accepted, "The route is accepted", generation: g),
                resolvedCondition,
            ]))
        }
        if !parents.isEmpty { outcome.status = .httpRoute(RouteStatus(parents: parents)) }
        return outcome
    }

    enum AttachmentDecision {
        case reject(String, String)
        case attach([(Int, [String])])
    }

    /// Which listeners of a Gateway a parentRef attaches the route to, or why it does not.
    /// Read-only: the caller mutates the Gateway state afterwards without copying it.
    private func attachment(_ route: HTTPRoute, _ pref: ParentReference, _ gwKey: ObjectKey) -> AttachmentDecision {
        let gs = gatewayStates[gwKey]!
        guard gs.accepted else {
            return .reject(Reason.noMatchingParent, "Gateway \(gwKey.namespacedName) is not accepted: \(gs.notAccepted!.message)")
        }
        let candidates = gs.listeners.indices.filter { i in
            (pref.sectionName == nil || gs.listeners[i].spec.name == pref.sectionName)
                && (pref.port == nil || gs.listeners[i].spec.port == pref.port)
        }
        guard !candidates.isEmpty else {
            var what: [String] = []
            if let s = pref.sectionName { what.append("named \(s)") }
            if let p = pref.port { what.append("on port \(p)") }
            return .reject(Reason.noMatchingParent, "Gateway \(gwKey.namespacedName) has no listener \(what.joined(separator: " "))")
        }
        let allowed = candidates.filter { allows(gs.listeners[$0], gateway: gs.gateway, routeNamespace: route.namespace) }
        guard !allowed.isEmpty else {
            return .reject(Reason.notAllowedByListeners, "no listener of Gateway \(gwKey.namespacedName) that this route names allows HTTPRoutes from namespace \(route.namespace)")
        }
        let routeHosts = route.spec.hostnames ?? []
        var matched: [(Int, [String])] = []
        for i in allowed {
            if let hosts = Hostnames.intersect(listener: gs.listeners[i].spec.hostname, route: routeHosts) {
                matched.append((i, hosts))
            }
        }
        guard !matched.isEmpty else {
            return .reject(Reason.noMatchingListenerHostname, "no listener hostname of Gateway \(gwKey.namespacedName) intersects the route hostnames \(routeHosts.joined(separator: ", "))")
        }
        return .attach(matched)
    }

    /// `allowedRoutes`: kinds and namespaces (Same, All, Selector).
    private func allows(_ l: ListenerState, gateway: Gateway, routeNamespace: String) -> Bool {
        guard l.acceptsHTTPRoutes else { return false }
        let ns = l.spec.allowedRoutes?.namespaces
        switch ns?.from ?? "Same" {
        case "All": return true
        case "Selector":
            guard let sel = ns?.selector else { return false }
            return LabelSelectorMatcher.matches(sel, labels: store.namespaceLabels(routeNamespace))
        default: return routeNamespace == gateway.namespace
        }
    }

    /// The first feature of the route Tollgate does not implement, as a message naming its field.
    private func unsupportedFeature(_ route: HTTPRoute) -> String? {
        for (i, h) in (route.spec.hostnames ?? []).enumerated() where !Hostnames.isValid(h) {
            return "spec.hostnames[\(i)] \(EchoedText.quoted(h)) is not a valid hostname"
        }
        for (ri, rule) in (route.spec.rules ?? []).enumerated() {
            let rf = "spec.rules[\(ri)]"
            if let f = rule.filters, !f.isEmpty { return "\(rf).filters (\(f[0].type)) are not supported yet" }
            for (mi, m) in (rule.matches ?? []).enumerated() {
                let mf = "\(rf).matches[\(mi)]"
                if let t = m.path?.type, t != "Exact" && t != "PathPrefix" { return "\(mf).path.type \(t) is not supported; use Exact or PathPrefix" }
                if let v = m.path?.value, let problem = Self.unsupportedPath(v) { return "\(mf).path.value \(problem)" }
                if m.method != nil { return "\(mf).method is not supported yet" }
                if let q = m.queryParams, !q.isEmpty { return "\(mf).queryParams are not supported yet" }
                for (hi, h) in (m.headers ?? []).enumerated() {
                    let hf = "\(mf).headers[\(hi)]"
                    if let t = h.type, t != "Exact" { return "\(hf).type \(EchoedText.quoted(t)) is not supported; use Exact" }
                    if !DataPlaneLimits.isMatchableHeaderName(h.name) {
                        return "\(hf).name \(EchoedText.quoted(h.name)) cannot be matched: NGINX exposes only header names of letters, digits and - (it drops names with _)"
                    }
                    if !DataPlaneLimits.isPrintable(h.value) { return "\(hf).value contains control characters" }
                    if h.value.utf8.count > DataPlaneLimits.maxHeaderValueBytes {
                        return "\(hf).value is \(h.value.utf8.count) bytes; NGINX can match values of at most \(DataPlaneLimits.maxHeaderValueBytes) bytes"
                    }
                }
            }
            for (bi, b) in (rule.backendRefs ?? []).enumerated() {
                if let f = b.filters, !f.isEmpty { return "\(rf).backendRefs[\(bi)].filters are not supported yet" }
            }
        }
        return nil
    }

    /// The path NGINX compares with its normalized (percent-decoded) request URI: `/a%20b` must
    /// be the location `/a b` to ever match.
    static func locationPath(_ v: String) -> String {
        v.contains("%") ? (v.removingPercentEncoding ?? v) : v
    }

    /// Why NGINX cannot serve a path match value, or nil when it can.
    static func unsupportedPath(_ v: String) -> String? {
        if !v.hasPrefix("/") { return "\(EchoedText.quoted(v)) must start with /" }
        if !DataPlaneLimits.isPrintable(v) || v.unicodeScalars.contains(where: { $0 == " " }) { return "\(EchoedText.quoted(v)) contains whitespace or control characters" }
        if v.utf8.count > DataPlaneLimits.maxPathBytes { return "is \(v.utf8.count) bytes; the limit is \(DataPlaneLimits.maxPathBytes)" }
        if !DataPlaneLimits.isPrintable(Self.locationPath(v)) { return "\(EchoedText.quoted(v)) percent-encodes a control character" }
        if DataPlaneLimits.isReserved(path: v) || DataPlaneLimits.isReserved(path: Self.locationPath(v)) {
            return "\(EchoedText.quoted(v)) is under \(DataPlaneLimits.reservedPathPrefix)/, which Tollgate reserves for its internal locations"
        }
        return nil
    }

    /// Resolves matches and backends of a route; `unresolved` is the ResolvedRefs=False cause.
    private func resolveRoute(_ route: HTTPRoute) -> (model: RouteModel, unresolved: Problem?, inputs: [ObjectKey: Int64]) {
        var problems: [Problem] = []
        var inputs: [ObjectKey: Int64] = [:]
        var rules: [RuleModel] = []
        for (ri, rule) in (route.spec.rules ?? [HTTPRoute.Rule()]).enumerated() {
            let specMatches = (rule.matches?.isEmpty ?? true) ? [HTTPRoute.Match()] : rule.matches!
            let matches = specMatches.enumerated().map { mi, m -> MatchModel in
                let type: MatchModel.PathType = (m.path?.type ?? "PathPrefix") == "Exact" ? .exact : .prefix
                return MatchModel(pathType: type, path: Self.locationPath(m.path?.value ?? "/"),
                                  headers: (m.headers ?? []).map { .init(name: $0.name.lowercased(), value: $0.value) }, index: mi)
            }
            var backends: [BackendModel] = []
            for (bi, ref) in (rule.backendRefs ?? []).enumerated() {
                let f = "spec.rules[\(ri)].backendRefs[\(bi)]"
                // Admission bounds weights to 0-1,000,000; clamp anyway so no sum can overflow.
                let weight = min(max(ref.weight ?? 1, 0), 1_000_000)
                guard weight > 0 else { continue }
                let group = ref.group ?? "", kind = ref.kind ?? "Service"
                guard group == "", kind == "Service" else {
                    let p = Problem(reason: Reason.invalidKind, message: "\(f): kind \(group.isEmpty ? "" : group + "/")\(kind) is not supported; use a core Service")
                    problems.append(p); backends.append(.init(weight: weight, target: .invalid(reason: p.message))); continue
                }
                let ns = ref.namespace ?? route.namespace
                let key = ObjectKey(kind: .service, namespace: ns, name: ref.name)
                guard grants.allows(fromGroup: GatewayAPI.group, fromKind: "HTTPRoute", fromNamespace: route.namespace,
                                    toGroup: "", toKind: "Service", toNamespace: ns, toName: ref.name) else {
                    let p = Problem(reason: Reason.refNotPermitted, message: "\(f): \(key) is in another namespace and no ReferenceGrant allows it")
                    problems.append(p); backends.append(.init(weight: weight, target: .invalid(reason: p.message))); continue
                }
                recordGrantInputs(from: route.namespace, to: ns, into: &inputs)
                guard let svc = store.services[key] else {
                    let p = Problem(reason: Reason.backendNotFound, message: "\(f): \(key) does not exist")
                    problems.append(p); backends.append(.init(weight: weight, target: .invalid(reason: p.message))); continue
                }
                inputs[key] = svc.generation
                guard let portNumber = ref.port else {
                    let p = Problem(reason: Reason.backendNotFound, message: "\(f): port is required for a Service backend")
                    problems.append(p); backends.append(.init(weight: weight, target: .invalid(reason: p.message))); continue
                }
                guard let sp = svc.spec?.ports?.first(where: { $0.port == portNumber }) else {
                    let p = Problem(reason: Reason.backendNotFound, message: "\(f): \(key) has no port \(portNumber)")
                    problems.append(p); backends.append(.init(weight: weight, target: .invalid(reason: p.message))); continue
                }
                let eps = endpoints(service: key, port: sp, inputs: &inputs)
                let tls = backendPolicies.lookup(service: key, portName: sp.name)?.tls
                backends.append(.init(weight: weight, target: .service(ServiceBackend(service: key, port: portNumber, endpoints: eps, tls: tls))))
            }
            rules.append(RuleModel(index: ri, matches: matches, backends: backends))
        }
        let unresolved = problems.first.map { Problem(reason: $0.reason, message: problems.map(\.message).joined(separator: "; ")) }
        return (RouteModel(key: route.key, creationTimestamp: route.metadata.creationTimestamp, rules: rules), unresolved, inputs)
    }
}

/// Kubernetes label selector evaluation.
enum LabelSelectorMatcher {
    static func matches(_ s: LabelSelector, labels: [String: String]) -> Bool {
        for (k, v) in s.matchLabels ?? [:] where labels[k] != v { return false }
        for r in s.matchExpressions ?? [] {
            let values = Set(r.values ?? [])
            switch r.operator {
            case "In": guard let v = labels[r.key], values.contains(v) else { return false }
            case "NotIn": if let v = labels[r.key], values.contains(v) { return false }
            case "Exists": guard labels[r.key] != nil else { return false }
            case "DoesNotExist": guard labels[r.key] == nil else { return false }
            default: return false
            }
        }
        return true
    }
}
