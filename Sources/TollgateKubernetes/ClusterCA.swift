import Foundation
import Logging
import TollgateControlPlane
import TollgateKube

/// The internal CA in Kubernetes mode: a Secret (`ca.crt`, `ca.key`) in the controller's
/// namespace, created by the first replica that starts and read by every other one (and by
/// `tollgate certs issue-agent --kubeconfig`). Two replicas starting at once race on create; the
/// loser reads the winner's.
public enum ClusterCA {
    public static let secretName = "tollgate-ca"
    static let secret = ResourceType(group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true)

    /// Reads the CA Secret, creating it when `create` and it does not exist.
    public static func load(client: KubeClient, namespace: String, create: Bool, logger: Logger? = nil) async throws -> InternalCA {
        for _ in 0..<3 {
            if let object = try await client.get(secret, namespace: namespace, name: secretName) {
                return try decode(object, namespace: namespace)
            }
            guard create else {
                throw ClusterCAError("Secret \(namespace)/\(secretName) does not exist: start the controller once (it creates the CA) or check --namespace")
            }
            let ca = try InternalCA.create()
            let body: [String: Any] = [
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": ["name": secretName, "namespace": namespace,
                             "labels": ["app.kubernetes.io/managed-by": "tollgate", "app.kubernetes.io/component": "internal-ca"]],
                "data": ["ca.crt": Data(ca.certificatePEM.utf8).base64EncodedString(),
                         "ca.key": Data(ca.privateKeyPEM.utf8).base64EncodedString()],
            ]
            do {
                _ = try await client.create(secret, namespace: namespace, json: JSONSerialization.data(withJSONObject: body))
                logger?.notice("created the internal CA in Secret \(namespace)/\(secretName)")
                return ca
            } catch let error as KubeError where error.code == .alreadyExists {
                continue   // another replica won the race: read its CA
            }
        }
        throw ClusterCAError("Secret \(namespace)/\(secretName) could neither be read nor created")
    }

    static func decode(_ object: APIObject, namespace: String) throws -> InternalCA {
        struct Body: Decodable { var data: [String: String]? }
        let data = (try? JSONDecoder().decode(Body.self, from: object.json))?.data ?? [:]
        guard let crt = data["ca.crt"].flatMap({ Data(base64Encoded: $0) }), let key = data["ca.key"].flatMap({ Data(base64Encoded: $0) }) else {
            throw ClusterCAError("Secret \(namespace)/\(secretName) has no valid data[ca.crt] and data[ca.key]")
        }
        return InternalCA(certificatePEM: String(decoding: crt, as: UTF8.self), keyPEM: String(decoding: key, as: UTF8.self))
    }
}

/// The CA Secret cannot be used.
public struct ClusterCAError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
