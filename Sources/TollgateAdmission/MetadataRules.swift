import TollgateModel

/// Kubernetes' `ValidateObjectMeta` for the fields the model decodes: the name (by the kind's
/// rule), the namespace, labels, annotations, `generation` and `creationTimestamp`.
enum MetadataRules {
    /// Annotations may hold at most 256 KiB, keys and values together.
    static let annotationsSizeLimit = 256 * 1024
    /// Directory mode seeds generations from manifests; beyond 2^53 they stop being exact in JSON.
    static let maxGeneration: Int64 = 1 << 53

    /// How a kind's names are validated.
    enum NameRule {
        case subdomain, label, dns1035Label
    }

    static func nameRule(for kind: ObjectKind) -> NameRule {
        switch kind {
        case .namespace: return .label
        case .service: return .dns1035Label
        default: return .subdomain
        }
    }

    static func check(_ meta: ObjectMeta, kind: ObjectKind, into f: inout Findings) {
        let path = FieldPath("metadata")
        if meta.name.isEmpty {
            f.append(.required(path.child("name"), "name or generateName is required"))
        } else {
            let problems: [String]
            switch nameRule(for: kind) {
            case .subdomain: problems = DNSName.subdomainProblems(meta.name)
            case .label: problems = DNSName.labelProblems(meta.name)
            case .dns1035Label: problems = DNSName.dns1035LabelProblems(meta.name)
            }
            f.invalid(meta.name, problems, at: path.child("name"))
        }
        // Cluster-scoped kinds: the API server clears a namespace instead of refusing it.
        if kind.isNamespaced, let ns = meta.namespace, !ns.isEmpty {
            f.invalid(ns, DNSName.labelProblems(ns), at: path.child("namespace"))
        }
        if let generation = meta.generation {
            if generation < 0 {
                f.append(.invalid(path.child("generation"), integer: generation, "must be greater than or equal to 0"))
            } else if generation > maxGeneration {
                f.append(.invalid(path.child("generation"), integer: generation, "must be no more than \(maxGeneration)"))
            }
        }
        if let ts = meta.creationTimestamp, !RFC3339Timestamp.isValid(ts) {
            f.append(.invalid(path.child("creationTimestamp"), ts, "must be an RFC 3339 timestamp (e.g. \(RFC3339Timestamp.example))"))
        }
        labels(meta.labels, at: path.child("labels"), into: &f)
        annotations(meta.annotations, at: path.child("annotations"), into: &f)
    }

    /// `ValidateLabels`: qualified-name keys, label values.
    static func labels(_ labels: [String: String]?, at path: FieldPath, into f: inout Findings) {
        guard let labels else { return }
        for key in labels.keys.sorted() {
            let p = path.key(key)
            f.invalid(key, QualifiedName.problems(key), at: p)
            if let value = labels[key] { f.invalid(value, LabelValue.problems(value), at: p) }
        }
    }

    /// `ValidateAnnotations`: qualified-name keys (case-insensitive), 256 KiB in total.
    static func annotations(_ annotations: [String: String]?, at path: FieldPath, into f: inout Findings) {
        guard let annotations else { return }
        var size = 0
        for key in annotations.keys.sorted() {
            f.invalid(key, QualifiedName.problems(key.lowercased()), at: path.key(key))
            size += key.utf8.count + (annotations[key]?.utf8.count ?? 0)
        }
        if size > annotationsSizeLimit {
            f.append(.tooLong(path, bytes: annotationsSizeLimit, "keys and values together"))
        }
    }
}
