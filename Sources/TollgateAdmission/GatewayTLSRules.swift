import TollgateModel

/// Gateway `spec.tls`: frontend validation (`default` required, `perPort` ≤ 64 with unique ports)
/// and the backend client certificate.
enum GatewayTLSRules {
    static let validationMode = StringRule(allowed: ["AllowValidOnly", "AllowInsecureFallback"])

    static func check(_ tls: Gateway.GatewayTLS, at path: FieldPath, into f: inout Findings) {
        if let frontend = tls.frontend {
            let p = path.child("frontend")
            f.required(frontend.default, at: p.child("default"))
            if let config = frontend.default { self.config(config, at: p.child("default"), into: &f) }
            if let perPort = frontend.perPort {
                f.items(perPort.count, max: 64, at: p.child("perPort"))
                var ports: Set<Int> = []
                for (i, entry) in perPort.enumerated() {
                    let ep = p.child("perPort").index(i)
                    f.integer(entry.port, in: CRDFields.port, at: ep.child("port"))
                    config(entry.tls, at: ep.child("tls"), into: &f)
                    if !ports.insert(entry.port).inserted {
                        f.append(.duplicate(ep.child("port"), String(entry.port), "Port for TLS configuration must be unique within the Gateway"))
                    }
                }
            }
        }
        if let ref = tls.backend?.clientCertificateRef {
            ReferenceRules.object(ref, at: path.child("backend").child("clientCertificateRef"), groupAndKindRequired: false, namespaced: true, into: &f)
        }
    }

    /// `TLSConfig.validation`: 1–16 CA certificate refs (group, kind and name required) and a mode.
    static func config(_ config: Gateway.TLSConfig, at path: FieldPath, into f: inout Findings) {
        guard let validation = config.validation else { return }
        let p = path.child("validation")
        f.required(validation.caCertificateRefs, at: p.child("caCertificateRefs"))
        if let refs = validation.caCertificateRefs {
            f.items(refs.count, min: 1, max: 16, at: p.child("caCertificateRefs"))
            for (i, r) in refs.enumerated() {
                ReferenceRules.object(r, at: p.child("caCertificateRefs").index(i), groupAndKindRequired: true, namespaced: true, into: &f)
            }
        }
        f.string(validation.mode, validationMode, at: p.child("mode"))
    }
}
