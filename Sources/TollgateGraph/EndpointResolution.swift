import TollgateModel

extension BuildContext {
    /// Ready endpoints of a Service port, from the EndpointSlices labelled with the Service name.
    func endpoints(service: ObjectKey, port: Service.Port, inputs: inout [ObjectKey: Int64]) -> [ServiceBackend.Endpoint] {
        var out = Set<ServiceBackend.Endpoint>()
        let wanted = port.name ?? ""
        for slice in slicesByService[service] ?? [] {
            inputs[slice.key] = slice.generation
            guard slice.addressType == "IPv4" || slice.addressType == "IPv6" else { continue }
            guard let p = slice.ports?.first(where: { ($0.name ?? "") == wanted }), let number = p.port else { continue }
            for e in slice.endpoints ?? [] where e.conditions?.ready != false {
                for a in e.addresses { out.insert(.init(address: a, port: number)) }
            }
        }
        return out.sorted()
    }
}
