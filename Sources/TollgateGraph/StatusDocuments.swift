import TollgateModel

extension Graph {
    /// Status documents for every object with status, in key order.
    public func statusDocuments(store: Store) -> [StatusDocument] {
        statuses.keys.sorted().map { key in
            StatusDocument(key: key, generation: store.generation(of: key) ?? 1, status: statuses[key]!)
        }
    }
}
