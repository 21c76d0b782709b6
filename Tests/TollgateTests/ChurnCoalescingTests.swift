import Foundation
import Testing
@testable import TollgateControlPlane
import TollgateModel

/// Churn (issue 9, target 9): a burst of edits becomes very few versions, while an isolated edit
/// is still signalled at once. The debounce is tested on a virtual clock (event times in, signal
/// times out); the process test writes a burst into a watched directory.
@Suite struct ChurnCoalescingTests {
    static func ms(_ n: Int) -> Duration { .milliseconds(n) }
    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Feeds events at `times` (milliseconds) to a debounce, advancing a virtual clock to every
    /// event and deadline in order; returns the signal times in milliseconds.
    static func signals(_ times: [Int], timing: FileEventsDebounce.Timing = .init()) -> [Int] {
        var d = FileEventsDebounce(timing: timing)
        var out: [Int] = []
        var events = times.sorted()[...]
        while true {
            let nextEvent = events.first.map { ms($0) }
            // The reader thread wakes at the earlier of the next event and the deadline.
            if let deadline = d.deadline, nextEvent.map({ deadline <= $0 }) ?? true {
                let fired = d.signal(at: deadline)
                #expect(fired)
                out.append(milliseconds(deadline))
                continue
            }
            guard let t = nextEvent else { return out }
            events = events.dropFirst()
            d.event(at: t)
            // After each read the reader asks again (a deadline may equal the event time).
            if d.signal(at: t) { out.append(milliseconds(t)) }
        }
    }

    @Test("one edit after a quiet period is signalled after the quiet window, not later")
    func isolatedEdit() {
        // An editor's save: a few events within 2 ms.
        #expect(Self.signals([5000, 5001, 5002]) == [5032])
    }

    @Test("edits one after another, each waiting for the previous to be served, are not throttled")
    func sequentialEdits() {
        // Each edit ~400 ms after the previous signal (edit → served takes at least a reload).
        #expect(Self.signals([0, 430, 860, 1290]) == [30, 460, 890, 1320])
    }

    @Test("200 edits in 2 s are at most three signals, the last after the last edit")
    func twoHundredEditsInTwoSeconds() {
        let edits = (0..<200).map { $0 * 10 }
        let out = Self.signals(edits)
        #expect(out == [200, 1200, 2200], "\(out)")
        #expect(out.last! > edits.last!)
    }

    @Test("100 edits 50 ms apart: a leading signal, one per second, one at the end")
    func editsFiftyMillisecondsApart() {
        let edits = (0..<100).map { $0 * 50 }
        let out = Self.signals(edits)
        #expect(out == [30, 1030, 2030, 3030, 4030, 5030], "\(out)")
    }

    @Test("a burst that stops just after a throttled signal still gets its trailing signal")
    func trailingEdgeAfterThrottledSignal() {
        // Continuous edits up to 1205 ms: signals at 200 (cap), 1200 (interval) and 2200 for the
        // edit at 1205 that came after the 1200 signal.
        let edits = (0...120).map { $0 * 10 } + [1205]
        #expect(Self.signals(edits) == [200, 1200, 2200])
    }

    @Test("after a burst ends and the roots are quiet, the next edit is signalled at once again")
    func quietAfterBurstResets() {
        let burst = (0..<50).map { $0 * 10 }    // 0…490 ms
        let out = Self.signals(burst + [5000])
        #expect(out == [200, 1200, 5030], "\(out)")
    }

    @Test("the deadline is nil with nothing pending and never signals without an event")
    func nothingPending() {
        var d = FileEventsDebounce()
        #expect(d.deadline == nil)
        let early = d.signal(at: .seconds(100))
        d.event(at: .seconds(1))
        let beforeQuiet = d.signal(at: .seconds(1) + .milliseconds(29))
        let afterQuiet = d.signal(at: .seconds(1) + .milliseconds(30))
        let again = d.signal(at: .seconds(5))
        #expect(!early && !beforeQuiet && afterQuiet && !again)
    }

    /// A burst of 50 edits, 10 ms apart, into a watched directory: few deliveries, and the last
    /// one holds the final content.
    @Test("a burst of 50 edits into a watched directory is at most 3 updates, the last with the final content")
    func burstThroughWatcher() async throws {
        let dir = try Processes.temporaryDirectory("churn-burst")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.yaml")
        try FileEventsTests.route("a", host: "h0.example").write(to: file, atomically: true, encoding: .utf8)
        let w = FileEventsTests.Watching([dir.path])
        try await w.until("first load") { $0.host("a") == "h0.example" }
        let before = w.count
        for i in 1...50 {
            try FileEventsTests.route("a", host: "h\(i).example").write(to: file, atomically: true, encoding: .utf8)
            usleep(10_000)
        }
        try await w.until("the last edit") { $0.host("a") == "h50.example" }
        // A trailing signal would come within the throttle interval; wait past it.
        try await Task.sleep(for: .milliseconds(1500))
        let deliveries = w.count - before
        #expect(deliveries >= 1 && deliveries <= 3, "deliveries for 50 edits: \(deliveries)")
        #expect(w.host("a") == "h50.example")
    }

    /// `tollgate standalone` with one Gateway (HTTP on 18851) and a route whose path is the edit
    /// number; the backend does not exist (a matched path answers 502, an unmatched one 404).
    /// 100 edits, 10 ms apart (a second or so): without the burst throttle, the 200 ms cap alone
    /// made one version per 200 ms (5 or more here).
    @Test("100 edits in about a second through standalone: at most 3 new versions, the last one applied, served and current in status")
    func burstThroughStandalone() throws {
        let dir = try Processes.temporaryDirectory("churn-standalone")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifests = dir.appendingPathComponent("manifests"), state = dir.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        try Self.base.write(to: manifests.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        let routeFile = manifests.appendingPathComponent("churn.yaml")
        try Self.route(0).write(to: routeFile, atomically: true, encoding: .utf8)
        let process = try TollgateProcess(["standalone", "--manifests", manifests.path, "--state-dir", state.path],
                                          log: dir.appendingPathComponent("standalone.log"))
        defer { process.stop() }
        func status(_ path: String) -> String { (try? Curl.get("http://churn.example:18851\(path)", resolve: "churn.example:18851:127.0.0.1").status) ?? "" }
        func versions() throws -> [(version: Int, applied: Bool)] {
            try tollgate(["snapshots", "list", "--gateway", "churn/gw", "--state-dir", state.path]).stdout
                .split(separator: "\n").compactMap { line in
                    // GATEWAY VERSION DIGEST CREATED TRIGGER AGENTS
                    let fields = line.split(separator: " ")
                    guard fields.count > 1, let v = Int(fields[1]) else { return nil }
                    return (v, line.contains("applied"))
                }
        }
        try eventually("the first version served", timeout: 60) { status("/v0") == "502" }
        let before = try versions()
        for i in 1...100 {
            try Self.route(i).write(to: routeFile, atomically: true, encoding: .utf8)
            usleep(10_000)
        }
        try eventually("the last edit served") { status("/v100") == "502" }
        // The newest version is applied, and nothing newer comes (a trailing version would be
        // published within a second of the last edit).
        try eventually("the newest version applied") { try versions().last?.applied == true }
        sleep(2)
        let after = try versions()
        let new = after.count - before.count
        #expect(new >= 1 && new <= 3, "versions for 100 edits: \(new)")
        #expect(after.last?.applied == true)
        #expect(status("/v99") == "404")
        let live = state.appendingPathComponent("gateways/churn__gw/current").resolvingSymlinksInPath()
        let tree = try FileManager.default.subpathsOfDirectory(atPath: live.path).compactMap {
            Fixtures.read(live.appendingPathComponent($0))
        }.joined()
        #expect(tree.contains("/v100") && !tree.contains("/v99"))
        // The route's status is about its current generation.
        let json = try tollgate(["status", "--state-dir", state.path, "-o", "json"]).stdout
        let docs = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]) ?? []
        let route = docs.first { ($0["kind"] as? String) == "HTTPRoute" }
        let generation = (route?["metadata"] as? [String: Any])?["generation"] as? Int
        let conditions = (((route?["status"] as? [String: Any])?["parents"] as? [[String: Any]])?.first?["conditions"] as? [[String: Any]]) ?? []
        let accepted = conditions.first { $0["type"] as? String == "Accepted" }
        #expect(generation != nil && accepted?["observedGeneration"] as? Int == generation && accepted?["status"] as? String == "True")
    }

    static let base = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: churn}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: tollgate}
        spec: {controllerName: tollgate.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: churn}
        spec:
          gatewayClassName: tollgate
          listeners:
          - {name: http, port: 18851, protocol: HTTP}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nowhere, namespace: churn}
        spec:
          ports: [{name: http, port: 80, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: nowhere
          namespace: churn
          labels: {kubernetes.io/service-name: nowhere}
        addressType: IPv4
        ports: [{name: http, port: 18859, protocol: TCP}]
        endpoints:
        - addresses: ["127.0.0.1"]
          conditions: {ready: true}

        """

    static func route(_ n: Int) -> String {
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: churn, namespace: churn}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [churn.example]
          rules:
          - matches: [{path: {type: Exact, value: /v\(n)}}]
            backendRefs: [{name: nowhere, port: 80}]

        """
    }
}
