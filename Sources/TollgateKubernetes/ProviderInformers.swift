import TollgateKube

/// The informers a running `KubernetesProvider` reads through, kept so their counters can be
/// read while it runs (metrics are sampled from them when scraped). Empty until the provider runs.
public actor ProviderInformers {
    private var informers: [Informer] = []

    public init() {}

    func hold(_ informers: [Informer]) { self.informers = informers }

    /// Each resource's counters (plural name, e.g. `httproutes`), summed over its namespaces.
    public func countersByResource() async -> [String: InformerCounters] {
        var out: [String: InformerCounters] = [:]
        for informer in informers {
            let c = await informer.counters
            var sum = out[informer.resource.plural] ?? InformerCounters()
            sum.lists += c.lists
            sum.relists += c.relists
            sum.watchRestarts += c.watchRestarts
            sum.events += c.events
            sum.errors += c.errors
            out[informer.resource.plural] = sum
        }
        return out
    }
}
