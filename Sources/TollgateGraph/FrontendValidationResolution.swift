import Foundation
import TollgateModel

extension BuildContext {
    /// Outcome of one `spec.tls.frontend` block (default or a perPort entry).
    struct FrontendBlockResult {
        var field: String
        var validation: FrontendValidation?
        var problems: [Problem]
        var notes: [String]
        var invalidMode: String?
    }

    /// Applies frontend validation per port to HTTPS listeners: the perPort entry for the port,
    /// else the default. A listener whose block has no valid CA is not accepted (and gets no server).
    mutating func resolveFrontendValidation(_ state: inout GatewayState) {
        guard let frontend = state.gateway.spec.tls?.frontend else { return }
        var cache: [String: FrontendBlockResult] = [:]
        let gw = state.gateway
        for i in state.listeners.indices where state.listeners[i].spec.protocol == "HTTPS" {
            let port = state.listeners[i].spec.port
            let blockField: String
            let block: Gateway.TLSConfig?
            if let idx = frontend.perPort?.firstIndex(where: { $0.port == port }) {
                blockField = "spec.tls.frontend.perPort[\(idx)].tls.validation"
                block = frontend.perPort![idx].tls
            } else {
                blockField = "spec.tls.frontend.default.validation"
                block = frontend.default
            }
            guard let validation = block?.validation else { continue }
            let result: FrontendBlockResult
            if let cached = cache[blockField] {
                result = cached
            } else {
                result = evaluateFrontendBlock(validation, field: blockField, gateway: gw, inputs: &state.inputs)
                cache[blockField] = result
                if result.validation?.mode == .allowInsecureFallback { state.insecureFallbackBlocks.append(blockField) }
            }
            var l = state.listeners[i]
            l.unresolved += result.problems
            l.notes += result.notes
            if let bad = result.invalidMode {
                l.notAccepted = l.notAccepted ?? Problem(reason: Reason.unsupportedValue,
                    message: "\(blockField).mode \"\(bad)\" is not AllowValidOnly or AllowInsecureFallback")
            } else if let v = result.validation {
                l.frontend = v
            } else {
                l.notAccepted = l.notAccepted ?? Problem(reason: Reason.noValidCACertificate,
                    message: "\(blockField) has no valid CA certificate; the listener is not served rather than served without client validation")
            }
            state.listeners[i] = l
        }
    }

    private func evaluateFrontendBlock(_ v: Gateway.FrontendValidation, field: String, gateway gw: Gateway,
                                       inputs: inout [ObjectKey: Int64]) -> FrontendBlockResult {
        var result = FrontendBlockResult(field: field, validation: nil, problems: [], notes: [])
        let mode: FrontendValidation.Mode
        switch v.mode ?? "AllowValidOnly" {
        case "AllowValidOnly": mode = .allowValidOnly
        case "AllowInsecureFallback": mode = .allowInsecureFallback
        case let other:
            result.invalidMode = other
            return result
        }
        var pems: [String] = []
        var sources: [ObjectKey] = []
        for (i, ref) in (v.caCertificateRefs ?? []).enumerated() {
            let f = "\(field).caCertificateRefs[\(i)]"
            let group = ref.group ?? "", kindName = ref.kind ?? "Secret"
            guard group == "", let kind = ObjectKind(rawValue: kindName), kind == .secret || kind == .configMap else {
                result.problems.append(Problem(reason: Reason.invalidCACertificateKind,
                    message: "\(f): kind \(group.isEmpty ? "" : group + "/")\(kindName) is not supported; use a Secret or ConfigMap"))
                continue
            }
            let ns = ref.namespace ?? gw.namespace
            let key = ObjectKey(kind: kind, namespace: ns, name: ref.name)
            guard grants.allows(fromGroup: GatewayAPI.group, fromKind: "Gateway", fromNamespace: gw.namespace,
                                toGroup: "", toKind: kindName, toNamespace: ns, toName: ref.name) else {
                result.problems.append(Problem(reason: Reason.refNotPermitted,
                    message: "\(f): \(key) is in another namespace and no ReferenceGrant allows it"))
                continue
            }
            recordGrantInputs(from: gw.namespace, to: ns, into: &inputs)
            if kind == .secret, let s = store.secrets[key] { inputs[key] = s.generation }
            if kind == .configMap, let c = store.configMaps[key] { inputs[key] = c.generation }
            switch caCertificate(kind: kind, key) {
            case .success(let ca):
                pems.append(ca.pem)
                sources.append(key)
                for d in ca.notAfter {
                    if let note = PEMValidation.expiryNote(d, subject: "CA \(key.namespacedName)", now: now) { result.notes.append(note) }
                }
            case .failure(let fail):
                result.problems.append(Problem(reason: Reason.invalidCACertificateRef, message: "\(f): \(fail.message)"))
            }
        }
        if !pems.isEmpty {
            let id = "frontend-" + PEMValidation.fileID(sources)
            result.validation = FrontendValidation(mode: mode, ca: CABundle(id: id, pem: pems.joined(), sources: sources))
        }
        return result
    }

    /// `spec.tls.backend.clientCertificateRef`: the certificate NGINX presents to TLS backends.
    mutating func resolveBackendClientCertificate(_ state: inout GatewayState) {
        guard let ref = state.gateway.spec.tls?.backend?.clientCertificateRef else { return }
        let gw = state.gateway
        let field = "spec.tls.backend.clientCertificateRef"
        let group = ref.group ?? "", kind = ref.kind ?? "Secret"
        guard group == "", kind == "Secret" else {
            state.backendCertificateProblem = Problem(reason: Reason.invalidClientCertificateRef,
                message: "\(field): kind \(group.isEmpty ? "" : group + "/")\(kind) is not supported; use a core Secret")
            return
        }
        let ns = ref.namespace ?? gw.namespace
        let key = ObjectKey(kind: .secret, namespace: ns, name: ref.name)
        guard grants.allows(fromGroup: GatewayAPI.group, fromKind: "Gateway", fromNamespace: gw.namespace,
                            toGroup: "", toKind: "Secret", toNamespace: ns, toName: ref.name) else {
            state.backendCertificateProblem = Problem(reason: Reason.refNotPermitted,
                message: "\(field): \(key) is in another namespace and no ReferenceGrant allows it")
            return
        }
        recordGrantInputs(from: gw.namespace, to: ns, into: &state.inputs)
        if let s = store.secrets[key] { state.inputs[key] = s.generation }
        switch keyPair(key) {
        case .success(let m): state.backendClientCertificate = m
        case .failure(let f):
            state.backendCertificateProblem = Problem(reason: Reason.invalidClientCertificateRef, message: "\(field): \(f.message)")
        }
    }
}
