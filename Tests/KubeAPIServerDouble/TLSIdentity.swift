import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The double's certificate authority and its serving certificate (for `127.0.0.1`, `::1` and
/// `localhost`), made in memory with P-256 keys. One identity lives as long as the double, so a
/// restarted server presents a certificate the clients already trust.
struct TLSIdentity: Sendable {
    let caPEM: String
    let certificateDER: [UInt8]
    let privateKeyPEM: String

    /// Fresh keys and certificates. Building them only fails on programming errors (a malformed
    /// extension), hence no `throws`.
    init() {
        do {
            (caPEM, certificateDER, privateKeyPEM) = try TLSIdentity.make()
        } catch {
            fatalError("could not build the test CA: \(error)")
        }
    }

    private static func make() throws -> (String, [UInt8], String) {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("kube-apiserver-double-ca") }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400 * 365),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let key = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400 * 365),
            issuer: caName, subject: try DistinguishedName { CommonName("kube-apiserver") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: .init(caKey))
        var serializer = DER.Serializer()
        try serializer.serialize(leaf)
        return (try ca.serializeAsPEM().pemString + "\n", serializer.serializedBytes, key.pemRepresentation)
    }

    /// HTTP/1.1 only (ALPN `http/1.1`), TLS 1.2+.
    func serverContext() throws -> NIOSSLContext {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: certificateDER, format: .der))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)))
        config.applicationProtocols = ["http/1.1"]
        config.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: config)
    }
}
