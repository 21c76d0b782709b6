import TollgateModel

/// BackendTLSPolicy `spec` (v1): 1–16 target refs with the CEL `sectionName` rules; validation
/// with ≤ 8 local CA refs or well-known CAs (exactly one of them, CEL), the hostname, ≤ 5 subject
/// alternative names (CEL: the field matching the type, and only it); ≤ 16 options.
enum BackendTLSPolicyRules {
    static let wellKnownCA = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayAPIText.wellKnownCARegex) { GatewayAPIText.isWellKnownCACertificates($0) })
    static let sanType = StringRule(allowed: ["Hostname", "URI"])
    static let sanURI = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayAPIText.subjectAltNameURIRegex) { GatewayAPIText.isSubjectAltNameURI($0) })

    static func check(_ spec: BackendTLSPolicy.Spec, into f: inout Findings) {
        let path = FieldPath("spec")
        targetRefs(spec.targetRefs, at: path.child("targetRefs"), into: &f)
        validation(spec.validation, at: path.child("validation"), into: &f)
        f.stringMap(spec.options, maxProperties: 16, values: CRDFields.annotationValue, at: path.child("options"))
    }

    static func targetRefs(_ refs: [BackendTLSPolicy.TargetRef], at path: FieldPath, into f: inout Findings) {
        f.items(refs.count, min: 1, max: 16, at: path)
        for (i, r) in refs.enumerated() {
            let p = path.index(i)
            f.string(r.group, CRDFields.group, at: p.child("group"))
            f.string(r.kind, CRDFields.kind, at: p.child("kind"))
            f.string(r.name, CRDFields.objectName, at: p.child("name"))
            f.string(r.sectionName, CRDFields.sectionName, at: p.child("sectionName"))
        }
        let targets = refs.map { SectionTarget(parent: [$0.group, $0.kind, $0.name], section: $0.sectionName ?? "") }
        SectionTarget.check(targets, at: path, noun: "targetRefs", target: "target", into: &f)
    }

    static func validation(_ v: BackendTLSPolicy.Validation, at path: FieldPath, into f: inout Findings) {
        if let refs = v.caCertificateRefs {
            f.items(refs.count, max: 8, at: path.child("caCertificateRefs"))
            for (i, r) in refs.enumerated() {
                ReferenceRules.object(r, at: path.child("caCertificateRefs").index(i), groupAndKindRequired: true, namespaced: false, into: &f)
            }
        }
        f.string(v.wellKnownCACertificates, wellKnownCA, at: path.child("wellKnownCACertificates"))
        f.string(v.hostname, CRDFields.preciseHostname, at: path.child("hostname"))
        let hasRefs = !(v.caCertificateRefs ?? []).isEmpty
        let hasWellKnown = !(v.wellKnownCACertificates ?? "").isEmpty
        if hasRefs && hasWellKnown {
            f.append(.forbidden(path, "must not contain both CACertificateRefs and WellKnownCACertificates"))
        } else if !hasRefs && !hasWellKnown {
            f.append(.required(path.child("caCertificateRefs"), "must specify either CACertificateRefs or WellKnownCACertificates"))
        }
        if let sans = v.subjectAltNames {
            f.items(sans.count, max: 5, at: path.child("subjectAltNames"))
            for (i, san) in sans.enumerated() { subjectAltName(san, at: path.child("subjectAltNames").index(i), into: &f) }
        }
    }

    static func subjectAltName(_ san: BackendTLSPolicy.SubjectAltName, at p: FieldPath, into f: inout Findings) {
        f.string(san.type, sanType, at: p.child("type"))
        f.string(san.hostname, CRDFields.hostname, at: p.child("hostname"))
        f.string(san.uri, sanURI, at: p.child("uri"))
        let hasHostname = !(san.hostname ?? "").isEmpty
        let hasURI = !(san.uri ?? "").isEmpty
        if san.type == "Hostname", !hasHostname {
            f.append(.required(p.child("hostname"), "SubjectAltName element must contain Hostname, if Type is set to Hostname"))
        }
        if san.type != "Hostname", hasHostname {
            f.append(.forbidden(p.child("hostname"), "SubjectAltName element must not contain Hostname, if Type is not set to Hostname"))
        }
        if san.type == "URI", !hasURI {
            f.append(.required(p.child("uri"), "SubjectAltName element must contain URI, if Type is set to URI"))
        }
        if san.type != "URI", hasURI {
            f.append(.forbidden(p.child("uri"), "SubjectAltName element must not contain URI, if Type is not set to URI"))
        }
    }
}
