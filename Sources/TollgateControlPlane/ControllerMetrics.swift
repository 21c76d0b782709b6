import Foundation
import Prometheus
import TollgateModel
import TollgateSnapshot

/// The core's event metrics — reconciles and the results agents report — recorded into a
/// Prometheus registry its owner passes in (no global metrics system). Values that describe the
/// present (versions, connections, certificate lifetimes) are not recorded here: they are read
/// from the core when scraped (`ControllerCore.gauges()`).
///
/// Labels are bounded and never carry object content: a Gateway is `NAMESPACE/NAME`, an outcome
/// one of `AgentReport.Outcome`'s raw values.
public struct ControllerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let reconciles: Counter
    let reconcileDuration: DurationHistogram

    /// Reconcile durations' bucket bounds: a small cluster takes milliseconds, a large one seconds.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        reconciles = registry.makeCounter(descriptor: Self.name(
            "tollgate_reconcile_total", "Reconciles: inputs rebuilt into a graph and rendered, whether or not a version was published."))
        reconcileDuration = registry.makeDurationHistogram(descriptor: Self.name(
            "tollgate_reconcile_duration_seconds", "Time to build the graph, render and publish, per reconcile."),
            buckets: Self.durationBuckets)
    }

    /// A metric name with its help text (the name is complete: `tollgate_…_unit`).
    public static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func reconciled(in duration: Duration) {
        reconciles.increment()
        reconcileDuration.record(duration)
    }

    func applyResult(gateway: GatewayRef, outcome: AgentReport.Outcome) {
        registry.makeCounter(descriptor: Self.name("tollgate_apply_results_total", "Results agents reported for versions sent to them."),
                             labels: [("gateway", gateway.description), ("outcome", outcome.rawValue)]).increment()
    }
}

/// What the core holds now, for gauges computed when metrics are scraped.
public struct ControllerGauges: Sendable, Equatable {
    /// The serving certificate of an HTTPS listener: the earliest `notAfter` of its certificates.
    public struct ListenerCertificate: Sendable, Equatable {
        public var gateway: GatewayRef
        public var listener: String
        public var notAfter: Date
    }

    /// The latest published version of every accepted Gateway.
    public var snapshotVersions: [GatewayRef: UInt64] = [:]
    /// Connected agent streams per Gateway; every accepted Gateway is listed, with 0 when none.
    public var agentConnections: [GatewayRef: Int] = [:]
    public var certificates: [ListenerCertificate] = []
}

extension ControllerCore {
    /// The present state for gauges: one call per scrape.
    public func gauges() -> ControllerGauges {
        var g = ControllerGauges()
        let accepted = acceptedGateways
        for gw in accepted {
            if let v = reconciler.histories[gw]?.latest?.version { g.snapshotVersions[gw] = v }
            g.agentConnections[gw] = 0
        }
        for s in sessions.values { g.agentConnections[s.gateway, default: 0] += 1 }
        for (key, model) in reconciler.graph.gateways where model.accepted {
            for listener in model.listeners {
                guard let notAfter = listener.certificates.map(\.notAfter).min() else { continue }
                g.certificates.append(.init(gateway: GatewayRef(key), listener: listener.name, notAfter: notAfter))
            }
        }
        g.certificates.sort { ($0.gateway, $0.listener) < ($1.gateway, $1.listener) }
        return g
    }
}
