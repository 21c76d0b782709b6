import TollgateModel

extension ManifestHandDecoder {
    /// Empty values of the model types `ManifestHandDecoder` fills in, decoded once through
    /// `Codable` (several have no public initializer). A set is nil, and its kinds go through
    /// `Codable`, when any of its types has a field count other than the one the hand-written
    /// decoder sets, i.e. a field was added to a model and is not handled there yet.
    enum Prototypes {
        struct Route: Sendable {
            var route: HTTPRoute
            var spec: HTTPRoute.Spec
            var path: HTTPRoute.PathMatch
            var header: HTTPRoute.HeaderMatch
            var backend: HTTPRoute.BackendRef
            var filter: HTTPRoute.Filter
        }

        struct Service: Sendable {
            var service: TollgateModel.Service
            var spec: TollgateModel.Service.Spec
            var port: TollgateModel.Service.Port
        }

        struct Slice: Sendable {
            var slice: EndpointSlice
            var endpoint: EndpointSlice.Endpoint
            var conditions: EndpointSlice.Conditions
            var port: EndpointSlice.Port
        }

        static let route: Route? = {
            guard shared,
                  let route = make(#"{"metadata":{"name":""},"spec":{}}"#, HTTPRoute.self, fields: 2),
                  let spec = make("{}", HTTPRoute.Spec.self, fields: 3),
                  let path = make("{}", HTTPRoute.PathMatch.self, fields: 2),
                  let header = make(#"{"name":"","value":""}"#, HTTPRoute.HeaderMatch.self, fields: 3),
                  let backend = make(#"{"name":""}"#, HTTPRoute.BackendRef.self, fields: 7),
                  let filter = make(#"{"type":""}"#, HTTPRoute.Filter.self, fields: 1),
                  fieldCount(HTTPRoute.Rule()) == 5, fieldCount(HTTPRoute.Match()) == 4
            else { return nil }
            return Route(route: route, spec: spec, path: path, header: header, backend: backend, filter: filter)
        }()

        static let service: Service? = {
            guard shared,
                  let service = make(#"{"metadata":{"name":""}}"#, TollgateModel.Service.self, fields: 2),
                  let spec = make("{}", TollgateModel.Service.Spec.self, fields: 3),
                  let port = make(#"{"port":0}"#, TollgateModel.Service.Port.self, fields: 5)
            else { return nil }
            return Service(service: service, spec: spec, port: port)
        }()

        static let slice: Slice? = {
            guard shared,
                  let slice = make(#"{"metadata":{"name":""},"addressType":""}"#, EndpointSlice.self, fields: 4),
                  let endpoint = make(#"{"addresses":[]}"#, EndpointSlice.Endpoint.self, fields: 2),
                  let conditions = make("{}", EndpointSlice.Conditions.self, fields: 3),
                  let port = make("{}", EndpointSlice.Port.self, fields: 3)
            else { return nil }
            return Slice(slice: slice, endpoint: endpoint, conditions: conditions, port: port)
        }()

        /// The types every kind uses: `ObjectMeta` and `ParentReference`.
        private static let shared: Bool =
            fieldCount(ObjectMeta(name: "")) == 8 && fieldCount(ParentReference(name: "")) == 6

        private static func make<T: Decodable>(_ json: String, _ type: T.Type, fields: Int) -> T? {
            guard let tree = try? JSONManifestReader.read(json),
                  let value = try? ManifestValueDecoder(tree: tree).decodeValue(T.self),
                  fieldCount(value) == fields else { return nil }
            return value
        }

        private static func fieldCount(_ value: Any) -> Int { Mirror(reflecting: value).children.count }
    }
}
