/// Names that belong to Tollgate itself.
public enum Tollgate {
    /// The value GatewayClasses must carry in `spec.controllerName`.
    public static let controllerName = "tollgate.dev/gateway-controller"
    /// API group of Tollgate's own resources (NginxProxy).
    public static let apiGroup = "gateway.tollgate.dev"
    public static let apiVersion = "v1alpha1"
    /// Release version of this build.
    public static let version = "0.1.0"
}

/// Names defined by the Gateway API.
public enum GatewayAPI {
    public static let group = "gateway.networking.k8s.io"
}
