import Foundation
import Testing
import TollgateKube

/// Kubeconfig loading as kubectl does it, and the in-cluster configuration, from files in a
/// temporary directory.
@Suite struct KubeConfigTests {
    /// A temporary directory for kubeconfig files, removed at deinit.
    final class Scratch {
        let root: URL

        init() throws {
            root = FileManager.default.temporaryDirectory
                .appendingPathComponent("kubeconfig-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        @discardableResult
        func write(_ relative: String, _ text: String) throws -> String {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return url.path
        }
    }

    static let caPEM = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n"

    static func kubeconfig(
        current: String? = "ctx", server: String = "https://10.0.0.1:6443",
        clusterExtra: String = "", user: String = "token: abc", contextExtra: String = ""
    ) -> String {
        """
        apiVersion: v1
        kind: Config
        \(current.map { "current-context: \($0)" } ?? "")
        clusters:
        - name: c1
          cluster:
            server: \(server)
        \(clusterExtra)
        users:
        - name: u1
          user:
            \(user)
        contexts:
        - name: ctx
          context:
            cluster: c1
            user: u1
        \(contextExtra)
        """
    }

    @Test func tokenAndCADataFromAnExplicitPath() throws {
        let scratch = try Scratch()
        let caData = Data(Self.caPEM.utf8).base64EncodedString()
        let path = try scratch.write("config", Self.kubeconfig(
            clusterExtra: "    certificate-authority-data: \(caData)", contextExtra: "    namespace: gateways"))
        let config = try KubeConfig.load(kubeconfigPath: path, environment: [:])
        #expect(config.server.absoluteString == "https://10.0.0.1:6443")
        #expect(config.certificateAuthority == Data(Self.caPEM.utf8))
        #expect(config.credentials.bearerToken == .literal("abc"))
        #expect(config.namespace == "gateways")
        #expect(config.source == .kubeconfig(path: path, context: "ctx"))
        #expect(!config.description.contains("abc"), "the description must not show the token")
    }

    @Test func filePathsAreRelativeToTheKubeconfig() throws {
        let scratch = try Scratch()
        try scratch.write("kube/pki/ca.crt", Self.caPEM)
        try scratch.write("kube/pki/client.crt", "CERT")
        try scratch.write("kube/pki/client.key", "KEY")
        try scratch.write("kube/token", "  rotated-token\n")
        let path = try scratch.write("kube/config", Self.kubeconfig(
            clusterExtra: "    certificate-authority: pki/ca.crt",
            user: "client-certificate: pki/client.crt\n    client-key: pki/client.key\n    tokenFile: token"))
        let config = try KubeConfig.load(kubeconfigPath: path, environment: [:])
        #expect(config.certificateAuthority == Data(Self.caPEM.utf8))
        #expect(config.credentials.clientCertificate == Data("CERT".utf8))
        #expect(config.credentials.clientKey == Data("KEY".utf8))
        #expect(config.credentials.bearerToken == .file(path: scratch.root.appendingPathComponent("kube/token").path))
    }

    @Test func clientCertificateDataAndInsecureAndServerName() throws {
        let scratch = try Scratch()
        let cert = Data("CERT".utf8).base64EncodedString()
        let key = Data("KEY".utf8).base64EncodedString()
        let path = try scratch.write("config", Self.kubeconfig(
            clusterExtra: "    insecure-skip-tls-verify: true\n    tls-server-name: api.internal",
            user: "client-certificate-data: \(cert)\n    client-key-data: \(key)"))
        let config = try KubeConfig.load(kubeconfigPath: path, environment: [:])
        #expect(config.insecureSkipTLSVerify)
        #expect(config.tlsServerName == "api.internal")
        #expect(config.credentials.bearerToken == nil)
        #expect(config.credentials.clientCertificate == Data("CERT".utf8))
        #expect(config.credentials.clientKey == Data("KEY".utf8))
    }

    @Test func certificateWithoutKeyNamesTheMissingField() throws {
        let scratch = try Scratch()
        let path = try scratch.write("config", Self.kubeconfig(user: "client-certificate-data: Q0VSVA=="))
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: path, environment: [:])
        }
        #expect(error.file == path)
        #expect(error.field == "users[\"u1\"].user.client-key")
    }

    @Test func kubeconfigListMergesFirstWins() throws {
        let scratch = try Scratch()
        // The first file has no current-context but defines the user first; the second sets the
        // context and defines a user of the same name that must lose.
        let first = try scratch.write("a/config", """
            users:
            - name: u1
              user:
                token: first
            """)
        let second = try scratch.write("b/config", Self.kubeconfig(user: "token: second"))
        let missing = scratch.root.appendingPathComponent("missing").path
        let config = try KubeConfig.load(environment: ["KUBECONFIG": "\(missing):\(first):\(second)", "HOME": "/nonexistent"])
        #expect(config.credentials.bearerToken == .literal("first"))
        #expect(config.source == .kubeconfig(path: second, context: "ctx"))
    }

    @Test func homeKubeConfigWhenNothingElse() throws {
        let scratch = try Scratch()
        try scratch.write(".kube/config", Self.kubeconfig())
        let config = try KubeConfig.load(environment: ["HOME": scratch.root.path])
        #expect(config.credentials.bearerToken == .literal("abc"))
        #expect(throws: KubeConfigError.self) {
            try KubeConfig.load(environment: ["HOME": scratch.root.appendingPathComponent("none").path])
        }
    }

    @Test func execPluginIsAClearError() throws {
        let scratch = try Scratch()
        let path = try scratch.write("config", Self.kubeconfig(
            user: "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws"))
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: path, environment: [:])
        }
        #expect(error.file == path)
        #expect(error.field == "users[\"u1\"].user.exec")
        #expect(error.message.contains("exec credential plugin (aws)"))
        #expect(error.message.contains("use a token or client certificate"))
    }

    @Test func authProviderIsAClearError() throws {
        let scratch = try Scratch()
        let path = try scratch.write("config", Self.kubeconfig(user: "auth-provider:\n      name: gcp"))
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: path, environment: [:])
        }
        #expect(error.message.contains("auth-provider plugin (gcp)"))
    }

    @Test func missingCurrentContextIsNamed() throws {
        let scratch = try Scratch()
        let unset = try scratch.write("unset", Self.kubeconfig(current: nil))
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: unset, environment: [:])
        }
        #expect(error.field == "current-context")
        #expect(error.file == unset)

        let dangling = try scratch.write("dangling", Self.kubeconfig(current: "prod"))
        let named = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: dangling, environment: [:])
        }
        #expect(named.field == "current-context")
        #expect(named.description.contains("\"prod\""))
        #expect(named.description.contains(dangling))
    }

    @Test func badFieldsAreNamed() throws {
        let scratch = try Scratch()
        let badServer = try scratch.write("server", Self.kubeconfig(server: "not a url"))
        let serverError = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: badServer, environment: [:])
        }
        #expect(serverError.field == "clusters[\"c1\"].cluster.server")

        let badCA = try scratch.write("ca", Self.kubeconfig(clusterExtra: "    certificate-authority: nowhere.crt"))
        let caError = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: badCA, environment: [:])
        }
        #expect(caError.field == "clusters[\"c1\"].cluster.certificate-authority")
        #expect(caError.message.contains(scratch.root.appendingPathComponent("nowhere.crt").path))

        let badData = try scratch.write("data", Self.kubeconfig(clusterExtra: "    certificate-authority-data: '%%%'"))
        let dataError = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: badData, environment: [:])
        }
        #expect(dataError.field == "clusters[\"c1\"].cluster.certificate-authority-data")

        let missing = scratch.root.appendingPathComponent("absent").path
        let missingError = try #require(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: missing, environment: [:])
        }
        #expect(missingError.file == missing)
    }

    @Test func explicitContextOverridesCurrent() throws {
        let scratch = try Scratch()
        let path = try scratch.write("config", Self.kubeconfig(current: "elsewhere"))
        let config = try KubeConfig.load(kubeconfigPath: path, context: "ctx", environment: [:])
        #expect(config.source == .kubeconfig(path: path, context: "ctx"))
    }

    @Test func inClusterFromADirectory() throws {
        let scratch = try Scratch()
        try scratch.write("sa/token", "sa-token\n")
        try scratch.write("sa/ca.crt", Self.caPEM)
        try scratch.write("sa/namespace", "tollgate-system\n")
        let directory = scratch.root.appendingPathComponent("sa").path
        let config = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: directory)
        #expect(config.server.absoluteString == "https://10.96.0.1:443")
        #expect(config.credentials.bearerToken == .file(path: directory + "/token"))
        #expect(config.certificateAuthority == Data(Self.caPEM.utf8))
        #expect(config.namespace == "tollgate-system")
        #expect(config.source == .inCluster)

        let v6 = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"],
            directory: directory)
        #expect(v6.server.absoluteString == "https://[fd00::1]:6443")
    }

    @Test func inClusterNeedsEnvironmentAndToken() throws {
        let scratch = try Scratch()
        #expect(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: [:], directory: scratch.root.path)
        }
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                directory: scratch.root.path)
        }
        #expect(error.file == scratch.root.appendingPathComponent("token").path)
        // Namespace defaults when the file is absent.
        try scratch.write("token", "t")
        let config = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: scratch.root.path)
        #expect(config.namespace == "default")
        #expect(config.certificateAuthority == nil)
    }
}
