import Foundation
import Testing
@testable import TollgateKube

/// The client's wire pieces without a server: paths and queries, selectors, the watch line
/// splitter and event decoding, list pages, status splicing, error codes, backoff.
@Suite struct KubeWireTests {
    static let routes = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute", namespaced: true)
    static let classes = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", plural: "gatewayclasses", kind: "GatewayClass", namespaced: false)

    @Test func pathsEscapeNamesAndQueries() {
        #expect(APIPath.path(.lease, namespace: "kube-system", name: "tollgate") ==
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/tollgate")
        let secrets = ResourceType(group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true)
        #expect(APIPath.path(secrets, namespace: nil) == "/api/v1/secrets")
        #expect(APIPath.path(Self.classes, namespace: "ignored", name: "nginx") ==
            "/apis/gateway.networking.k8s.io/v1/gatewayclasses/nginx")
        #expect(APIPath.path(Self.routes, namespace: "a b", name: "x/../y?z", subresource: "status") ==
            "/apis/gateway.networking.k8s.io/v1/namespaces/a%20b/httproutes/x%2F..%2Fy%3Fz/status")
        #expect(APIPath.path(Self.routes, namespace: "ns", name: "..") ==
            "/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes/%2E%2E")
        #expect(APIPath.query([("labelSelector", "app=web,tier in (a,b)"), ("continue", nil), ("limit", "10")]) ==
            "?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&limit=10")
        #expect(APIPath.query([("continue", nil)]) == "")
    }

    @Test func labelSelectorsRenderAndMatch() {
        let selector = LabelSelector([
            .equals("app", "web"), .notEquals("tier", "db"), .in("env", ["prod", "staging"]),
            .notIn("zone", ["x"]), .exists("owner"), .doesNotExist("legacy"),
        ])
        #expect(selector.description == "app=web,tier!=db,env in (prod,staging),zone notin (x),owner,!legacy")
        #expect(selector.matches(["app": "web", "env": "prod", "owner": "me"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "owner": "me", "legacy": "1"]))
        #expect(!selector.matches(["app": "web", "env": "dev", "owner": "me"]))
        #expect(LabelSelector(matchLabels: ["b": "2", "a": "1"]).description == "a=1,b=2")
    }

    static let addedLine = #"{"type":"ADDED","object":{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r1","namespace":"ns","resourceVersion":"5","uid":"u","generation":2,"labels":{"app":"web"}},"spec":{"x":"a\"}b{"}}}"#

    @Test func lineSplitterHandlesAnyChunking() throws {
        let bookmark = #"{"type":"BOOKMARK","object":{"kind":"HTTPRoute","apiVersion":"gateway.networking.k8s.io/v1","metadata":{"resourceVersion":"9"}}}"#
        let stream = Array((Self.addedLine + "\n" + bookmark + "\r\n\n" + Self.addedLine + "\n").utf8)
        // Every chunk size from 1 byte to the whole stream gives the same three lines.
        for size in [1, 2, 3, 7, 64, 200, stream.count] {
            var splitter = LineSplitter(maximumLineLength: 1 << 20)
            var lines: [Data] = []
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + size)
                lines += try splitter.append(stream[offset..<end])
                offset = end
            }
            #expect(splitter.finish() == nil)
            #expect(lines.count == 3, "chunk size \(size)")
            #expect(lines.map { String(decoding: $0, as: UTF8.self) } == [Self.addedLine, bookmark, Self.addedLine])
        }
    }

    @Test func lineSplitterBoundsTheLine() throws {
        var splitter = LineSplitter(maximumLineLength: 16)
        #expect(try splitter.append(Array("short\n".utf8)).count == 1)
        _ = try splitter.append(Array("0123456789".utf8))
        #expect(throws: LineSplitter.LineTooLong.self) {
            _ = try splitter.append(Array("0123456789".utf8))
        }
        var trailing = LineSplitter()
        _ = try trailing.append(Array("{\"a\":1}".utf8))
        #expect(trailing.finish() == Data("{\"a\":1}".utf8))
    }

    @Test func watchEventsDecodeKeepingTheObjectBytes() throws {
        let event = try WatchEvent.decode(line: Data(Self.addedLine.utf8), of: Self.routes)
        guard case .added(let object) = event else {
            Issue.record("expected ADDED, got \(event)")
            return
        }
        #expect(object.header == KubeObjectHeader(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "ns", name: "r1",
            uid: "u", resourceVersion: "5", generation: 2, labels: ["app": "web"]))
        #expect(object.key.description == "ns/r1")
        #expect(String(decoding: object.json, as: UTF8.self).hasSuffix(#""spec":{"x":"a\"}b{"}}"#))

        let bookmark = try WatchEvent.decode(
            line: Data(#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"77","annotations":{"k8s.io/initial-events-end":"true"}}}}"#.utf8),
            of: Self.routes)
        #expect(bookmark == .bookmark(resourceVersion: "77"))

        let gone = try WatchEvent.decode(
            line: Data(#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (40)","reason":"Expired","code":410}}"#.utf8),
            of: Self.routes)
        #expect(gone == .error(KubeStatus(status: "Failure", reason: "Expired", message: "too old resource version: 1 (40)", code: 410)))
        #expect(KubeError.fromWatchStatus(KubeStatus(reason: "Gone", code: 410), request: "w").code == .expired)

        #expect(throws: KubeError.self) {
            try WatchEvent.decode(line: Data(#"{"type":"ADDED","object":{"metadata":{}}}"#.utf8), of: Self.routes)
        }
        #expect(throws: KubeError.self) {
            try WatchEvent.decode(line: Data(#"{"type":"ADDED""#.utf8), of: Self.routes)
        }
    }

    @Test func listPagesFillKindAndApiVersion() throws {
        let body = #"""
            {"kind":"HTTPRouteList","apiVersion":"gateway.networking.k8s.io/v1",
             "metadata":{"resourceVersion":"42","continue":"tok"},
             "items":[{"metadata":{"name":"a","namespace":"n"},"spec":{}} , {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"b","namespace":"n"}}]}
            """#
        let page = try ListPage(Data(body.utf8), of: Self.routes, request: "GET x")
        #expect(page.resourceVersion == "42")
        #expect(page.continueToken == "tok")
        #expect(page.items.map(\.name) == ["a", "b"])
        let first = try JSONDecoder().decode([String: JSONValue].self, from: page.items[0].json)
        #expect(first["kind"] == .string("HTTPRoute"))
        #expect(first["apiVersion"] == .string("gateway.networking.k8s.io/v1"))
        #expect(first["spec"] == .object([:]))
        #expect(page.items[0].header.kind == "HTTPRoute")

        let empty = try ListPage(Data(#"{"metadata":{"resourceVersion":"7"},"items":null}"#.utf8), of: Self.routes, request: "GET x")
        #expect(empty.items.isEmpty)
        #expect(empty.continueToken == nil)
    }

    @Test func statusSplicingComparesByValue() throws {
        let object = try KubeObject(json: Data(#"{"kind":"HTTPRoute","metadata":{"name":"r","resourceVersion":"3"},"spec":{"a":1},"status":{"parents":[{"x":true,"n":1.5}]}}"#.utf8))
        #expect(try KubeClient.replacingStatus(of: object, with: Data(#"{ "parents" : [ {"n":1.5, "x":true} ] }"#.utf8)) == nil)
        let replaced = try #require(try KubeClient.replacingStatus(of: object, with: Data(#"{"parents":[]}"#.utf8)))
        let value = try JSONValue.parse(replaced)
        #expect(value["status"] == .object(["parents": .array([])]))
        #expect(value["metadata"]?["resourceVersion"] == .string("3"))
        #expect(value["spec"] == .object(["a": .int(1)]))
    }

    @Test func errorCodesFollowStatusAndReason() {
        #expect(KubeError.code(httpStatus: 409, reason: "AlreadyExists") == .alreadyExists)
        #expect(KubeError.code(httpStatus: 409, reason: "Conflict") == .conflict)
        #expect(KubeError.code(httpStatus: 410, reason: "Expired") == .expired)
        #expect(KubeError.code(httpStatus: 404, reason: nil) == .notFound)
        #expect(KubeError.code(httpStatus: 429, reason: "TooManyRequests") == .tooManyRequests)
        #expect(KubeError.code(httpStatus: 503, reason: "ServiceUnavailable") == .serverError)
        #expect(KubeError.code(httpStatus: 504, reason: "Timeout") == .timeout)
        let status = KubeStatus.decode(Data(#"{"kind":"Status","status":"Failure","message":"leases.coordination.k8s.io \"x\" not found","reason":"NotFound","code":404}"#.utf8))
        let error = KubeError.fromResponse(httpStatus: 404, status: status, request: "GET /x")
        #expect(error.code == .notFound)
        #expect(error.description == #"Kubernetes API GET /x: HTTP 404 NotFound: leases.coordination.k8s.io "x" not found"#)
        #expect(KubeStatus.decode(Data("<html>".utf8)) == nil)
    }

    /// A deterministic generator so jitter is reproducible.
    struct Counter: RandomNumberGenerator {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func backoffGrowsJittersCapsAndResets() {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(30), jitter: 0.5, resetAfter: .seconds(60))
        var random = Counter()
        let start = ContinuousClock.now
        var waits: [Duration] = []
        for step in 0..<12 {
            waits.append(backoff.next(now: start + .seconds(step), using: &random))
        }
        for (step, wait) in waits.enumerated() {
            let base = min(Duration.milliseconds(200) * (1 << step), .seconds(30))
            #expect(wait >= base && wait <= min(base * 1.5, .seconds(30)), "step \(step): \(wait)")
        }
        #expect(waits.last == .seconds(30))
        // A quiet minute later it starts over; reset() does too.
        let later = backoff.next(now: start + .seconds(200), using: &random)
        #expect(later < .milliseconds(301))
        _ = backoff.next(now: start + .seconds(201), using: &random)
        backoff.reset()
        #expect(backoff.next(now: start + .seconds(202), using: &random) < .milliseconds(301))
    }
}
