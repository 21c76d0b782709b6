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
///
/// Kept for the life of the controller at 10k routes, so it holds each thing once: a route's
/// status in `statuses`, its attached routes in the per-listener sorted lists, and of its outcome
/// only what removing it needs (`Contribution`: keys, no dictionaries).
struct RouteAggregate: Sendable {
    private struct Counted: Sendable {
        var generation: Int64
        var count: Int
    }

    /// What removing a route must undo: the listeners it is attached to and the inputs it adds,
    /// per Gateway, and the Gateways it makes ancestors of policies.
    private struct Contribution: Sendable {
        struct PerGateway: Sendable {
            var gateway: ObjectKey
            var listeners: [Int]
            var inputs: [ObjectKey]
        }
        var gateways: [PerGateway]
        var ancestors: [(policy: ObjectKey, gateways: [ObjectKey])]

        init(_ outcome: RouteOutcome) {
            gateways = []
            gateways.reserveCapacity(max(outcome.attachments.count, outcome.inputs.count))
            for (gw, list) in outcome.attachments {
                gateways.append(PerGateway(gateway: gw, listeners: list.map(\.listener), inputs: Array((outcome.inputs[gw] ?? [:]).keys)))
            }
            for (gw, inputs) in outcome.inputs where outcome.attachments[gw] == nil {
                gateways.append(PerGateway(gateway: gw, listeners: [], inputs: Array(inputs.keys)))
            }
            ancestors = outcome.policyAncestors.map { ($0.key, Array($0.value)) }
        }
    }

    /// What each route contributes, by route key.
    private var contributions: [ObjectKey: Contribution] = [:]
    /// Route statuses by route key.
    private(set) var statuses: [ObjectKey: ObjectStatus] = [:]
    /// Gateway → input → generation and how many routes contribute it.
    private var inputCounts: [ObjectKey: [ObjectKey: Counted]] = [:]
    /// Policy → Gateway → how many routes make the Gateway its ancestor.
    private var ancestorCounts: [ObjectKey: [ObjectKey: Int]] = [:]
    /// Per Gateway and listener, the attached routes sorted by route key, kept sorted by binary
    /// search on every add and remove.
    private var sorted: [ObjectKey: [Int: SortedRoutes]] = [:]
    /// Per Gateway, the merged inputs with the Gateway-side inputs they were merged with.
    private var inputsCache: [ObjectKey: (gatewaySide: [ObjectKey: Int64], merged: [ObjectKey: Int64])] = [:]

    private struct SortedRoutes: Sendable {
        var keys: [ObjectKey] = []
        var routes: [AttachedRoute] = []

        /// The index of `key`, or where it would be inserted.
        func position(_ key: ObjectKey) -> (index: Int, found: Bool) {
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] < key { lo = mid + 1 } else { hi = mid }
            }
            return (lo, lo < keys.count && keys[lo] == key)
        }

        mutating func set(_ key: ObjectKey, _ route: AttachedRoute) {
            let p = position(key)
            if p.found { routes[p.index] = route } else { keys.insert(key, at: p.index); routes.insert(route, at: p.index) }
        }

        mutating func remove(_ key: ObjectKey) {
            let p = position(key)
            if p.found { keys.remove(at: p.index); routes.remove(at: p.index) }
        }
    }

    /// An aggregate of every route's outcome (a from-scratch build). Listener lists are filled
    /// unsorted and sorted once at the end.
    init(_ all: [(ObjectKey, RouteOutcome)]) {
        contributions.reserveCapacity(all.count)
        statuses.reserveCapacity(all.count)
        var unsorted: [ObjectKey: [Int: [(key: ObjectKey, route: AttachedRoute)]]] = [:]
        for (route, outcome) in all {
            for (gw, list) in outcome.attachments {
                for a in list { unsorted[gw, default: [:]][a.listener, default: []].append((route, a.route)) }
            }
            count(route, outcome)
        }
        for (gw, listeners) in unsorted {
            for (listener, pairs) in listeners {
                let ordered = pairs.sorted { $0.key < $1.key }
                sorted[gw, default: [:]][listener] = SortedRoutes(keys: ordered.map(\.key), routes: ordered.map(\.route))
            }
        }
    }

    init() {}

    /// Adds a route's outcome (replacing the one it had).
    mutating func add(_ route: ObjectKey, _ outcome: RouteOutcome) {
        remove(route)
        for (gw, list) in outcome.attachments {
            for a in list { sorted[gw, default: [:]][a.listener, default: SortedRoutes()].set(route, a.route) }
        }
        count(route, outcome)
    }

    /// Records a route's status, contribution and input and ancestor counts (not its attachments).
    private mutating func count(_ route: ObjectKey, _ outcome: RouteOutcome) {
        contributions[route] = Contribution(outcome)
        if let s = outcome.status { statuses[route] = s }
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
        guard let old = contributions.removeValue(forKey: route) else { return }
        statuses[route] = nil
        for per in old.gateways {
            let gw = per.gateway
            for listener in per.listeners {
                sorted[gw]?[listener]?.remove(route)
            }
            for k in per.inputs {
                guard let c = inputCounts[gw]?[k] else { continue }
                inputCounts[gw]![k] = c.count > 1 ? Counted(generation: c.generation, count: c.count - 1) : nil
            }
            if !per.inputs.isEmpty { inputsCache[gw] = nil }
        }
        for (p, gws) in old.ancestors {
            for gw in gws {
                let n = (ancestorCounts[p]?[gw] ?? 1) - 1
                ancestorCounts[p]![gw] = n > 0 ? n : nil
            }
        }
    }

    /// The routes attached to a Gateway's listener, by route key.
    func routes(gateway: ObjectKey, listener: Int) -> [AttachedRoute] {
        sorted[gateway]?[listener]?.routes ?? []
    }

    /// The inputs of a Gateway: `gatewaySide` and what its routes contribute.
    mutating func inputs(gateway: ObjectKey, gatewaySide: [ObjectKey: Int64]) -> [ObjectKey: Int64] {
        if let cached = inputsCache[gateway], cached.gatewaySide == gatewaySide { return cached.merged }
        var merged = (inputCounts[gateway] ?? [:]).mapValues(\.generation)
        merged.merge(gatewaySide) { a, _ in a }
        inputsCache[gateway] = (gatewaySide, merged)
        return merged
    }

    /// Gateways whose traffic a policy affects.
    func ancestors(policy: ObjectKey) -> Set<ObjectKey> {
        Set((ancestorCounts[policy] ?? [:]).keys)
    }
}
