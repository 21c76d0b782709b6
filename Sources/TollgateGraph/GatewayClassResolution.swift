import TollgateModel

extension BuildContext {
    /// Sets GatewayClass status for classes naming our controller; returns the accepted ones with
    /// their NginxProxy settings.
    mutating func buildGatewayClasses() -> [String: (settings: NginxProxy.Spec?, inputs: [ObjectKey: Int64])] {
        var accepted: [String: (NginxProxy.Spec?, [ObjectKey: Int64])] = [:]
        for gc in store.gatewayClasses.values where gc.spec.controllerName == controllerName {
            var inputs: [ObjectKey: Int64] = [gc.key: gc.generation]
            var condition = Condition(ConditionType.accepted, true, Reason.accepted, "GatewayClass is accepted", generation: gc.generation)
            var settings: NginxProxy.Spec? = nil
            if let ref = gc.spec.parametersRef {
                switch resolveNginxProxy(ref, defaultNamespace: nil) {
                case .success(let np):
                    settings = np.spec
                    inputs[np.key] = np.generation
                case .failure(let f):
                    condition = Condition(ConditionType.accepted, false, Reason.invalidParameters, f.message, generation: gc.generation)
                }
            }
            graph.statuses[gc.key] = .gatewayClass(GatewayClassStatus(conditions: [condition]))
            if condition.isTrue { accepted[gc.name] = (settings, inputs) }
        }
        return accepted
    }

    /// Resolves a `parametersRef` to an NginxProxy.
    func resolveNginxProxy(_ ref: ParametersReference, defaultNamespace: String?) -> Result<NginxProxy, PEMValidation.Failure> {
        guard ref.group == Tollgate.apiGroup, ref.kind == ObjectKind.nginxProxy.rawValue else {
            return .failure(.init(message: "parametersRef must reference \(Tollgate.apiGroup)/NginxProxy, not \(ref.group.isEmpty ? "core" : ref.group)/\(ref.kind)"))
        }
        guard let ns = ref.namespace ?? defaultNamespace else {
            return .failure(.init(message: "parametersRef to NginxProxy \(ref.name) needs a namespace"))
        }
        let key = ObjectKey(kind: .nginxProxy, namespace: ns, name: ref.name)
        guard let np = store.nginxProxies[key] else {
            return .failure(.init(message: "parametersRef: \(key) does not exist"))
        }
        return .success(np)
    }
}
