import TollgateModel

/// HTTPRoute `matches` (≤ 64 per rule): path type and value with the CRD's CEL rules, header and
/// query parameter matches (≤ 16 each, unique names, RFC 7230 token names; header values by the
/// experimental channel's stricter pattern), and the method.
enum HTTPRouteMatchRules {
    static let pathType = StringRule(allowed: ["Exact", "PathPrefix", "RegularExpression"])
    static let pathValue = StringRule(maxLength: GatewayPath.maxLength)
    static let matchType = StringRule(allowed: ["Exact", "RegularExpression"])
    static let fieldName = StringRule(minLength: 1, maxLength: 256, pattern: TextPattern(regex: HTTPToken.regex) { HTTPToken.isToken($0) })
    static let headerValue = StringRule(minLength: 1, maxLength: 4096, pattern: TextPattern(regex: HTTPHeaderMatchValue.regex) { HTTPHeaderMatchValue.matchesPattern($0) })
    static let queryValue = StringRule(minLength: 1, maxLength: 1024)
    static let method = StringRule(allowed: ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"])

    static func check(_ matches: [HTTPRoute.Match], at path: FieldPath, into f: inout Findings) {
        f.items(matches.count, max: 64, at: path)
        for (i, m) in matches.enumerated() {
            let p = path.index(i)
            if let pm = m.path { self.path(pm, at: p.child("path"), into: &f) }
            if let headers = m.headers { fields(headers, value: headerValue, at: p.child("headers"), into: &f) }
            if let query = m.queryParams { fields(query, value: queryValue, at: p.child("queryParams"), into: &f) }
            f.string(m.method, method, at: p.child("method"))
        }
    }

    /// Type defaults to PathPrefix and value to `/`. Exact and PathPrefix values follow the CEL
    /// rules; a RegularExpression may be up to 1024 characters and (stricter than the CRD) may not
    /// hold control characters, which no request path can contain.
    static func path(_ m: HTTPRoute.PathMatch, at p: FieldPath, into f: inout Findings) {
        f.string(m.type, pathType, at: p.child("type"))
        f.string(m.value, pathValue, at: p.child("value"))
        let value = m.value ?? "/"
        switch m.type ?? "PathPrefix" {
        case "Exact", "PathPrefix":
            f.invalid(value, GatewayPath.problems(value), at: p.child("value"))
        case "RegularExpression":
            if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                f.append(.invalid(p.child("value"), value, "a RegularExpression path must not contain control characters"))
            }
        default:
            break
        }
    }

    /// Header or query parameter matches: a list map keyed by `name` (exact, case-sensitive
    /// duplicates refused as the API server does).
    static func fields(_ list: [HTTPRoute.HeaderMatch], value: StringRule, at path: FieldPath, into f: inout Findings) {
        f.items(list.count, max: 16, at: path)
        var names: Set<String> = []
        for (i, h) in list.enumerated() {
            let p = path.index(i)
            f.string(h.type, matchType, at: p.child("type"))
            f.string(h.name, fieldName, at: p.child("name"))
            f.string(h.value, value, at: p.child("value"))
            if !names.insert(h.name).inserted { f.append(.duplicate(p.child("name"), h.name)) }
        }
    }
}
