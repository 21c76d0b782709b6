import Foundation
import TollgateModel

/// Builds graphs of successive stores, resolving again only the HTTPRoutes that changed when
/// nothing else did. Every result equals `GraphBuilder.build` of the same store: a route's outcome
/// depends on the route and on the objects that are not routes (`RouteOutcome`), so outcomes are
/// reused only while all of those are unchanged; Gateway-side resolution (a few objects, and the
/// only part that reads `now`) runs on every build.
public struct IncrementalGraphBuilder: Sendable {
    public let builder: GraphBuilder

    /// What the previous build was made from, and what it kept.
    private struct Previous: Sendable {
        /// The store without its routes.
        var others: Store
        var unavailablePorts: [ObjectKey: [Int: String]]
        var routes: [ObjectKey: HTTPRoute]
        var aggregate: RouteAggregate
        var slicesByService: [ObjectKey: [EndpointSlice]]
        var keyPairs: [ObjectKey: Result<TLSMaterial, PEMValidation.Failure>]
    }
    private var previous: Previous?

    /// How many routes the last build resolved (all of them when it started from scratch).
    public private(set) var lastResolvedRoutes = 0

    public init(builder: GraphBuilder = GraphBuilder()) { self.builder = builder }

    public mutating func build(_ store: Store, now: Date, unavailablePorts: [ObjectKey: [Int: String]] = [:]) -> Graph {
        var others = store
        others.httpRoutes = [:]
        var ctx = BuildContext(store: store, now: now, controllerName: builder.controllerName, defaultAddress: builder.defaultAddress)
        ctx.unavailablePorts = unavailablePorts
        if var prev = previous.take(), prev.unavailablePorts == unavailablePorts, prev.others == others {
            ctx.slicesByService = prev.slicesByService
            ctx.keyPairCache = prev.keyPairs
            ctx.resolveGatewaySide()
            // Moved, not shared: the aggregate is updated in place.
            ctx.routes = prev.aggregate
            prev.aggregate = RouteAggregate()
            var resolved = 0
            for (key, route) in store.httpRoutes where prev.routes[key] != route {
                ctx.routes.add(key, ctx.routeOutcome(route))
                resolved += 1
            }
            for key in prev.routes.keys where store.httpRoutes[key] == nil { ctx.routes.remove(key) }
            lastResolvedRoutes = resolved
            ctx.finish()
        } else {
            ctx.run()
            lastResolvedRoutes = store.httpRoutes.count
        }
        previous = Previous(others: others, unavailablePorts: unavailablePorts, routes: store.httpRoutes, aggregate: ctx.routes,
                            slicesByService: ctx.slicesByService, keyPairs: ctx.keyPairCache)
        return ctx.graph
    }
}
