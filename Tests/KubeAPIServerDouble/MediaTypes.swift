import Foundation

/// Content negotiation on the `Accept` header, as kube-apiserver does it: the first entry the
/// server can produce wins. Besides plain JSON the double produces server-side tables
/// (`as=Table`, what `kubectl get` asks for), object metadata (`as=PartialObjectMetadata[List]`,
/// what metadata-only informers ask for) and aggregated discovery
/// (`as=APIGroupDiscoveryList`). Protobuf is never produced; YAML requests get JSON, which is YAML.
enum ResponseFormat: Sendable, Equatable {
    case json
    /// `meta.k8s.io` Table at `v1` or `v1beta1`.
    case table(version: String)
    /// `meta.k8s.io` PartialObjectMetadata / PartialObjectMetadataList at `v1` or `v1beta1`.
    case metadata(version: String)
    /// `apidiscovery.k8s.io` APIGroupDiscoveryList at `v2` or `v2beta1` (only for `/api` and `/apis`).
    case aggregatedDiscovery(version: String)

    /// The format to answer with, or nil when nothing acceptable can be produced (406).
    static func negotiate(_ accept: String?, discoveryPath: Bool) -> ResponseFormat? {
        guard let accept, !accept.allSatisfy({ $0 == " " }) else { return .json }
        for entry in accept.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let media = parts.first?.lowercased() ?? ""
            var params: [String: String] = [:]
            for p in parts.dropFirst() {
                let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { params[kv[0].lowercased()] = kv[1] }
            }
            guard ["application/json", "application/yaml", "application/*", "*/*"].contains(media) else { continue }
            if let format = format(as: params["as"], group: params["g"], version: params["v"], discoveryPath: discoveryPath) { return format }
        }
        return nil
    }

    private static func format(as kind: String?, group: String?, version: String?, discoveryPath: Bool) -> ResponseFormat? {
        guard let kind else { return .json }
        let v = version ?? ""
        switch (kind, group) {
        case ("Table", "meta.k8s.io") where ["v1", "v1beta1"].contains(v):
            return .table(version: v)
        case ("PartialObjectMetadata", "meta.k8s.io"), ("PartialObjectMetadataList", "meta.k8s.io"):
            return ["v1", "v1beta1"].contains(v) ? .metadata(version: v) : nil
        case ("APIGroupDiscoveryList", "apidiscovery.k8s.io") where discoveryPath && ["v2", "v2beta1"].contains(v):
            return .aggregatedDiscovery(version: v)
        default:
            return nil
        }
    }

    /// The `Content-Type` of a response in this format (of a list, or of one object).
    var contentType: String { contentType(list: true) }

    func contentType(list: Bool) -> String {
        switch self {
        case .json: "application/json"
        case .table(let v): "application/json;as=Table;v=\(v);g=meta.k8s.io"
        case .metadata(let v): "application/json;as=PartialObjectMetadata\(list ? "List" : "");v=\(v);g=meta.k8s.io"
        case .aggregatedDiscovery(let v): "application/json;g=apidiscovery.k8s.io;v=\(v);as=APIGroupDiscoveryList"
        }
    }
}
