import Foundation

extension KubeConfig {
    /// The service account directory Kubernetes mounts into every pod.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a pod: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT` (an IPv6
    /// host is bracketed), the token file `token` (re-read as it rotates), the CA `ca.crt` and the
    /// namespace from `namespace` (`default` when absent) in `directory`.
    ///
    /// - Throws: ``KubeConfigError`` when the environment variables or the token file are missing.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws(KubeConfigError) -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError(
                field: "KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT",
                message: "not set: not running in a pod (use a kubeconfig instead)")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw KubeConfigError(field: "KUBERNETES_SERVICE_PORT", message: "\"\(port)\" is not a port number")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(bracketed):\(portNumber)") else {
            throw KubeConfigError(field: "KUBERNETES_SERVICE_HOST", message: "\"\(host)\" is not a host")
        }
        let directoryURL = URL(fileURLWithPath: directory, isDirectory: true)
        let tokenPath = directoryURL.appendingPathComponent("token").path
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError(file: tokenPath, message: "the service account token cannot be read")
        }
        let certificateAuthority = FileManager.default.contents(
            atPath: directoryURL.appendingPathComponent("ca.crt").path)
        let namespaceText = FileManager.default.contents(
            atPath: directoryURL.appendingPathComponent("namespace").path
        ).flatMap { String(data: $0, encoding: .utf8) }?.trimmingCharacters(in: .whitespacesAndNewlines)
        return KubeConfig(
            server: server,
            certificateAuthority: certificateAuthority,
            credentials: KubeCredentials(bearerToken: .file(path: tokenPath)),
            namespace: namespaceText.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            source: .inCluster)
    }
}
