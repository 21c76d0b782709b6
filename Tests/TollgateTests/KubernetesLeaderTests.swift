import Foundation
import KubeAPIServerDouble
import Testing

/// Two controller replicas with `--leader-elect` on one API server and one agent port: exactly one
/// leads, writes status and serves the agent; when it stops, the other takes over within the
/// lease duration, the agent reconnects to it, and NGINX is not reloaded.
@Suite(.serialized) struct KubernetesLeaderTests {
    static let agentPort = 16_401
    static let election = ["--leader-elect", "--leader-elect-lease-duration", "4", "--leader-elect-renew-deadline", "3",
                           "--leader-elect-retry-period", "0.5"]

    @Test("two replicas: one leader writes status and serves the agent; it stops, the other takes over within the lease duration, the agent reconnects, nothing reloads")
    func failoverWithConnectedAgent() async throws {
        let h = try await KubernetesFaultTests.Harness(gatewayPort: 18_491)
        var agent: TollgateProcess?
        defer { agent?.stop() }
        do {
            let listen = "127.0.0.1:\(Self.agentPort)"
            let a = try h.startController(Self.election + ["--leader-elect-identity", "replica-a"], listen: listen, name: "replica-a")
            try h.wait("replica-a leads") { a.output.contains("leading: writing status") }
            let b = try h.startController(Self.election + ["--leader-elect-identity", "replica-b"], listen: listen, name: "replica-b")
            try h.wait("replica-b synced") { b.output.contains("caches synced") }
            let lease = h.double.get(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "tollgate-system", name: "tollgate-controller")
            #expect(lease?[path: ["spec", "holderIdentity"]]?.stringValue == "replica-a")

            // An agent for the Gateway, through the one agent port.
            let certs = h.directory.appendingPathComponent("agent-certs").path
            agent = try h.startAgent(port: Self.agentPort, certs: certs)
            try h.wait("Gateway Programmed through replica-a") { Self.programmed(h) }
            try h.wait("the route's first status written") { h.observedGeneration() == 1 }
            try await Task.sleep(for: .seconds(1))
            let edits = h.writes("httproutes/app/status")
            try h.apply(KubernetesFaultTests.Harness.routeYAML("/v2"))
            try h.wait("the edit's status written") { h.observedGeneration() == 2 }
            try await Task.sleep(for: .seconds(1.5))
            #expect(h.writes("httproutes/app/status") == edits + 1)
            #expect(a.output.contains("status written"), "the leader writes")
            #expect(!b.output.contains("status written") && !b.output.contains("leading: writing status"), "the follower never writes:\n\(b.output.suffix(2000))")
            #expect(!b.output.contains("accepting agents"), "the follower does not serve agents")
            let appliedBefore = agent!.output.components(separatedBy: ": applied").count

            // The leader stops (SIGTERM releases the Lease): replica-b takes over.
            a.stop()
            try h.wait("replica-b leads within the lease duration", timeout: 8) { b.output.contains("leading: writing status") }
            try h.wait("the agent reconnected to replica-b") { b.output.contains("connected for infra/gw") }
            try h.apply(KubernetesFaultTests.Harness.routeYAML("/v3"))
            try h.wait("replica-b writes the next edit's status") { h.observedGeneration() == 3 }
            #expect(b.output.contains("status written"))
            #expect(Self.programmed(h))
            // The same digest from the new leader: the agent reloaded only for the two edits' versions, not for the failover.
            try h.wait("the edit applied by the agent") { agent!.output.components(separatedBy: ": applied").count == appliedBefore + 1 }
            try await Task.sleep(for: .seconds(1))
            #expect(agent!.output.components(separatedBy: ": applied").count == appliedBefore + 1, "\(agent!.output.suffix(3000))")
            let after = h.double.get(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "tollgate-system", name: "tollgate-controller")
            #expect(after?[path: ["spec", "holderIdentity"]]?.stringValue == "replica-b")
        } catch {
            await h.stop()
            throw error
        }
        agent?.stop()
        agent = nil
        await h.stop()
    }

    static func programmed(_ h: KubernetesFaultTests.Harness) -> Bool {
        let gw = h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "infra", name: "gw")
        let c = gw?[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == "Programmed" }
        return c?["status"]?.stringValue == "True"
    }
}
