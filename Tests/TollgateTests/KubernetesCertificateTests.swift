import Foundation
import KubeAPIServerDouble
import Testing

/// The agents' TLS server certificate is renewed before it expires, and renewal drops no stream:
/// a connected agent keeps its one connection while new handshakes get the new certificate.
@Suite(.serialized) struct KubernetesCertificateTests {
    static let agentPort = 16_402

    /// The serial and verification result of the certificate the controller presents now.
    static func presented(certs: String) throws -> (serial: String, verified: Bool) {
        let r = try Processes.run("bash", ["-c", """
            openssl s_client -connect 127.0.0.1:\(agentPort) -cert '\(certs)/agent.crt' -key '\(certs)/agent.key' \
              -CAfile '\(certs)/ca.crt' -verify_return_error </dev/null 2>&1 | tee /dev/stderr | openssl x509 -noout -serial
            """])
        return (r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), r.stderr.contains("Verify return code: 0 (ok)"))
    }

    @Test("the server certificate is renewed at two thirds of its lifetime; the connected agent's stream stays up; new handshakes verify against the same CA")
    func renewalKeepsStreams() async throws {
        let h = try await KubernetesFaultTests.Harness(gatewayPort: 18_492)
        var agent: TollgateProcess?
        do {
            let c = try h.startController(["--server-certificate-lifetime", "6"], listen: "127.0.0.1:\(Self.agentPort)")
            try h.wait("controller synced") { c.output.contains("caches synced") }
            let certs = h.directory.appendingPathComponent("agent-certs").path
            agent = try h.startAgent(port: Self.agentPort, certs: certs)
            try h.wait("Gateway Programmed") { KubernetesLeaderTests.programmed(h) }
            let first = try Self.presented(certs: certs)
            #expect(!first.serial.isEmpty && first.verified, "\(first)")
            var renewed = first
            try h.wait("a renewed certificate is presented", timeout: 20) {
                renewed = try Self.presented(certs: certs)
                return renewed.serial != first.serial
            }
            #expect(renewed.verified, "the renewed certificate verifies against the agents' CA")
            #expect(c.output.contains("renewed the agents' TLS server certificate"))
            // The agent connected once and was never dropped.
            #expect(c.output.components(separatedBy: "connected for infra/gw").count == 2, "\(h.logs)")
            #expect(!c.output.contains("infra/gw disconnected"), "\(h.logs)")
            #expect(KubernetesLeaderTests.programmed(h))

            // The agent reads its certificate files again for each connection: files replaced
            // (here by a certificate for another Gateway, which the controller must refuse) take
            // effect at the next connection, with no agent restart.
            let reissued = try tollgate(["certs", "issue-agent", "--gateway", "infra/other", "--kubeconfig", h.kubeconfig,
                                         "--namespace", "tollgate-system", "--out", certs])
            #expect(reissued.status == 0, "\(reissued.stderr)")
            c.stop()
            let c2 = try h.startController(listen: "127.0.0.1:\(Self.agentPort)", name: "controller-2")
            try h.wait("the agent's next connection presents the new certificate") {
                agent!.output.contains("names Gateway infra/other")
            }
            #expect(!c2.output.contains("connected for infra/gw"))
        } catch {
            agent?.stop()
            await h.stop()
            throw error
        }
        agent?.stop()
        await h.stop()
    }
}
