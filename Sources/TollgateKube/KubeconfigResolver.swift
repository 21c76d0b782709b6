import Foundation

/// Turns merged kubeconfig entries into a ``KubeConfig`` for one context: follows the context to
/// its cluster and user, decodes `*-data` fields, reads referenced files, refuses what Tollgate
/// cannot do. Every error names the file and the field.
struct KubeconfigResolver {
    var merged: KubeconfigMerge

    func resolve(context requested: String?) throws(KubeConfigError) -> KubeConfig {
        let firstFile = merged.files.first
        let contextName: String
        let contextFile: String?
        if let requested, !requested.isEmpty {
            contextName = requested
            contextFile = merged.contexts[requested]?.file ?? firstFile
        } else if let current = merged.currentContext {
            contextName = current.value
            contextFile = current.file
        } else {
            throw KubeConfigError(
                file: firstFile, field: "current-context",
                message: "is not set in \(merged.files.joined(separator: ", ")); set it or choose a context")
        }
        guard let context = merged.contexts[contextName] else {
            throw KubeConfigError(
                file: contextFile, field: "current-context",
                message: "names context \"\(contextName)\", which no contexts entry defines")
        }
        let contextField = "contexts[\"\(contextName)\"].context"
        guard let clusterName = context.value.cluster, !clusterName.isEmpty else {
            throw KubeConfigError(file: context.file, field: "\(contextField).cluster", message: "is not set")
        }
        guard let cluster = merged.clusters[clusterName] else {
            throw KubeConfigError(
                file: context.file, field: "\(contextField).cluster",
                message: "names cluster \"\(clusterName)\", which no clusters entry defines")
        }
        var config = try resolveCluster(name: clusterName, cluster)
        if let userName = context.value.user, !userName.isEmpty {
            guard let user = merged.users[userName] else {
                throw KubeConfigError(
                    file: context.file, field: "\(contextField).user",
                    message: "names user \"\(userName)\", which no users entry defines")
            }
            config.credentials = try resolveUser(name: userName, user)
        }
        if let namespace = context.value.namespace, !namespace.isEmpty {
            config.namespace = namespace
        }
        config.source = .kubeconfig(path: contextFile ?? context.file, context: contextName)
        return config
    }

    private func resolveCluster(
        name: String, _ entry: KubeconfigMerge.Entry<KubeconfigFile.Cluster>
    ) throws(KubeConfigError) -> KubeConfig {
        let field = "clusters[\"\(name)\"].cluster"
        let cluster = entry.value
        guard let text = cluster.server, !text.isEmpty else {
            throw KubeConfigError(file: entry.file, field: "\(field).server", message: "is not set")
        }
        guard let server = URL(string: text), let scheme = server.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = server.host, !host.isEmpty
        else {
            throw KubeConfigError(
                file: entry.file, field: "\(field).server",
                message: "\"\(text)\" is not an http(s) URL with a host")
        }
        let authority = try pemSource(
            data: cluster.certificateAuthorityData, dataField: "\(field).certificate-authority-data",
            path: cluster.certificateAuthority, pathField: "\(field).certificate-authority", file: entry.file)
        return KubeConfig(
            server: server,
            certificateAuthority: authority,
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            tlsServerName: cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 })
    }

    private func resolveUser(
        name: String, _ entry: KubeconfigMerge.Entry<KubeconfigFile.User>
    ) throws(KubeConfigError) -> KubeCredentials {
        let field = "users[\"\(name)\"].user"
        let user = entry.value
        if let exec = user.exec {
            throw KubeConfigError(
                file: entry.file, field: "\(field).exec",
                message: "user \"\(name)\" uses an exec credential plugin (\(exec.command ?? "no command")), "
                    + "which Tollgate does not support; use a token or client certificate")
        }
        if let provider = user.authProvider {
            throw KubeConfigError(
                file: entry.file, field: "\(field).auth-provider",
                message: "user \"\(name)\" uses an auth-provider plugin (\(provider.name ?? "unnamed")), "
                    + "which Tollgate does not support; use a token or client certificate")
        }
        var credentials = KubeCredentials()
        if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            let path = Self.resolve(tokenFile, relativeTo: entry.file)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw KubeConfigError(
                    file: entry.file, field: "\(field).tokenFile", message: "\(path) cannot be read")
            }
            credentials.bearerToken = .file(path: path)
        } else if let token = user.token, !token.isEmpty {
            credentials.bearerToken = .literal(token)
        }
        credentials.clientCertificate = try pemSource(
            data: user.clientCertificateData, dataField: "\(field).client-certificate-data",
            path: user.clientCertificate, pathField: "\(field).client-certificate", file: entry.file)
        credentials.clientKey = try pemSource(
            data: user.clientKeyData, dataField: "\(field).client-key-data",
            path: user.clientKey, pathField: "\(field).client-key", file: entry.file)
        if (credentials.clientCertificate == nil) != (credentials.clientKey == nil) {
            let missing = credentials.clientCertificate == nil ? "client-certificate" : "client-key"
            throw KubeConfigError(
                file: entry.file, field: "\(field).\(missing)",
                message: "is missing: a client certificate needs both certificate and key")
        }
        if user.username != nil, credentials.bearerToken == nil, credentials.clientCertificate == nil {
            throw KubeConfigError(
                file: entry.file, field: "\(field).username",
                message: "user \"\(name)\" uses basic authentication, which Tollgate does not support; "
                    + "use a token or client certificate")
        }
        return credentials
    }

    /// The bytes of a `*-data` field (base64, which wins as in kubectl) or of the file a path field names.
    private func pemSource(
        data: String?, dataField: String, path: String?, pathField: String, file: String
    ) throws(KubeConfigError) -> Data? {
        if let data, !data.isEmpty {
            let compact = data.filter { !$0.isWhitespace }
            guard let bytes = Data(base64Encoded: compact), !bytes.isEmpty else {
                throw KubeConfigError(file: file, field: dataField, message: "is not valid base64")
            }
            return bytes
        }
        guard let path, !path.isEmpty else { return nil }
        let resolved = Self.resolve(path, relativeTo: file)
        guard let bytes = FileManager.default.contents(atPath: resolved) else {
            throw KubeConfigError(file: file, field: pathField, message: "\(resolved) cannot be read")
        }
        return bytes
    }

    /// `path` as written in `file`: absolute as is, relative to the file's directory otherwise.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = (file as NSString).deletingLastPathComponent
        return ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(path)
    }
}
