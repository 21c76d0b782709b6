import Foundation
import Synchronization
import Testing
import TollgateKube

/// Leader election on a Lease in the API server double: one leader among two, hand-over on
/// release, loss of leadership when renewals fail, takeover of an expired Lease.
@Suite struct KubeLeaderElectionTests {
    static func config(_ identity: String, lease: String = "tollgate") -> LeaderElectionConfig {
        LeaderElectionConfig(
            identity: identity, leaseName: lease, leaseNamespace: "default",
            leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(100))
    }

    /// One running candidate and every leadership change it announced.
    final class Candidate: Sendable {
        let elector: LeaderElector
        let run: Task<Void, Never>
        private let consume: Task<Void, Never>
        private let changes: Changes

        final class Changes: Sendable {
            let values = Mutex<[Bool]>([])
        }

        init(_ client: KubeClient, _ config: LeaderElectionConfig) {
            let elector = LeaderElector(client: client, config: config)
            let changes = Changes()
            self.elector = elector
            self.changes = changes
            run = Task { await elector.run() }
            consume = Task { for await leading in elector.leadership { changes.values.withLock { $0.append(leading) } } }
        }

        var history: [Bool] { changes.values.withLock { $0 } }

        /// Cancels `run` (releasing the Lease when leading) and waits for it to return.
        func stop() async {
            run.cancel()
            await run.value
            await consume.value
        }
    }

    struct LeaseSpec: Decodable {
        var holderIdentity: String?
        var leaseDurationSeconds: Int?
        var renewTime: String?
        var leaseTransitions: Int?
    }

    static func lease(_ client: KubeClient, _ name: String = "tollgate") async throws -> LeaseSpec? {
        struct Lease: Decodable { var spec: LeaseSpec }
        guard let object = try await client.get(.lease, namespace: "default", name: name) else { return nil }
        return try JSONDecoder().decode(Lease.self, from: object.json).spec
    }

    @Test func twoCandidatesOneLeader() async throws {
        try await withKubeServer { _, client in
            let a = Candidate(client, Self.config("a"))
            let b = Candidate(client, Self.config("b"))
            try await waitUntil("a leader") {
                let aLeads = await a.elector.isLeader
                let bLeads = await b.elector.isLeader
                return aLeads || bLeads
            }
            // Watch several renewals go by; at each, exactly one leads and the Lease names it.
            var renewals: Set<String> = []
            try await waitUntil("three renewals") {
                guard let spec = try await Self.lease(client), let renewTime = spec.renewTime else { return false }
                let aLeads = await a.elector.isLeader
                let bLeads = await b.elector.isLeader
                let leaders = [aLeads ? "a" : nil, bLeads ? "b" : nil].compactMap { $0 }
                #expect(leaders.count == 1)
                #expect(leaders == [spec.holderIdentity ?? ""])
                renewals.insert(renewTime)
                return renewals.count >= 3
            }
            #expect(a.history.count + b.history.count == 1, "nobody lost or regained leadership")
            await a.stop()
            await b.stop()
        }
    }

    @Test func releasedLeaseGoesToTheOtherCandidate() async throws {
        try await withKubeServer { _, client in
            let a = Candidate(client, Self.config("a"))
            try await waitUntil("a leads") { await a.elector.isLeader }
            let b = Candidate(client, Self.config("b"))
            try await waitUntil("b has read the lease") { try await Self.lease(client)?.holderIdentity == "a" }
            await a.stop()
            #expect(a.history == [true, false])
            // Released: nobody holds it, or b already took it — never still a.
            let afterRelease = try #require(try await Self.lease(client))
            #expect(afterRelease.holderIdentity != "a")
            try await waitUntil("b leads") { await b.elector.isLeader }
            let spec = try #require(try await Self.lease(client))
            #expect(spec.holderIdentity == "b")
            #expect(spec.leaseTransitions == 1)
            #expect(spec.leaseDurationSeconds == 3)
            await b.stop()
        }
    }

    @Test func leaderWhoseRenewalsFailStepsDown() async throws {
        try await withKubeServer { server, client in
            let a = Candidate(client, Self.config("a"))
            try await waitUntil("a leads") { await a.elector.isLeader }
            server.failRequests(status: 500, count: nil, pathContaining: "/leases/")
            try await waitUntil("a steps down") { a.history == [true, false] }
            #expect(await !a.elector.isLeader)
            server.clearFailures()
            // Its own record is still in the Lease, so it takes it back at once.
            try await waitUntil("a leads again") { a.history == [true, false, true] }
            #expect(try await Self.lease(client)?.holderIdentity == "a")
            await a.stop()
        }
    }

    @Test func expiredLeaseOfAnotherHolderIsTakenOver() async throws {
        try await withKubeServer { _, client in
            let ghost = Data(#"""
                {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"tollgate","namespace":"default"},
                 "spec":{"holderIdentity":"ghost","leaseDurationSeconds":1,"acquireTime":"2020-01-01T00:00:00.000000Z",
                 "renewTime":"2020-01-01T00:00:00.000000Z","leaseTransitions":4}}
                """#.utf8)
            _ = try await client.create(.lease, namespace: "default", json: ghost)
            let a = Candidate(client, Self.config("a"))
            // The ancient renewTime alone does not count: a waits until it has seen the record
            // unchanged for leaseDurationSeconds by its own clock, then takes over.
            try await waitUntil("a takes over") { await a.elector.isLeader }
            let spec = try #require(try await Self.lease(client))
            #expect(spec.holderIdentity == "a")
            #expect(spec.leaseTransitions == 5)
            #expect(spec.renewTime?.count == "2020-01-01T00:00:00.000000Z".count)
            await a.stop()
        }
    }
}
