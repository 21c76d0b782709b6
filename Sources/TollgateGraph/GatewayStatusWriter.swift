import TollgateModel

extension BuildContext {
    static let pendingMessage = "Waiting for an agent to apply and serve this configuration"

    /// Turns every GatewayState into its GatewayModel and its status.
    mutating func finishGateways() {
        for (key, gs) in gatewayStates {
            let gw = gs.gateway
            let g = gw.generation
            var listenerStatuses: [GatewayStatus.ListenerStatus] = []
            var models: [ListenerModel] = []
            var invalidListeners: [String] = []
            for (li, l) in gs.listeners.enumerated() {
                let routes = self.routes.routes(gateway: key, listener: li)
                listenerStatuses.append(GatewayStatus.ListenerStatus(
                    name: l.spec.name, supportedKinds: l.supportedKinds, attachedRoutes: routes.count,
                    conditions: listenerConditions(l, gatewayAccepted: gs.accepted, generation: g)))
                if l.renderable && gs.accepted, let proto = ListenerModel.ListenerProtocol(rawValue: l.spec.protocol) {
                    models.append(ListenerModel(name: l.spec.name, port: l.spec.port, protocol: proto, hostname: l.spec.hostname,
                                                certificates: l.certificates, frontendValidation: l.frontend, routes: routes))
                } else {
                    invalidListeners.append(l.spec.name)
                }
            }
            var conditions: [Condition] = []
            if let p = gs.notAccepted {
                conditions.append(Condition(ConditionType.accepted, false, p.reason, p.message, generation: g))
                conditions.append(Condition(ConditionType.programmed, false, Reason.invalid, "The Gateway is not accepted", generation: g))
            } else {
                if invalidListeners.isEmpty {
                    conditions.append(Condition(ConditionType.accepted, true, Reason.accepted, "The Gateway is accepted", generation: g))
                } else {
                    conditions.append(Condition(ConditionType.accepted, true, Reason.listenersNotValid,
                        "The Gateway is accepted; listeners not served: \(invalidListeners.joined(separator: ", "))", generation: g))
                }
                conditions.append(Condition(ConditionType.programmed, false, Reason.pending, Self.pendingMessage, generation: g))
            }
            if let p = gs.backendCertificateProblem {
                conditions.append(Condition(ConditionType.resolvedRefs, false, p.reason, p.message, generation: g))
            } else {
                var message = "All references are resolved"
                if let m = gs.backendClientCertificate, let note = PEMValidation.expiryNote(m.notAfter, subject: m.source.namespacedName, now: now) {
                    message += "; warning: \(note)"
                }
                conditions.append(Condition(ConditionType.resolvedRefs, true, Reason.resolvedRefs, message, generation: g))
            }
            if !gs.insecureFallbackBlocks.isEmpty {
                conditions.append(Condition(ConditionType.insecureFrontendValidationMode, true, Reason.configurationChanged,
                    "AllowInsecureFallback accepts clients without a valid certificate: \(gs.insecureFallbackBlocks.sorted().joined(separator: ", "))", generation: g))
            }
            // Addresses are reported only for Gateways that are served.
            let addresses = gs.accepted ? gs.bindAddresses.map { GatewayStatus.Address(type: "IPAddress", value: $0) } : nil
            graph.statuses[key] = .gateway(GatewayStatus(addresses: addresses, conditions: conditions, listeners: listenerStatuses))
            let inputs = routes.inputs(gateway: key, gatewaySide: gs.inputs)
            graph.gateways[key] = GatewayModel(key: key, generation: g, accepted: gs.accepted, bindAddresses: gs.bindAddresses,
                                               settings: gs.settings, listeners: gs.accepted ? models : [],
                                               backendClientCertificate: gs.backendClientCertificate, inputs: inputs)
        }
    }

    private func listenerConditions(_ l: ListenerState, gatewayAccepted: Bool, generation g: Int64) -> [Condition] {
        var out: [Condition] = []
        if let p = l.conflicted {
            out.append(Condition(ConditionType.accepted, false, p.reason, p.message, generation: g))
        } else if let p = l.notAccepted {
            out.append(Condition(ConditionType.accepted, false, p.reason, p.message, generation: g))
        } else {
            out.append(Condition(ConditionType.accepted, true, Reason.accepted, "The listener is accepted", generation: g))
        }
        if l.renderable && gatewayAccepted {
            out.append(Condition(ConditionType.programmed, false, Reason.pending, Self.pendingMessage, generation: g))
        } else {
            let cause = l.conflicted?.message ?? l.notAccepted?.message ?? l.unresolved.first?.message ?? "the Gateway is not accepted"
            out.append(Condition(ConditionType.programmed, false, Reason.invalid, "The listener is not served: \(cause)", generation: g))
        }
        let notes = l.notes.isEmpty ? "" : "; warning: " + l.notes.joined(separator: "; ")
        if let first = l.unresolved.first {
            out.append(Condition(ConditionType.resolvedRefs, false, first.reason,
                                 l.unresolved.map(\.message).joined(separator: "; ") + notes, generation: g))
        } else {
            out.append(Condition(ConditionType.resolvedRefs, true, Reason.resolvedRefs, "All references are resolved" + notes, generation: g))
        }
        if let p = l.conflicted {
            out.append(Condition(ConditionType.conflicted, true, p.reason, p.message, generation: g))
        } else {
            out.append(Condition(ConditionType.conflicted, false, Reason.noConflicts, "No conflicts", generation: g))
        }
        if let p = l.overlapping {
            out.append(Condition(ConditionType.overlappingTLSConfig, true, p.reason, p.message, generation: g))
        }
        return out
    }
}
