import TollgateAdmission
import TollgateModel

extension BuildContext {
    /// Ready endpoints of a Service port, from the EndpointSlices labelled with the Service name.
    func endpoints(service: ObjectKey, port: Service.Port, inputs: inout [ObjectKey: Int64]) -> [ServiceBackend.Endpoint] {
        var out = Set<ServiceBackend.Endpoint>()
        let wanted = port.name ?? ""
        for slice in slicesByService[service] ?? [] {
            inputs[slice.key] = slice.generation
            guard slice.addressType == "IPv4" || slice.addressType == "IPv6" else { continue }
            // FQDN slices are skipped: NGINX would resolve names once, at load, and fail to load
            // when one does not resolve.
            let isIPv4 = slice.addressType == "IPv4"
            guard let p = slice.ports?.first(where: { ($0.name ?? "") == wanted }), let number = p.port,
                  (1...65535).contains(number) else { continue }
            for e in slice.endpoints ?? [] where e.conditions?.ready != false {
                // Admission checks addresses against the slice's addressType; only well-formed
                // IP literals may ever reach an upstream.
                for a in e.addresses where isIPv4 ? IPAddressText.isIPv4(a) : IPAddressText.isIPv6(a) { out.insert(.init(address: a, port: number)) }
            }
        }
        return out.sorted()
    }
}
