/// Gateway API `GatewayClass` (cluster-scoped).
public struct GatewayClass: KubeObject {
    public static let kind = ObjectKind.gatewayClass
    public struct Spec: Codable, Sendable, Equatable {
        public var controllerName: String
        public var parametersRef: ParametersReference?
        public var description: String?
    }
    public var metadata: ObjectMeta
    public var spec: Spec
}
