import Foundation

/// Server-side printing: the `meta.k8s.io` Table that `kubectl get` asks for, with the columns the
/// real server prints for the served built-in kinds and the Gateway API CRDs'
/// `additionalPrinterColumns`, and the PartialObjectMetadata forms used by metadata-only clients.
struct TablePrinter {
    struct Column: Sendable {
        var name: String
        var type = "string"
        var format = ""
        var description = ""
        var priority = 0
        /// The cell for one object (null when the value is absent).
        var cell: @Sendable (JSONValue, Date) -> JSONValue
    }

    let type: ResourceType
    let version: String
    let now: Date

    init(type: ResourceType, version: String, now: Date = Date()) {
        self.type = type
        self.version = version
        self.now = now
    }

    /// A Table of `objects` (stored form). `includeObject` is the query parameter: `None`,
    /// `Metadata` (default) or `Object`.
    func table(_ objects: [JSONValue], tableVersion: String, listMetadata: JSONValue, includeObject: String?, filter: ObjectFilter) -> JSONValue {
        let columns = TablePrinter.columns(for: type)
        let definitions: [JSONValue] = columns.map {
            ["name": .string($0.name), "type": .string($0.type), "format": .string($0.format),
             "description": .string($0.description), "priority": .int($0.priority)]
        }
        let rows: [JSONValue] = objects.map { object in
            var row: [String: JSONValue] = ["cells": .array(columns.map { $0.cell(object, now) })]
            switch includeObject ?? "Metadata" {
            case "None": break
            case "Object": row["object"] = filter.present(object)
            default: row["object"] = TablePrinter.partialMetadata(object, version: tableVersion)
            }
            return .object(row)
        }
        return ["kind": "Table", "apiVersion": .string("meta.k8s.io/\(tableVersion)"), "metadata": listMetadata,
                "columnDefinitions": .array(definitions), "rows": .array(rows)]
    }

    static func partialMetadata(_ object: JSONValue, version: String) -> JSONValue {
        ["kind": "PartialObjectMetadata", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": .object(object.metadata)]
    }

    static func partialMetadataList(_ objects: [JSONValue], version: String, listMetadata: JSONValue) -> JSONValue {
        ["kind": "PartialObjectMetadataList", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": listMetadata,
         "items": .array(objects.map { partialMetadata($0, version: version) })]
    }

    // MARK: Columns

    static let nameColumn = Column(name: "Name", format: "name",
                                   description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names") { o, _ in
        o.metadata["name"] ?? .null
    }

    static func ageColumn(_ type: ResourceType) -> Column {
        Column(name: "Age", type: type.origin == .custom ? "date" : "string",
               description: "CreationTimestamp is a timestamp representing the server time when this object was created.") { o, now in
            age(o.metadata["creationTimestamp"]?.stringValue, now: now)
        }
    }

    static func columns(for type: ResourceType) -> [Column] {
        [nameColumn] + specificColumns(for: type) + (type.kind == "Event" ? [] : [ageColumn(type)]) + wideColumns(for: type)
    }

    private static func specificColumns(for type: ResourceType) -> [Column] {
        switch (type.group, type.kind) {
        case ("", "Namespace"):
            return [Column(name: "Status", description: "The status of the namespace") { o, _ in o[path: ["status", "phase"]] ?? .null }]
        case ("", "Secret"):
            return [Column(name: "Type", description: "The type of the secret") { o, _ in o["type"] ?? .null },
                    Column(name: "Data", type: "integer", description: "The number of entries in the secret") { o, _ in .int(o["data"]?.objectValue?.count ?? 0) }]
        case ("", "ConfigMap"):
            return [Column(name: "Data", type: "integer", description: "Number of data in configmap") { o, _ in
                .int((o["data"]?.objectValue?.count ?? 0) + (o["binaryData"]?.objectValue?.count ?? 0))
            }]
        case ("", "Service"):
            return serviceColumns
        case ("", "Event"):
            return eventColumns
        case ("discovery.k8s.io", "EndpointSlice"):
            return endpointSliceColumns
        case ("coordination.k8s.io", "Lease"):
            return [Column(name: "Holder", description: "The holder of the lease") { o, _ in o[path: ["spec", "holderIdentity"]] ?? .string("") }]
        case (ResourceType.gatewayAPIGroup, "GatewayClass"):
            return [Column(name: "Controller") { o, _ in printed(o[path: ["spec", "controllerName"]]) },
                    Column(name: "Accepted") { o, _ in printed(condition("Accepted", o)) }]
        case (ResourceType.gatewayAPIGroup, "Gateway"):
            return [Column(name: "Class") { o, _ in printed(o[path: ["spec", "gatewayClassName"]]) },
                    Column(name: "Address") { o, _ in printed(o[path: ["status", "addresses"]]?.arrayValue?.first?["value"]) },
                    Column(name: "Programmed") { o, _ in printed(condition("Programmed", o)) }]
        case (ResourceType.gatewayAPIGroup, "HTTPRoute"):
            return [Column(name: "Hostnames") { o, _ in printed(o[path: ["spec", "hostnames"]]) }]
        default:
            return []
        }
    }

    private static func wideColumns(for type: ResourceType) -> [Column] {
        switch (type.group, type.kind) {
        case ("", "Service"):
            return [Column(name: "Selector", description: "Route service traffic to pods with label keys and values matching this selector.", priority: 1) { o, _ in
                let selector = (o[path: ["spec", "selector"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                return .string(selector.isEmpty ? "<none>" : selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }]
        case (ResourceType.gatewayAPIGroup, "GatewayClass"):
            return [Column(name: "Description", priority: 1) { o, _ in printed(o[path: ["spec", "description"]]) }]
        default:
            return []
        }
    }

    private static var serviceColumns: [Column] {
        [
            Column(name: "Type", description: "The type of the service") { o, _ in o[path: ["spec", "type"]] ?? "ClusterIP" },
            Column(name: "Cluster-IP", description: "The IP address of the service") { o, _ in
                .string(o[path: ["spec", "clusterIP"]]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>")
            },
            Column(name: "External-IP", description: "The external IP address of the service") { o, _ in
                let external = (o[path: ["spec", "externalIPs"]]?.arrayValue ?? []).compactMap(\.stringValue)
                    + (o[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []).compactMap { ($0["ip"] ?? $0["hostname"])?.stringValue }
                if external.isEmpty { return o[path: ["spec", "type"]] == "LoadBalancer" ? "<pending>" : "<none>" }
                return .string(external.joined(separator: ","))
            },
            Column(name: "Port(s)", description: "The port(s) of the service") { o, _ in
                let ports = (o[path: ["spec", "ports"]]?.arrayValue ?? []).map { p -> String in
                    let port = p["port"]?.intValue.map(String.init) ?? "?"
                    let node = p["nodePort"]?.intValue.map { ":\($0)" } ?? ""
                    return "\(port)\(node)/\(p["protocol"]?.stringValue ?? "TCP")"
                }
                return .string(ports.isEmpty ? "<none>" : ports.joined(separator: ","))
            },
        ]
    }

    private static var eventColumns: [Column] {
        [
            Column(name: "Last Seen", description: "Time when last this event was observed") { o, now in
                age((o["lastTimestamp"] ?? o["eventTime"] ?? o.metadata["creationTimestamp"])?.stringValue, now: now)
            },
            Column(name: "Type", description: "Type of this event") { o, _ in o["type"] ?? .string("") },
            Column(name: "Reason", description: "Short, machine understandable string that gives the reason for the transition into the object's current status") { o, _ in
                o["reason"] ?? .string("")
            },
            Column(name: "Object", description: "The object that this event is about") { o, _ in
                let kind = o[path: ["involvedObject", "kind"]]?.stringValue ?? ""
                return .string("\(kind.lowercased())/\(o[path: ["involvedObject", "name"]]?.stringValue ?? "")")
            },
            Column(name: "Message", description: "A human-readable description of the status of this operation") { o, _ in o["message"] ?? .string("") },
        ]
    }

    private static var endpointSliceColumns: [Column] {
        [
            Column(name: "AddressType", description: "The IP protocol for this slice") { o, _ in o["addressType"] ?? .string("") },
            Column(name: "Ports", description: "The ports for this slice") { o, _ in
                let ports = (o["ports"]?.arrayValue ?? []).compactMap { $0["port"]?.intValue.map(String.init) }
                return .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ","))
            },
            Column(name: "Endpoints", description: "First 3 endpoints for this slice") { o, _ in
                let addresses = (o["endpoints"]?.arrayValue ?? []).flatMap { ($0["addresses"]?.arrayValue ?? []).compactMap(\.stringValue) }
                if addresses.isEmpty { return "<unset>" }
                let shown = addresses.prefix(3).joined(separator: ",")
                return .string(addresses.count > 3 ? "\(shown) + \(addresses.count - 3) more..." : shown)
            },
        ]
    }

    /// `status.conditions[?(@.type==TYPE)].status`.
    private static func condition(_ type: String, _ object: JSONValue) -> JSONValue? {
        object[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type }?["status"]
    }

    /// A CRD printer column cell: strings as they are, other values as JSON, absent as null.
    private static func printed(_ value: JSONValue?) -> JSONValue {
        guard let value, !value.isNull else { return .null }
        if case .string = value { return value }
        return .string(value.text)
    }

    // MARK: Ages

    static func age(_ timestamp: String?, now: Date) -> JSONValue {
        guard let timestamp, let date = try? Date(timestamp, strategy: .iso8601) else { return "<unknown>" }
        return .string(humanDuration(now.timeIntervalSince(date)))
    }

    /// apimachinery's `duration.HumanDuration`: "45s", "3m20s", "17m", "5h10m", "3d4h", "2y10d".
    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.down))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let days = hours / 24
        if hours < 24 * 365 * 8 { return days % 365 == 0 ? "\(days / 365)y" : "\(days / 365)y\(days % 365)d" }
        return "\(days / 365)y"
    }
}
