import Foundation

/// The leader-election fields of a `coordination.k8s.io/v1` Lease's `spec`, as client-go writes them.
struct LeaseRecord: Sendable, Equatable, Codable {
    var holderIdentity: String?
    var leaseDurationSeconds: Int?
    /// RFC 3339 with microseconds (`MicroTime`).
    var acquireTime: String?
    var renewTime: String?
    var leaseTransitions: Int?

    /// The record in a Lease object's JSON (empty when the Lease has no spec).
    init(lease: KubeObject) throws {
        struct Lease: Decodable { var spec: LeaseRecord? }
        self = try JSONDecoder().decode(Lease.self, from: lease.json).spec ?? LeaseRecord()
    }

    init(
        holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: String? = nil,
        renewTime: String? = nil, leaseTransitions: Int? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// A new Lease object holding this record.
    func newLease(name: String, namespace: String) throws -> Data {
        let lease: JSONValue = .object([
            "apiVersion": .string(ResourceType.lease.apiVersion),
            "kind": .string(ResourceType.lease.kind),
            "metadata": .object(["name": .string(name), "namespace": .string(namespace)]),
            "spec": try specValue(),
        ])
        return try lease.serialized()
    }

    /// `lease` (with its resourceVersion, labels and any other spec fields) with this record in its spec.
    func replacing(in lease: KubeObject) throws -> Data {
        var value = try JSONValue.parse(lease.json)
        var spec = value["spec"] ?? .object([:])
        if case .object(let fields) = try specValue() {
            for (key, field) in fields { spec[key] = field }
            for key in ["holderIdentity", "acquireTime", "renewTime"] where fields[key] == nil {
                spec[key] = JSONValue.null
            }
        }
        value["spec"] = spec
        return try value.serialized()
    }

    private func specValue() throws -> JSONValue {
        try JSONValue.parse(JSONEncoder().encode(self))
    }

    /// `MicroTime` text for `date`: `2006-01-02T15:04:05.000000Z` (the API requires six digits).
    static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = min(999_999, Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down)))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var text = formatter.string(from: Date(timeIntervalSince1970: seconds))
        if text.hasSuffix("Z") { text.removeLast() }
        let fraction = String(micros)
        return text + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
