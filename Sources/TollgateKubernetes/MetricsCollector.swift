import Foundation
import Prometheus
import TollgateControlPlane
import TollgateKube
import TollgateModel

/// Produces the `/metrics` text of a controller in Kubernetes mode. Events the core counts as
/// they happen (reconciles, agents' results) are already in the registry (`ControllerMetrics`);
/// everything else is read when scraped: the core's present state (one call), the status
/// writer's and the informers' counters, and leadership.
///
/// Counters read from a running total only move forward (by the difference since the last
/// scrape); a gauge whose subject went away (a deleted Gateway, a listener without TLS) is
/// removed, not left at its last value.
actor MetricsCollector {
    /// Where a scrape reads from.
    struct Sources: Sendable {
        let core: ControllerCore
        let writer: KubeStatusWriter
        let informers: ProviderInformers
        let leading: LeadershipFlag
    }

    let registry: PrometheusCollectorRegistry
    let sources: Sources
    /// The last total applied to each counter, by name and labels.
    private var totals: [SeriesKey: Int] = [:]
    /// The gauges set by the last scrape, by name and labels.
    private var gauges: [SeriesKey: Gauge] = [:]

    struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    init(registry: PrometheusCollectorRegistry, sources: Sources) {
        self.registry = registry
        self.sources = sources
    }

    /// Reads every source, updates the registry and returns Prometheus text format 0.0.4.
    func scrape(now: Date = Date()) async -> String {
        let present = await sources.core.gauges()
        let writes = await sources.writer.writes
        let failures = await sources.writer.failures
        let informers = await sources.informers.countersByResource()
        // No suspension from here on: one scrape's values are applied and emitted together.
        var set: [SeriesKey: Double] = [:]
        set[.init(name: "tollgate_leader", labels: [])] = sources.leading.value ? 1 : 0
        for (gw, v) in present.snapshotVersions { set[.init(name: "tollgate_snapshot_version", labels: [gw.description])] = Double(v) }
        for (gw, n) in present.agentConnections { set[.init(name: "tollgate_agent_connections", labels: [gw.description])] = Double(n) }
        for c in present.certificates {
            set[.init(name: "tollgate_certificate_expiry_seconds", labels: [c.gateway.description, c.listener])] = c.notAfter.timeIntervalSince(now)
        }
        applyGauges(set)

        for kind in ObjectKind.allCases where KubeStoreAssembler.statusKinds.contains(kind) {
            advance("tollgate_status_writes_total", labels: [kind.rawValue], to: writes[kind] ?? 0)
        }
        advance("tollgate_status_write_failures_total", labels: [], to: failures)
        for (resource, c) in informers {
            advance("tollgate_watch_restarts_total", labels: [resource], to: c.watchRestarts)
            advance("tollgate_relists_total", labels: [resource], to: c.relists)
            advance("tollgate_watch_errors_total", labels: [resource], to: c.errors)
        }
        return registry.emitToString()
    }

    private func applyGauges(_ values: [SeriesKey: Double]) {
        for (key, gauge) in gauges where values[key] == nil {
            registry.unregisterGauge(gauge)
            gauges[key] = nil
        }
        for (key, value) in values {
            let gauge = gauges[key] ?? makeGauge(key)
            gauges[key] = gauge
            gauge.set(to: value)
        }
    }

    private func makeGauge(_ key: SeriesKey) -> Gauge {
        let family = MetricFamilies.gauges[key.name]!
        let descriptor = ControllerMetrics.name(key.name, family.help)
        return family.labels.isEmpty
            ? registry.makeGauge(descriptor: descriptor)
            : registry.makeGauge(descriptor: descriptor, labels: Array(zip(family.labels, key.labels)))
    }

    /// Moves a counter up to `total` (a running total read from its source).
    private func advance(_ name: String, labels: [String], to total: Int) {
        let key = SeriesKey(name: name, labels: labels)
        let family = MetricFamilies.counters[name]!
        let descriptor = ControllerMetrics.name(name, family.help)
        let counter = family.labels.isEmpty
            ? registry.makeCounter(descriptor: descriptor)
            : registry.makeCounter(descriptor: descriptor, labels: Array(zip(family.labels, labels)))
        let delta = total - (totals[key] ?? 0)
        if delta > 0 {
            counter.increment(by: Int64(delta))
            totals[key] = total
        }
    }
}

/// The label names and help text of the metrics sampled at scrape time.
enum MetricFamilies {
    struct Family {
        var labels: [String]
        var help: String
    }

    static let gauges: [String: Family] = [
        "tollgate_leader": .init(labels: [], help: "1 while this replica leads (writes status and serves agents), else 0."),
        "tollgate_snapshot_version": .init(labels: ["gateway"], help: "The latest version published for the Gateway."),
        "tollgate_agent_connections": .init(labels: ["gateway"], help: "Agent streams connected for the Gateway."),
        "tollgate_certificate_expiry_seconds": .init(
            labels: ["gateway", "listener"], help: "Seconds until the listener's certificate expires (negative: expired)."),
    ]

    static let counters: [String: Family] = [
        "tollgate_status_writes_total": .init(labels: ["kind"], help: "Status writes that changed an object's status, by kind."),
        "tollgate_status_write_failures_total": .init(labels: [], help: "Status writes that failed after their retries."),
        "tollgate_watch_restarts_total": .init(labels: ["resource"], help: "Watches reopened after the first, by resource."),
        "tollgate_relists_total": .init(labels: ["resource"], help: "Lists after the first (an expired resourceVersion, a resource not served), by resource."),
        "tollgate_watch_errors_total": .init(labels: ["resource"], help: "Failed list and watch requests, by resource."),
    ]
}
