import TollgateModel

/// What one HTTPRoute contributes to a build, computed from the route and the Gateway-side state
/// alone (`BuildContext.routeOutcome`): routes do not affect one another's outcome.
struct RouteOutcome: Sendable, Equatable {
    /// A listener (by index in its Gateway's spec) the route attaches to.
    struct Attachment: Sendable, Equatable {
        var listener: Int
        var route: AttachedRoute
    }

    /// The route's status; nil when it names none of Tollgate's Gateways.
    var status: ObjectStatus?
    /// Per Gateway: the listeners the route attaches to, each once.
    var attachments: [ObjectKey: [Attachment]] = [:]
    /// Per Gateway the route attaches to: the objects its configuration was built from.
    var inputs: [ObjectKey: [ObjectKey: Int64]] = [:]
    /// Per BackendTLSPolicy: the Gateways whose traffic it affects through this route.
    var policyAncestors: [ObjectKey: Set<ObjectKey>] = [:]
}

/// Every route's outcome and their sum per Gateway, kept so that one route can be added or
/// removed without visiting the others. The sum equals adding the outcomes in any order.
struct RouteAggregate: Sendable {
    private struct Counted: Sendable {
        var generation: Int64
        var count: Int
    }

    private(set) var outcomes: [ObjectKey: RouteOutcome] = [:]
    /// Route statuses by route key.
    private(set) var statuses: [ObjectKey: ObjectStatus] = [:]
    /// Gateway → listener index → route key → the attached route.
    private var attached: [ObjectKey: [Int: [ObjectKey: AttachedRoute]]] = [:]
    /// Gateway → input → generation and how many routes contribute it.
    private var inputCounts: [ObjectKey: [ObjectKey: Counted]] = [:]
    /// Policy → Gateway → how many routes make the Gateway its ancestor.
    private var ancestorCounts: [ObjectKey: [ObjectKey: Int]] = [:]
    /// Per Gateway, sorted listener routes and merged inputs, valid until the Gateway changes.
    private var sortedCache: [ObjectKey: [Int: [AttachedRoute]]] = [:]
    private var inputsCache: [ObjectKey: [ObjectKey: Int64]] = [:]

    /// Adds a route's outcome (replacing the one it had).
    mutating func add(_ route: ObjectKey, _ outcome: RouteOutcome) {
        remove(route)
        outcomes[route] = outcome
        if let s = outcome.status { statuses[route] = s }
        for (gw, list) in outcome.attachments {
            for a in list { attached[gw, default: [:]][a.listener, default: [:]][route] = a.route }
            sortedCache[gw] = nil
        }
        for (gw, inputs) in outcome.inputs {
            for (k, g) in inputs {
                if let c = inputCounts[gw]?[k] {
                    inputCounts[gw]![k] = Counted(generation: c.generation, count: c.count + 1)
                } else {
                    inputCounts[gw, default: [:]][k] = Counted(generation: g, count: 1)
                }
            }
            inputsCache[gw] = nil
        }
        for (p, gws) in outcome.policyAncestors {
            for gw in gws { ancestorCounts[p, default: [:]][gw, default: 0] += 1 }
        }
    }

    /// Removes a route's outcome, if it has one.
    mutating func remove(_ route: ObjectKey) {
        guard let old = outcomes.removeValue(forKey: route) else { return }
        statuses[route] = nil
        for (gw, list) in old.attachments {
            for a in list { attached[gw]?[a.listener]?[route] = nil }
            sortedCache[gw] = nil
        }
        for (gw, inputs) in old.inputs {
            for k in inputs.keys {
                guard let c = inputCounts[gw]?[k] else { continue }
                inputCounts[gw]![k] = c.count > 1 ? Counted(generation: c.generation, count: c.count - 1) : nil
            }
            inputsCache[gw] = nil
        }
        for (p, gws) in old.policyAncestors {
            for gw in gws {
                let n = (ancestorCounts[p]?[gw] ?? 1) - 1
                ancestorCounts[p]![gw] = n > 0 ? n : nil
            }
        }
    }

    /// The routes attached to a Gateway's listener, by route key.
    mutating func routes(gateway: ObjectKey, listener: Int) -> [AttachedRoute] {
        if let cached = sortedCache[gateway]?[listener] { return cached }
        let sorted = (attached[gateway]?[listener] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        sortedCache[gateway, default: [:]][listener] = sorted
        return sorted
    }

    /// The inputs routes contribute to a Gateway.
    mutating func inputs(gateway: ObjectKey) -> [ObjectKey: Int64] {
        if let cached = inputsCache[gateway] { return cached }
        let merged = (inputCounts[gateway] ?? [:]).mapValues(\.generation)
        inputsCache[gateway] = merged
        return merged
    }

    /// Gateways whose traffic a policy affects.
    func ancestors(policy: ObjectKey) -> Set<ObjectKey> {
        Set((ancestorCounts[policy] ?? [:]).keys)
    }
}
