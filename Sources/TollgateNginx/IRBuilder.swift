import Foundation
import TollgateGraph
import TollgateModel

/// GatewayModel → GatewayIR. Pure and deterministic.
public struct IRBuilder: Sendable {
    /// Path of the system CA bundle, for `wellKnownCACertificates: System`.
    public var systemCABundle: String

    public init(systemCABundle: String = "/etc/ssl/certs/ca-certificates.crt") {
        self.systemCABundle = systemCABundle
    }

    public static let internalPrefix = DataPlaneLimits.reservedPathPrefix + "/"

    public func build(_ gw: GatewayModel) -> GatewayIR {
        var memo = ServerMemo()
        return build(gw, memo: &memo)
    }

    /// The IR of a Gateway, taking from `memo` every server whose inputs are unchanged since the
    /// build that filled it, and leaving in `memo` this build's servers. Equal to `build(gw)`.
    public func build(_ gw: GatewayModel, memo: inout ServerMemo) -> GatewayIR {
        var state = State(gateway: gw, systemCABundle: systemCABundle)
        state.previous = memo.entries
        defer { memo = ServerMemo(entries: state.next) }
        let byPort = Dictionary(grouping: gw.listeners, by: \.port)
        var ports: [PortIR] = []
        for port in byPort.keys.sorted() {
            ports.append(state.port(port, listeners: byPort[port]!))
        }
        var certificates: [String: TLSMaterial] = [:]
        var bundles: [String: CABundle] = [:]
        for l in gw.listeners {
            for c in l.certificates { certificates[c.id] = c }
            if let f = l.frontendValidation { bundles[f.ca.id] = f.ca }
        }
        for u in state.usedTLS {
            if case .bundle(let b) = u { bundles[b.id] = b }
        }
        if let c = gw.backendClientCertificate, state.backendClientCertificateUsed { certificates[c.id] = c }
        return GatewayIR(
            gateway: gw.key, settings: gw.settings, bindAddresses: gw.bindAddresses, ports: ports,
            upstreams: state.upstreams.values.sorted { $0.name < $1.name },
            headerConditions: state.headerConditions.values.sorted { $0.variable < $1.variable },
            splits: state.splits.values.sorted { $0.variable < $1.variable },
            certificates: certificates.values.sorted { $0.id < $1.id },
            caBundles: bundles.values.sorted { $0.id < $1.id },
            backendClientCertificate: state.backendClientCertificateUsed ? gw.backendClientCertificate : nil)
    }
}

/// What a rule does with a request.
enum RuleAction: Equatable {
    case single(TargetIR)
    case split(variable: String, targets: [TargetIR])

    var value: String {
        switch self {
        case .single(let t): return t.uri
        case .split(let v, _): return v
        }
    }
    var targets: [TargetIR] {
        switch self {
        case .single(let t): return [t]
        case .split(_, let ts): return ts
        }
    }
}

/// A location of a server: an exact path (`location = /a`) or a prefix (`location /a/`, whose
/// path ends in a slash). Ordered by path, then exact before prefix: the order locations are
/// numbered and written in.
struct LocationKey: Hashable, Comparable {
    var path: String
    var exact: Bool

    static func < (a: LocationKey, b: LocationKey) -> Bool {
        a.path != b.path ? a.path < b.path : (a.exact && !b.exact)
    }
}

/// A route on a server's hostname, for de-duplication.
struct RouteOnHost: Hashable {
    var hostname: String
    var route: ObjectKey
}

/// One rule of one route.
struct RuleKey: Hashable {
    var route: ObjectKey
    var rule: Int
}

/// One path match of one rule of one route, as a location candidate.
struct Candidate {
    var route: RouteModel
    var rule: RuleModel
    var match: MatchModel
    let path: String
    /// `path.count`, compared on every sort step.
    let pathLength: Int

    init(route: RouteModel, rule: RuleModel, match: MatchModel, path: String) {
        self.route = route; self.rule = rule; self.match = match; self.path = path; pathLength = path.count
    }

    var origin: String { "\(route.key.namespacedName) rule \(rule.index) match \(match.index)" }

    /// Gateway API precedence: exact path, longer path, more header matches, older route,
    /// route namespace/name, rule order, match order.
    static func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
        let ae = a.match.pathType == .exact, be = b.match.pathType == .exact
        if ae != be { return ae }
        if a.pathLength != b.pathLength { return a.pathLength > b.pathLength }
        if a.match.headers.count != b.match.headers.count { return a.match.headers.count > b.match.headers.count }
        let at = a.route.creationTimestamp ?? "", bt = b.route.creationTimestamp ?? ""
        if at != bt { return at < bt }
        if a.route.key != b.route.key { return a.route.key.namespacedName < b.route.key.namespacedName }
        if a.rule.index != b.rule.index { return a.rule.index < b.rule.index }
        return a.match.index < b.match.index
    }
}

extension IRBuilder {
    struct State {
        let gateway: GatewayModel
        let systemCABundle: String
        var upstreams: [String: UpstreamIR] = [:]
        var headerConditions: [MatchModel.HeaderMatch: HeaderCondition] = [:]
        var splits: [String: SplitIR] = [:]
        var usedTLS: Set<BackendTLS.Trust> = []
        var backendClientCertificateUsed = false
        var actions: [RuleKey: (action: RuleAction, effects: Effects)] = [:]
        /// What the server being built added so far.
        var trace = Effects()
        /// Servers of the previous build and of this one, by tag and hostname.
        var previous: [String: ServerEntry] = [:]
        var next: [String: ServerEntry] = [:]

        init(gateway: GatewayModel, systemCABundle: String) {
            self.gateway = gateway; self.systemCABundle = systemCABundle
        }

        mutating func port(_ port: Int, listeners: [ListenerModel]) -> PortIR {
            let https = listeners[0].protocol == .https
            let catchAll = listeners.first { $0.hostname == nil }
            // hostname ("" for none) → (owner listener, routes)
            var servers: [String: (owner: ListenerModel, routes: [RouteModel])] = [:]
            var seen = Set<RouteOnHost>()
            for l in listeners {
                let own = l.hostname ?? ""
                if servers[own] == nil { servers[own] = (l, []) }
                for ar in l.routes {
                    let hosts: [String?] = ar.hostnames.isEmpty ? [l.hostname] : ar.hostnames
                    for h in hosts {
                        let owner = Self.select(h, among: listeners)
                        guard owner?.name == l.name else { continue }
                        let k = h ?? ""
                        if servers[k] == nil { servers[k] = (l, []) }
                        if seen.insert(RouteOnHost(hostname: k, route: ar.route.key)).inserted { servers[k]!.routes.append(ar.route) }
                    }
                }
            }
            var out: [ServerIR] = []
            for (i, name) in servers.keys.sorted().enumerated() {
                let s = servers[name]!
                out.append(server(hostname: name.isEmpty ? nil : name, owner: s.owner, routes: s.routes,
                                  tag: "p\(port)_s\(i)"))
            }
            var sni: [(String, String)]? = nil
            if https && !gateway.settings.disableSNIHostValidation {
                sni = listeners.compactMap { l in l.hostname.map { ($0, Self.listenerID(l)) } }.sorted { $0.0 < $1.0 }
            }
            return PortIR(port: port, https: https, frontend: listeners.first { $0.frontendValidation != nil }?.frontendValidation,
                          sniListeners: sni, catchAllListener: catchAll.map(Self.listenerID), servers: out)
        }

        static func listenerID(_ l: ListenerModel) -> String { l.name }

        /// The listener a hostname selects: the most specific listener hostname that matches it.
        static func select(_ h: String?, among listeners: [ListenerModel]) -> ListenerModel? {
            guard let h else { return listeners.first { $0.hostname == nil } }
            return listeners.filter { Hostnames.listenerMatches($0.hostname, h) }
                .max { Hostnames.specificity($0.hostname) < Hostnames.specificity($1.hostname) }
        }

        /// A server's IR: the previous build's when it was built from the same inputs and the
        /// header conditions it uses get the same variables now, else built anew.
        mutating func server(hostname: String?, owner: ListenerModel, routes: [RouteModel], tag: String) -> ServerIR {
            let memoKey = tag + "\u{0}" + (hostname ?? "")
            if let entry = previous[memoKey], entry.builtFrom(hostname: hostname, owner: owner, routes: routes, tag: tag, state: self),
               entry.effects.headers.allSatisfy({ condition($0.match) == $0.variable }) {
                replay(entry.effects)
                next[memoKey] = entry
                return entry.server
            }
            let outer = trace
            trace = Effects()
            let ir = buildServer(hostname: hostname, owner: owner, routes: routes, tag: tag)
            var seen = Set<MatchModel.HeaderMatch>()
            trace.headers = trace.headers.filter { seen.insert($0.match).inserted }
            next[memoKey] = ServerEntry(hostname: hostname, owner: Self.listenerID(owner), certificates: owner.certificates, routes: routes,
                                        tag: tag, backendClientCertificate: gateway.backendClientCertificate,
                                        systemCABundle: systemCABundle, effects: trace, server: ir)
            trace = outer
            return ir
        }

        /// Adds what a server reused from the previous build contributes to the Gateway's IR.
        mutating func replay(_ e: Effects) {
            for u in e.upstreams { upstreams[u.name] = u }
            for s in e.splits { splits[s.variable] = s }
            usedTLS.formUnion(e.trusts)
            if e.clientCertificate { backendClientCertificateUsed = true }
        }

        mutating func buildServer(hostname: String?, owner: ListenerModel, routes: [RouteModel], tag: String) -> ServerIR {
            var candidates: [Candidate] = []
            for r in routes {
                for rule in r.rules {
                    for m in rule.matches {
                        var p = m.path
                        if m.pathType == .prefix && p.count > 1 && p.hasSuffix("/") { p.removeLast() }
                        candidates.append(Candidate(route: r, rule: rule, match: m, path: p))
                    }
                }
            }
            var keys = Set<LocationKey>()
            keys.insert(LocationKey(path: "/", exact: false))
            for c in candidates {
                if c.match.pathType == .exact { keys.insert(LocationKey(path: c.path, exact: true)) }
                else if c.path == "/" { keys.insert(LocationKey(path: "/", exact: false)) }
                else { keys.insert(LocationKey(path: c.path, exact: true)); keys.insert(LocationKey(path: c.path + "/", exact: false)) }
            }
            // Index candidates by path so each location finds its candidates by walking up its
            // path's segments: linear in the number of matches, not quadratic.
            var exactByPath: [String: [Candidate]] = [:]
            var prefixByPath: [String: [Candidate]] = [:]
            for c in candidates {
                if c.match.pathType == .exact { exactByPath[c.path, default: []].append(c) }
                else { prefixByPath[c.path, default: []].append(c) }
            }
            var locations: [LocationIR] = []
            var locationMaps: [LocationMapIR] = []
            var targets: [String: TargetIR] = [:]
            for (li, key) in keys.sorted().enumerated() {
                let exact = key.exact
                let path = key.path
                var cands = exact ? (exactByPath[path] ?? []) : []
                for ancestor in Self.segmentAncestors(exact || path == "/" ? path : String(path.dropLast())) {
                    cands += prefixByPath[ancestor] ?? []
                }
                cands.sort(by: Candidate.precedes)
                if let stop = cands.firstIndex(where: { $0.match.headers.isEmpty }) { cands = Array(cands[...stop]) }
                let origins = cands.map(\.origin)
                guard let first = cands.first else {
                    let t = Self.status(404)
                    locations.append(LocationIR(exact: exact, path: path, body: .inline(t), origins: []))
                    continue
                }
                if first.match.headers.isEmpty {
                    let a = action(first)
                    switch a {
                    case .single(let t): locations.append(LocationIR(exact: exact, path: path, body: .inline(t), origins: origins))
                    case .split(let v, let ts):
                        for t in ts { targets[t.uri] = t }
                        locations.append(LocationIR(exact: exact, path: path, body: .rewrite(v), origins: origins))
                    }
                    continue
                }
                // Header matches: a map over condition flags picks the rule.
                var conditionVars: [String] = []
                for c in cands { for h in c.match.headers { let v = condition(h); if !conditionVars.contains(v) { conditionVars.append(v) } } }
                var entries: [(String, String)] = []
                var fallback = Self.status(404)
                var fallbackValue = fallback.uri
                for c in cands {
                    let a = action(c)
                    for t in a.targets { targets[t.uri] = t }
                    if c.match.headers.isEmpty { fallbackValue = a.value; fallback = a.targets[0]; break }
                    let required = Set(c.match.headers.map { condition($0) })
                    let pattern = "^" + conditionVars.map { required.contains($0) ? "1" : "." }.joined() + "$"
                    entries.append((pattern, a.value))
                }
                if fallbackValue == fallback.uri { targets[fallback.uri] = fallback }
                let variable = "$tg_loc_\(tag)_l\(li)"
                locationMaps.append(LocationMapIR(variable: variable, conditions: conditionVars, entries: entries, fallback: fallbackValue))
                locations.append(LocationIR(exact: exact, path: path, body: .rewrite(variable), origins: origins))
            }
            return ServerIR(hostname: hostname, listener: Self.listenerID(owner), certificates: owner.certificates,
                            locations: locations, targets: targets.values.sorted { $0.uri < $1.uri }, locationMaps: locationMaps)
        }

        /// `/a/b` → [`/a/b`, `/a`, `/`]: the prefixes that match `path` on whole segments.
        static func segmentAncestors(_ path: String) -> [String] {
            var out = [path]
            var p = Substring(path)
            while let slash = p.lastIndex(of: "/"), slash != p.startIndex {
                p = p[..<slash]
                out.append(String(p))
            }
            if path != "/" { out.append("/") }
            return out
        }

        mutating func condition(_ h: MatchModel.HeaderMatch) -> String {
            let v: String
            if let c = headerConditions[h] {
                v = c.variable
            } else {
                v = "$tg_hdr_\(headerConditions.count)"
                headerConditions[h] = HeaderCondition(variable: v, header: h.name, value: h.value)
            }
            trace.headers.append((h, v))
            return v
        }

        static func status(_ code: Int) -> TargetIR {
            TargetIR(kind: .status(code), uri: "\(IRBuilder.internalPrefix)status/\(code)")
        }

        /// The action of a rule (cached per route rule).
        mutating func action(_ c: Candidate) -> RuleAction {
            let cacheKey = RuleKey(route: c.route.key, rule: c.rule.index)
            if let a = actions[cacheKey] {
                trace.append(a.effects)
                return a.action
            }
            let outer = trace
            trace = Effects()
            let a = computeAction(c)
            actions[cacheKey] = (a, trace)
            trace = outer
            trace.append(actions[cacheKey]!.effects)
            return a
        }

        mutating func computeAction(_ c: Candidate) -> RuleAction {
            var weighted: [(Int, TargetIR)] = []
            for b in c.rule.backends {
                let t = target(b.target)
                if let i = weighted.firstIndex(where: { $0.1 == t }) { weighted[i].0 += b.weight } else { weighted.append((b.weight, t)) }
            }
            let a: RuleAction
            if weighted.isEmpty {
                a = .single(Self.status(500))
            } else if weighted.count == 1 {
                a = .single(weighted[0].1)
            } else {
                let variable = "$tg_split_" + NginxSyntax.identifier(c.route.key.namespace, c.route.key.name, "r\(c.rule.index)")
                let total = weighted.reduce(0) { $0 + $1.0 }
                var entries: [(String, String)] = []
                for (i, (w, t)) in weighted.enumerated() {
                    if i == weighted.count - 1 { entries.append(("*", t.uri)); break }
                    let hundredths = w * 10_000 / total
                    if hundredths == 0 { continue }
                    entries.append((String(format: "%d.%02d%%", hundredths / 100, hundredths % 100), t.uri))
                }
                let split = SplitIR(variable: variable, entries: entries)
                splits[variable] = split
                trace.splits.append(split)
                a = .split(variable: variable, targets: weighted.map(\.1))
            }
            return a
        }

        mutating func target(_ t: BackendModel.Target) -> TargetIR {
            switch t {
            case .invalid: return Self.status(500)
            case .service(let s):
                var tls: TLSProxy? = nil
                switch s.tls {
                case .invalid?: return Self.status(500)
                case .valid(let hostname, let trust, _)?:
                    usedTLS.insert(trust)
                    trace.trusts.append(trust)
                    let file: String
                    switch trust {
                    case .system: file = systemCABundle
                    case .bundle(let b): file = "ca/\(b.id).pem"
                    }
                    var client: (String, String)? = nil
                    if let c = gateway.backendClientCertificate {
                        client = ("certs/\(c.id).crt", "certs/\(c.id).key")
                        backendClientCertificateUsed = true
                        trace.clientCertificate = true
                    }
                    tls = TLSProxy(serverName: hostname, trustedCertificate: file, clientCertificate: client)
                case nil: break
                }
                guard !s.endpoints.isEmpty else { return Self.status(503) }
                let name = NginxSyntax.identifier(s.service.namespace, s.service.name, String(s.port))
                let upstream = UpstreamIR(name: name, servers: s.endpoints)
                upstreams[name] = upstream
                trace.upstreams.append(upstream)
                return TargetIR(kind: .proxy(upstream: name, tls: tls), uri: "\(IRBuilder.internalPrefix)backend/\(name)")
            }
        }
    }
}
