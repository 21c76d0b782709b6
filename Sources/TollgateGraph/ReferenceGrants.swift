import TollgateModel

/// Answers "may an object of kind K in namespace A reference object X in namespace B?".
struct ReferenceGrants {
    private var byNamespace: [String: [ReferenceGrant]] = [:]

    init(_ store: Store) {
        for g in store.referenceGrants.values.sorted(by: { $0.key < $1.key }) {
            byNamespace[g.namespace, default: []].append(g)
        }
    }

    /// Same-namespace references are always allowed; otherwise a ReferenceGrant in the target
    /// namespace must list the source (group, kind, namespace) and the target (group, kind, name?).
    func allows(fromGroup: String, fromKind: String, fromNamespace: String,
                toGroup: String, toKind: String, toNamespace: String, toName: String) -> Bool {
        if fromNamespace == toNamespace { return true }
        for g in byNamespace[toNamespace] ?? [] {
            let fromOK = g.spec.from.contains { $0.group == fromGroup && $0.kind == fromKind && $0.namespace == fromNamespace }
            guard fromOK else { continue }
            if g.spec.to.contains(where: { $0.group == toGroup && $0.kind == toKind && ($0.name == nil || $0.name == "" || $0.name == toName) }) {
                return true
            }
        }
        return false
    }

    /// Grants that allowed something from `fromNamespace` into `toNamespace` (recorded as inputs).
    func grants(in namespace: String) -> [ReferenceGrant] { byNamespace[namespace] ?? [] }
}
