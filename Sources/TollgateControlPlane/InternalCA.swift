import Crypto
import Foundation
import SwiftASN1
import X509

/// The controller's own certificate authority for the agent channel (mutual TLS over TCP).
/// Agents get a certificate whose URI SAN names their Gateway; the controller sends a Gateway's
/// snapshot (which holds private keys) only to an agent whose certificate names that Gateway.
public struct InternalCA: Sendable {
    /// URI SAN prefix naming a Gateway: `spiffe://tollgate.dev/gateway/NAMESPACE/NAME`.
    public static let gatewayURIPrefix = "spiffe://tollgate.dev/gateway/"

    public let certificatePEM: String
    let keyPEM: String

    /// A PEM certificate with its PEM private key.
    public struct Issued: Sendable {
        public var certificatePEM: String
        public var keyPEM: String
    }

    /// Creates a new self-signed CA (ECDSA P-256, 10 years).
    public static func create(commonName: String = "Tollgate internal CA", now: Date = Date()) throws -> InternalCA {
        let key = P256.Signing.PrivateKey()
        let pk = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(commonName) }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: pk.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: pk)
        return InternalCA(certificatePEM: try cert.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    /// The CA's private key (PEM). A secret: stored 0600 or in a Kubernetes Secret, never logged.
    public var privateKeyPEM: String { keyPEM }

    public init(certificatePEM: String, keyPEM: String) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    /// Loads `ca.crt` and `ca.key` from `directory`, creating them (key 0600) if missing.
    public static func loadOrCreate(directory: String) throws -> InternalCA {
        let crt = (directory as NSString).appendingPathComponent("ca.crt")
        let key = (directory as NSString).appendingPathComponent("ca.key")
        if let c = FileManager.default.contents(atPath: crt), let k = FileManager.default.contents(atPath: key) {
            return InternalCA(certificatePEM: String(decoding: c, as: UTF8.self), keyPEM: String(decoding: k, as: UTF8.self))
        }
        let ca = try create()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try PrivateFile.write(ca.keyPEM, to: key, mode: 0o600)
        try PrivateFile.write(ca.certificatePEM, to: crt, mode: 0o644)
        return ca
    }

    /// A certificate for an agent of `gateway` ("namespace/name"): URI SAN naming the Gateway,
    /// client and server auth, one year.
    public func issueAgent(gateway: String, now: Date = Date()) throws -> Issued {
        try issue(commonName: "tollgate-agent \(gateway)", sans: [.uniformResourceIdentifier(Self.gatewayURIPrefix + gateway)], now: now)
    }

    /// A server certificate for the controller's TCP listener, valid for `lifetime` seconds.
    public func issueServer(hosts: [String], now: Date = Date(), lifetime: TimeInterval = 365 * 86_400) throws -> Issued {
        var sans: [GeneralName] = []
        for h in hosts {
            if let ip = Self.ipBytes(h) { sans.append(.ipAddress(ASN1OctetString(contentBytes: ip[...]))) } else { sans.append(.dnsName(h)) }
        }
        return try issue(commonName: "tollgate-controller", sans: sans, now: now, lifetime: lifetime)
    }

    private func issue(commonName: String, sans: [GeneralName], now: Date, lifetime: TimeInterval = 365 * 86_400) throws -> Issued {
        let caCert = try Certificate(pemEncoded: certificatePEM)
        let caKey = try Certificate.PrivateKey(pemEncoded: keyPEM)
        let key = P256.Signing.PrivateKey()
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PrivateKey(key).publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(lifetime),
            issuer: caCert.subject, subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(sans)
            },
            issuerPrivateKey: caKey)
        return Issued(certificatePEM: try cert.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    /// The Gateway ("namespace/name") an agent certificate names, if any.
    public static func gateway(named certificate: Certificate) -> String? {
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return nil }
        for san in sans {
            if case .uniformResourceIdentifier(let uri) = san, uri.hasPrefix(gatewayURIPrefix) {
                return String(uri.dropFirst(gatewayURIPrefix.count))
            }
        }
        return nil
    }

    static func ipBytes(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".")
        if parts.count == 4, let bytes = Optional(parts.compactMap { UInt8($0) }), bytes.count == 4 { return bytes }
        if s == "::1" { return Array(repeating: 0, count: 15) + [1] }
        return nil
    }
}

/// File writes for the state directory and the CLI.
public enum PrivateFile {
    /// Writes a file created with its final mode (a key is never readable by others, even briefly).
    public static func write(_ text: String, to path: String, mode: Int) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
        guard fm.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    /// Replaces `path` atomically (temporary file created with `mode`, flushed to disk, then
    /// renamed): readers and a crash see the old or the new contents, never half.
    @discardableResult
    public static func replace(_ data: Data, at path: String, mode: Int = 0o644) -> Bool {
        let tmp = path + ".tmp"
        try? FileManager.default.removeItem(atPath: tmp)
        guard FileManager.default.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: mode]),
              let handle = FileHandle(forWritingAtPath: tmp) else { return false }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: tmp)
            return false
        }
        return rename(tmp, path) == 0
    }
}
