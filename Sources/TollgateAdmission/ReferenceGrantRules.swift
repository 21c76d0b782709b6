import TollgateModel

/// ReferenceGrant `spec` (v1beta1 and v1 share one schema): 1–16 `from` and `to` entries.
enum ReferenceGrantRules {
    static func check(_ spec: ReferenceGrant.Spec, into f: inout Findings) {
        let path = FieldPath("spec")
        f.items(spec.from.count, min: 1, max: 16, at: path.child("from"))
        for (i, from) in spec.from.enumerated() {
            let p = path.child("from").index(i)
            f.string(from.group, CRDFields.group, at: p.child("group"))
            f.string(from.kind, CRDFields.kind, at: p.child("kind"))
            f.string(from.namespace, CRDFields.namespace, at: p.child("namespace"))
        }
        f.items(spec.to.count, min: 1, max: 16, at: path.child("to"))
        for (i, to) in spec.to.enumerated() {
            let p = path.child("to").index(i)
            f.string(to.group, CRDFields.group, at: p.child("group"))
            f.string(to.kind, CRDFields.kind, at: p.child("kind"))
            f.string(to.name, CRDFields.objectName, at: p.child("name"))
        }
    }
}
