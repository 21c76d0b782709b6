import Foundation
import Yams

/// One kubeconfig file as written on disk: the subset of `kind: Config` that Tollgate reads.
/// Unknown fields are ignored, as kubectl does.
struct KubeconfigFile: Decodable, Sendable {
    var currentContext: String?
    var clusters: [Named<Cluster>]?
    var users: [Named<User>]?
    var contexts: [Named<Context>]?

    /// The key that holds an entry's value beside its `name`: `cluster`, `user` or `context`.
    protocol EntryValue: Decodable, Sendable {
        static var entryKey: String { get }
    }

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }

    /// An entry of one of the three lists: `{name: …, cluster|user|context: {…}}`.
    struct Named<Value: EntryValue>: Decodable, Sendable {
        var name: String
        var value: Value?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            name = try container.decode(String.self, forKey: AnyKey("name"))
            value = try container.decodeIfPresent(Value.self, forKey: AnyKey(Value.entryKey))
        }
    }

    struct Cluster: EntryValue {
        static var entryKey: String { "cluster" }
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    struct User: EntryValue {
        static var entryKey: String { "user" }
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var exec: Exec?
        var authProvider: AuthProvider?
        var username: String?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec, username
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    struct Exec: Decodable, Sendable {
        var command: String?
    }

    struct AuthProvider: Decodable, Sendable {
        var name: String?
    }

    struct Context: EntryValue {
        static var entryKey: String { "context" }
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Parses the YAML (or JSON) text of a kubeconfig file; an empty file is an empty config.
    static func parse(_ text: String, path: String) throws(KubeConfigError) -> KubeconfigFile {
        if text.allSatisfy({ $0.isWhitespace }) {
            return KubeconfigFile()
        }
        do {
            return try YAMLDecoder().decode(KubeconfigFile.self, from: text)
        } catch {
            throw KubeConfigError(file: path, message: "not a valid kubeconfig: \(error)")
        }
    }

    init() {}
}
