import Foundation
import NIOSSL

/// The TLS client configuration a ``KubeConfig`` asks for: its CA as the only trust root (or the
/// system store), its client certificate, and verification off only when `insecureSkipTLSVerify`.
enum KubeTLS {
    static func configuration(for config: KubeConfig) throws(KubeError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let authority = config.certificateAuthority {
                let certificates = try NIOSSLCertificate.fromPEMBytes([UInt8](authority))
                guard !certificates.isEmpty else {
                    throw KubeError(code: .configuration, message: "the certificate authority holds no PEM certificate")
                }
                tls.trustRoots = .certificates(certificates)
            }
            if let certificate = config.credentials.clientCertificate, let key = config.credentials.clientKey {
                let chain = try NIOSSLCertificate.fromPEMBytes([UInt8](certificate))
                guard !chain.isEmpty else {
                    throw KubeError(code: .configuration, message: "the client certificate holds no PEM certificate")
                }
                tls.certificateChain = chain.map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: [UInt8](key), format: .pem))
            }
        } catch let error as KubeError {
            throw error
        } catch {
            // NIOSSL's errors name the OpenSSL failure, never the key material.
            throw KubeError(code: .configuration, message: "TLS material from \(config.source) is unusable: \(error)")
        }
        if config.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        }
        // A cancelled watch closes its connection; do not wait long for the peer's close_notify.
        tls.shutdownTimeout = .seconds(1)
        return tls
    }
}
