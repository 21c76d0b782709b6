import TollgateModel

/// HTTPRoute `spec` (standard channel v1.6.1): parent refs and their CEL rules, hostnames, rules
/// with names, backend refs, filters (by type: the model decodes nothing else of them) and timeouts.
/// Matches have their own file.
enum HTTPRouteRules {
    static let filterType = StringRule(allowed: ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"])
    static let duration = StringRule(pattern: TextPattern(regex: GatewayAPIText.durationRegex) { GatewayDuration.isValid($0) })
    /// Filter types that may appear once per list (CEL).
    static let singleFilters = ["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"]

    static func check(_ spec: HTTPRoute.Spec, into f: inout Findings) {
        let path = FieldPath("spec")
        if let parents = spec.parentRefs { parentRefs(parents, at: path.child("parentRefs"), into: &f) }
        if let hostnames = spec.hostnames {
            f.items(hostnames.count, max: 16, at: path.child("hostnames"))
            for (i, h) in hostnames.enumerated() { f.string(h, CRDFields.hostname, at: path.child("hostnames").index(i)) }
        }
        if let rules = spec.rules { self.rules(rules, at: path.child("rules"), into: &f) }
    }

    /// At most 32, each a `ParentReference`; the two CEL rules on `sectionName` for repeated parents.
    static func parentRefs(_ refs: [ParentReference], at path: FieldPath, into f: inout Findings) {
        f.items(refs.count, max: 32, at: path)
        for (i, r) in refs.enumerated() { ReferenceRules.parent(r, at: path.index(i), into: &f) }
        let targets = refs.map { r in
            SectionTarget(parent: [r.group ?? GatewayAPI.group, r.kind ?? "Gateway", r.name, r.namespace ?? ""], section: r.sectionName ?? "")
        }
        SectionTarget.check(targets, at: path, noun: "parentRefs", target: "parent", into: &f)
    }

    static func rules(_ rules: [HTTPRoute.Rule], at path: FieldPath, into f: inout Findings) {
        f.items(rules.count, min: 1, max: 16, at: path)
        // Absent matches default to one PathPrefix "/" match.
        let total = rules.reduce(0) { $0 + ($1.matches?.count ?? 1) }
        if total > 128 {
            f.append(FieldViolation(field: path.description, message: "Too many: \(total) matches: While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128"))
        }
        for (i, rule) in rules.enumerated() {
            let p = path.index(i)
            f.string(rule.name, CRDFields.sectionName, at: p.child("name"))
            if let matches = rule.matches { HTTPRouteMatchRules.check(matches, at: p.child("matches"), into: &f) }
            if let filters = rule.filters { self.filters(filters, at: p.child("filters"), into: &f) }
            if let refs = rule.backendRefs { backendRefs(refs, at: p.child("backendRefs"), into: &f) }
            if let timeouts = rule.timeouts { self.timeouts(timeouts, at: p.child("timeouts"), into: &f) }
            if !(rule.backendRefs ?? []).isEmpty {
                for (j, filter) in (rule.filters ?? []).enumerated() where filter.type == "RequestRedirect" {
                    f.append(.forbidden(p.child("filters").index(j).child("type"), "RequestRedirect filter must not be used together with backendRefs"))
                }
            }
        }
    }

    /// At most 16; group, kind, name, namespace, port 1–65535, weight 0–1,000,000; a Service needs a port.
    static func backendRefs(_ refs: [HTTPRoute.BackendRef], at path: FieldPath, into f: inout Findings) {
        f.items(refs.count, max: 16, at: path)
        for (i, r) in refs.enumerated() {
            let p = path.index(i)
            f.string(r.group, CRDFields.group, at: p.child("group"))
            f.string(r.kind, CRDFields.kind, at: p.child("kind"))
            f.string(r.name, CRDFields.objectName, at: p.child("name"))
            f.string(r.namespace, CRDFields.namespace, at: p.child("namespace"))
            if let port = r.port { f.integer(port, in: CRDFields.port, at: p.child("port")) }
            if let weight = r.weight { f.integer(weight, in: 0...1_000_000, at: p.child("weight")) }
            if (r.group ?? "").isEmpty, (r.kind ?? "Service") == "Service", r.port == nil {
                f.append(.required(p.child("port"), "Must have port for Service reference"))
            }
            if let filters = r.filters { self.filters(filters, at: p.child("filters"), into: &f) }
        }
    }

    /// At most 16; the type enum; the CEL rules on repeated and conflicting types.
    static func filters(_ filters: [HTTPRoute.Filter], at path: FieldPath, into f: inout Findings) {
        f.items(filters.count, max: 16, at: path)
        var seen: Set<String> = []
        for (i, filter) in filters.enumerated() {
            let p = path.index(i).child("type")
            f.string(filter.type, filterType, at: p)
            if singleFilters.contains(filter.type), !seen.insert(filter.type).inserted {
                f.append(.duplicate(p, filter.type, "\(filter.type) filter cannot be repeated"))
            }
        }
        let types = Set(filters.map(\.type))
        if types.contains("RequestRedirect"), types.contains("URLRewrite") {
            f.append(.forbidden(path, "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"))
        }
    }

    /// `request` and `backendRequest` durations; the backend timeout may not exceed a non-zero
    /// request timeout. Other keys are not in the schema.
    static func timeouts(_ timeouts: [String: String], at path: FieldPath, into f: inout Findings) {
        for key in timeouts.keys.sorted() {
            guard let value = timeouts[key] else { continue }
            if key == "request" || key == "backendRequest" {
                f.string(value, duration, at: path.child(key))
            } else {
                f.append(.unknownField(path.key(key)))
            }
        }
        if let request = timeouts["request"].flatMap(GatewayDuration.milliseconds),
           let backend = timeouts["backendRequest"].flatMap(GatewayDuration.milliseconds),
           request != 0, backend > request {
            f.append(.invalid(path.child("backendRequest"), timeouts["backendRequest"] ?? "", "backendRequest timeout cannot be longer than request timeout"))
        }
    }
}
