import Foundation
import Logging
import NIOCertificateReloading
import NIOSSL

/// The controller's TLS server certificate for the agents' port, issued from the internal CA and
/// issued again when two thirds of its lifetime have passed. New handshakes get the new
/// certificate; connections already open — agents' streams — are not touched, so renewal drops
/// nothing. Agents verify the chain against the CA, which does not change.
public final class ServerCertificateRotation: CertificateReloader, @unchecked Sendable {
    private let ca: InternalCA
    private let hosts: [String]
    public let lifetime: Duration
    private let lock = NSLock()
    private var current: NIOSSLContextConfigurationOverride
    private var notAfter: Date
    private let logger: Logger

    /// Issues the first certificate now (throws when the CA cannot issue).
    public init(ca: InternalCA, hosts: [String], lifetime: Duration = .seconds(365 * 86_400), logger: Logger) throws {
        self.ca = ca
        self.hosts = hosts
        self.lifetime = lifetime
        self.logger = logger
        (current, notAfter) = try Self.issue(ca: ca, hosts: hosts, lifetime: lifetime)
    }

    public var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride { lock.withLock { current } }

    /// When the current certificate expires.
    public var expiry: Date { lock.withLock { notAfter } }

    /// Renews at two thirds of each certificate's lifetime until cancelled; a failed issue is
    /// retried a minute later (the current certificate keeps serving).
    public func run() async {
        var wait = lifetime * 2 / 3
        while !Task.isCancelled {
            do { try await Task.sleep(for: wait) } catch { return }
            do {
                let (next, expiry) = try Self.issue(ca: ca, hosts: hosts, lifetime: lifetime)
                lock.withLock { current = next; notAfter = expiry }
                logger.info("renewed the agents' TLS server certificate (valid until \(expiry))")
                wait = lifetime * 2 / 3
            } catch {
                logger.error("cannot renew the agents' TLS server certificate: \(error); trying again in a minute")
                wait = .seconds(60)
            }
        }
    }

    static func issue(ca: InternalCA, hosts: [String], lifetime: Duration) throws -> (NIOSSLContextConfigurationOverride, Date) {
        let now = Date()
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        let issued = try ca.issueServer(hosts: hosts, now: now, lifetime: seconds)
        var o = NIOSSLContextConfigurationOverride()
        o.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) }
        o.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem))
        return (o, now.addingTimeInterval(seconds))
    }
}
