import TollgateModel

/// Reference types shared by several kinds: `ParentReference`, `SecretObjectReference`,
/// `ObjectReference`, `LocalObjectReference`, `ParametersReference`, `LocalParametersReference`.
enum ReferenceRules {
    /// `ParentReference` (HTTPRoute `spec.parentRefs[]`).
    static func parent(_ p: ParentReference, at path: FieldPath, into f: inout Findings) {
        f.string(p.group, CRDFields.group, at: path.child("group"))
        f.string(p.kind, CRDFields.kind, at: path.child("kind"))
        f.string(p.namespace, CRDFields.namespace, at: path.child("namespace"))
        f.string(p.name, CRDFields.objectName, at: path.child("name"))
        f.string(p.sectionName, CRDFields.sectionName, at: path.child("sectionName"))
        if let port = p.port { f.integer(port, in: CRDFields.port, at: path.child("port")) }
    }

    /// An object reference. `groupAndKindRequired` for `ObjectReference`/`LocalObjectReference`
    /// (CA certificate refs); `namespaced` false for local references, which have no `namespace`.
    static func object(_ r: ObjectReference, at path: FieldPath, groupAndKindRequired: Bool, namespaced: Bool,
                       into f: inout Findings) {
        if groupAndKindRequired {
            f.required(r.group, at: path.child("group"))
            f.required(r.kind, at: path.child("kind"))
        }
        f.string(r.group, CRDFields.group, at: path.child("group"))
        f.string(r.kind, CRDFields.kind, at: path.child("kind"))
        f.string(r.name, CRDFields.objectName, at: path.child("name"))
        if namespaced {
            f.string(r.namespace, CRDFields.namespace, at: path.child("namespace"))
        } else if r.namespace != nil {
            f.append(.unknownField(path.child("namespace")))
        }
    }

    /// `ParametersReference` (GatewayClass) or, with `namespaced` false, `LocalParametersReference`
    /// (Gateway `spec.infrastructure`).
    static func parameters(_ r: ParametersReference, at path: FieldPath, namespaced: Bool, into f: inout Findings) {
        f.string(r.group, CRDFields.group, at: path.child("group"))
        f.string(r.kind, CRDFields.kind, at: path.child("kind"))
        f.string(r.name, CRDFields.objectName, at: path.child("name"))
        if namespaced {
            f.string(r.namespace, CRDFields.namespace, at: path.child("namespace"))
        } else if r.namespace != nil {
            f.append(.unknownField(path.child("namespace")))
        }
    }
}
