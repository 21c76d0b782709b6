import Foundation

/// Where and how to reach one Kubernetes API server: its URL, the trust anchor for its
/// certificate, and the credentials Tollgate presents.
///
/// A plain value: loading it (``load(kubeconfigPath:environment:)``, ``inCluster(environment:directory:)``)
/// reads every file it needs except a token file, which ``KubeClient`` re-reads as it rotates.
/// Its `description` never shows a token or a key.
public struct KubeConfig: Sendable, Equatable, CustomStringConvertible {
    /// The API server's base URL, e.g. `https://10.96.0.1:443`.
    public var server: URL
    /// PEM bytes of the CA bundle that signs the server's certificate; nil trusts the system store.
    public var certificateAuthority: Data?
    /// Bearer token and/or client certificate.
    public var credentials: KubeCredentials
    /// Skip verifying the server's certificate (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// The name to verify the server's certificate against (and send as SNI) instead of the URL's host.
    public var tlsServerName: String?
    /// The namespace of the current context, or of the pod's service account; `default` otherwise.
    public var namespace: String
    /// How this configuration was obtained.
    public var source: Source

    /// How a ``KubeConfig`` was obtained, for logs and error messages.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// From a kubeconfig file (the first of the merged list that set the context), with the context used.
        case kubeconfig(path: String, context: String)
        /// From the pod's service account and the `KUBERNETES_SERVICE_*` environment.
        case inCluster
        /// Built in code.
        case explicit

        public var description: String {
            switch self {
            case .kubeconfig(let path, let context): return "kubeconfig \(path), context \"\(context)\""
            case .inCluster: return "in-cluster service account"
            case .explicit: return "explicit configuration"
            }
        }
    }

    public init(
        server: URL,
        certificateAuthority: Data? = nil,
        credentials: KubeCredentials = KubeCredentials(),
        insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil,
        namespace: String = "default",
        source: Source = .explicit
    ) {
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.credentials = credentials
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.namespace = namespace
        self.source = source
    }

    public var description: String {
        var parts = ["server \(server.absoluteString)", "auth \(credentials)", "namespace \(namespace)"]
        if insecureSkipTLSVerify { parts.append("insecure-skip-tls-verify") }
        if let tlsServerName { parts.append("tls-server-name \(tlsServerName)") }
        parts.append("from \(source)")
        return parts.joined(separator: ", ")
    }
}

/// The credentials presented to the API server: a bearer token (literal or from a file that may
/// rotate), a client certificate, both, or neither. Its `description` names the kind only.
public struct KubeCredentials: Sendable, Equatable, CustomStringConvertible {
    /// Where the bearer token comes from.
    public enum BearerToken: Sendable, Equatable {
        /// A token given in the configuration itself.
        case literal(String)
        /// A file holding the token, re-read when it changes (service-account tokens rotate).
        case file(path: String)
    }

    /// The bearer token, if any.
    public var bearerToken: BearerToken?
    /// PEM certificate chain presented for mutual TLS.
    public var clientCertificate: Data?
    /// PEM private key for ``clientCertificate``.
    public var clientKey: Data?

    public init(bearerToken: BearerToken? = nil, clientCertificate: Data? = nil, clientKey: Data? = nil) {
        self.bearerToken = bearerToken
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    public var description: String {
        var kinds: [String] = []
        switch bearerToken {
        case .literal: kinds.append("bearer token")
        case .file(let path): kinds.append("bearer token file \(path)")
        case nil: break
        }
        if clientCertificate != nil { kinds.append("client certificate") }
        return kinds.isEmpty ? "none" : kinds.joined(separator: " + ")
    }
}
