import Foundation

/// What the built-in kinds' registry strategies do to an object on create and update, reduced to
/// the parts a client can observe without a cluster: namespace phase and finalizer, Secret
/// `stringData` folding and `type`, Service status reset and port defaults. Not done: ClusterIP
/// allocation, endpoints, and any other controller's work.
enum BuiltInDefaults {
    static func prepareForCreate(_ object: inout JSONValue, type: ResourceType) {
        guard type.origin == .builtIn, type.group.isEmpty else { return }
        switch type.kind {
        case "Namespace":
            var labels = object.metadata["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = object.metadata["name"]
            object.setMetadata("labels", .object(labels))
            object["spec"] = ["finalizers": ["kubernetes"]]
            object["status"] = ["phase": "Active"]
        case "Secret":
            foldStringData(&object)
            if (object["type"]?.stringValue ?? "").isEmpty { object["type"] = "Opaque" }
        case "Service":
            object["status"] = ["loadBalancer": [:]]
            defaultServiceSpec(&object)
        default:
            break
        }
    }

    static func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, type: ResourceType) {
        guard type.origin == .builtIn, type.group.isEmpty else { return }
        switch type.kind {
        case "Namespace":
            var labels = object.metadata["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = object.metadata["name"]
            object.setMetadata("labels", .object(labels))
            if object["spec"] == nil { object["spec"] = old["spec"] }
        case "Secret":
            foldStringData(&object)
            if (object["type"]?.stringValue ?? "").isEmpty { object["type"] = "Opaque" }
        case "Service":
            defaultServiceSpec(&object)
        default:
            break
        }
    }

    /// `stringData` is write-only: its entries overwrite `data` (base64) and it is never stored.
    private static func foldStringData(_ object: inout JSONValue) {
        guard let stringData = object["stringData"]?.objectValue else { return }
        var data = object["data"]?.objectValue ?? [:]
        for (k, v) in stringData { data[k] = .string(Data((v.stringValue ?? "").utf8).base64EncodedString()) }
        object["data"] = .object(data)
        object["stringData"] = nil
    }

    private static func defaultServiceSpec(_ object: inout JSONValue) {
        guard var spec = object["spec"]?.objectValue else { return }
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
        if let ports = spec["ports"]?.arrayValue {
            spec["ports"] = .array(ports.map { p in
                var port = p
                if port["protocol"] == nil { port["protocol"] = "TCP" }
                if port["targetPort"] == nil, let n = port["port"] { port["targetPort"] = n }
                return port
            })
        }
        object["spec"] = .object(spec)
    }
}

/// The structural-schema defaults of the Gateway API CRDs that a controller observes: a Gateway or
/// GatewayClass without `status` (or without `status.conditions`) reads back with the conditions
/// "Unknown / Pending / Waiting for controller" dated 1970, as from a real API server. Spec defaults
/// of the CRDs are not applied.
enum CRDDefaults {
    static func apply(_ object: inout JSONValue, type: ResourceType) {
        guard type.group == ResourceType.gatewayAPIGroup else { return }
        let pending: [String]
        switch type.kind {
        case "Gateway": pending = ["Accepted", "Programmed"]
        case "GatewayClass": pending = ["Accepted"]
        default: return
        }
        let conditions = JSONValue.array(pending.map {
            ["lastTransitionTime": "1970-01-01T00:00:00Z", "message": "Waiting for controller", "reason": "Pending",
             "status": "Unknown", "type": .string($0)]
        })
        guard var status = object["status"]?.objectValue else {
            object["status"] = ["conditions": conditions]
            return
        }
        if status["conditions"] == nil {
            status["conditions"] = conditions
            object["status"] = .object(status)
        }
    }
}
