import Foundation
import KubeAPIServerDouble
import Testing

/// The in-test API server, driven by the real kubectl and by curl as a raw HTTPS client, so its
/// wire behaviour is checked by clients that were not written against it.
@Suite struct KubeAPIServerDoubleTests {
    // MARK: kubectl

    @Test("kubectl apply creates a multi-document manifest; a second apply patches only what changed")
    func kubectlApply() async throws {
        try await withDouble { h in
            let first = try h.kubectl(["apply", "-f", try h.write("app.yaml", DoubleManifests.app)])
            #expect(first.status == 0, "\(first.stderr)")
            for line in ["namespace/demo created", "gatewayclass.gateway.networking.k8s.io/nginx created",
                         "gateway.gateway.networking.k8s.io/gateway created", "httproute.gateway.networking.k8s.io/secure-app created",
                         "secret/backend-cert created", "service/secure-app created"] {
                #expect(first.stdout.contains(line), "\(first.stdout)")
            }
            let created = try #require(h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "demo", name: "gateway"))
            #expect(created[path: ["metadata", "generation"]] == 1)

            let second = try h.kubectl(["apply", "-f", try h.write("app2.yaml", DoubleManifests.appWithSecondListener)])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("gateway.gateway.networking.k8s.io/gateway configured"), "\(second.stdout)")
            for unchanged in ["namespace/demo", "gatewayclass.gateway.networking.k8s.io/nginx", "httproute.gateway.networking.k8s.io/secure-app",
                              "secret/backend-cert", "service/secure-app"] {
                #expect(second.stdout.contains("\(unchanged) unchanged"), "\(second.stdout)")
            }

            let get = try h.kubectl(["get", "gateway", "gateway", "-n", "demo", "-o", "json"])
            #expect(get.status == 0, "\(get.stderr)")
            let gateway = try JSONValue(parsing: get.stdout)
            #expect(gateway["kind"] == "Gateway")
            #expect(gateway["apiVersion"] == "gateway.networking.k8s.io/v1")
            #expect(gateway[path: ["metadata", "generation"]] == 2)
            #expect(gateway[path: ["metadata", "uid"]] == created[path: ["metadata", "uid"]])
            #expect(gateway[path: ["metadata", "creationTimestamp"]]?.stringValue?.hasSuffix("Z") == true)
            #expect(Int(gateway[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0 > Int(created[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? .max)
            #expect(gateway[path: ["spec", "listeners"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["http", "http-8080"])
            #expect(gateway[path: ["spec", "gatewayClassName"]] == "nginx")

            let secret = try JSONValue(parsing: try h.kubectl(["get", "secret", "backend-cert", "-n", "demo", "-o", "json"]).stdout)
            #expect(secret[path: ["data", "ca.crt"]] == .string(Data("not a real certificate".utf8).base64EncodedString()))
        }
    }

    @Test("kubectl describe shows the status written through PUT /status; kubectl get of a missing object prints the server's NotFound")
    func kubectlDescribe() async throws {
        try await withDouble { h in
            #expect(try h.kubectl(["apply", "-f", try h.write("app.yaml", DoubleManifests.app)]).status == 0)
            var gateway = try #require(h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "demo", name: "gateway"))
            gateway["status"] = DoubleManifests.programmedStatus(generation: 1)
            let put = try h.curl("PUT", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/gateways/gateway/status", gateway)
            #expect(put.status == 200)

            let describe = try h.kubectl(["describe", "gateway", "gateway", "-n", "demo"])
            #expect(describe.status == 0, "\(describe.stderr)")
            let text = describe.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            #expect(text.contains("Name: gateway"))
            #expect(text.contains("Status:"))
            #expect(text.contains("Type: Accepted") && text.contains("Type: Programmed"), "\(describe.stdout)")
            #expect(text.contains("Message: The Gateway is programmed"))
            #expect(text.contains("Observed Generation: 1"))

            let missing = try h.kubectl(["get", "gateway", "nope", "-n", "demo"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains(#"Error from server (NotFound): gateways.gateway.networking.k8s.io "nope" not found"#), "\(missing.stderr)")
            let exists = try h.kubectl(["create", "-f", try h.write("gc.yaml", DoubleManifests.gatewayClass)])
            #expect(exists.stderr.contains(#"Error from server (AlreadyExists): error when creating"#), "\(exists.stderr)")

            // kubectl's typed shortcuts send protobuf bodies.
            #expect(try h.kubectl(["create", "namespace", "shortcuts"]).status == 0)
            let created = try h.kubectl(["create", "secret", "generic", "creds", "-n", "shortcuts", "--from-literal=user=admin"])
            #expect(created.status == 0, "\(created.stderr)")
            let secret = try #require(h.double.get(apiVersion: "v1", kind: "Secret", namespace: "shortcuts", name: "creds"))
            #expect(secret["data"] == ["user": .string(Data("admin".utf8).base64EncodedString())])
            #expect(secret["type"] == "Opaque")
        }
    }

    @Test("kubectl get -w streams ADDED then MODIFIED; kubectl delete -f removes everything (the namespace after Terminating)")
    func kubectlWatchAndDelete() async throws {
        try await withDouble { h in
            let manifest = try h.write("app.yaml", DoubleManifests.app)
            #expect(try h.kubectl(["apply", "-f", manifest]).status == 0)
            let watch = try h.kubectlStream(["get", "gateways", "-n", "demo", "-w", "--output-watch-events", "-o", "json"])
            defer { watch.stop() }
            let added = try await watch.waitForEvents { $0.count >= 1 }
            #expect(added[0]["type"] == "ADDED")
            #expect(added[0][path: ["object", "metadata", "name"]] == "gateway")

            var gateway = try #require(h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "demo", name: "gateway"))
            gateway["status"] = DoubleManifests.programmedStatus(generation: 1)
            try h.double.updateStatus(gateway)
            let events = try await watch.waitForEvents { $0.count >= 2 }
            #expect(events[1]["type"] == "MODIFIED")
            #expect(events[1][path: ["object", "status", "conditions"]]?.arrayValue?.count == 2)

            let delete = try h.kubectl(["delete", "-f", manifest])
            #expect(delete.status == 0, "\(delete.stderr)")
            #expect(delete.stdout.contains(#"namespace "demo" deleted"#) && delete.stdout.contains(#"gateway.gateway.networking.k8s.io "gateway" deleted"#), "\(delete.stdout)")
            let deleted = try await watch.waitForEvents { $0.count >= 3 }
            #expect(deleted[2]["type"] == "DELETED")
            #expect(h.double.get(apiVersion: "v1", kind: "Namespace", name: "demo") == nil)
            #expect(try h.double.list(apiVersion: "v1", kind: "Secret", namespace: "demo").isEmpty)
            #expect(h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", name: "nginx") == nil)
        }
    }

    @Test("kubectl discovers through aggregated discovery and prints server-side tables with the CRDs' printer columns")
    func kubectlTablesAndAggregatedDiscovery() async throws {
        try await withDouble { h in
            #expect(try h.kubectl(["apply", "-f", try h.write("app.yaml", DoubleManifests.app)]).status == 0)
            let paths = h.double.requestLog.map(\.path)
            #expect(paths.contains("/api") && paths.contains("/apis"))
            #expect(!paths.contains("/api/v1") && !paths.contains("/apis/gateway.networking.k8s.io/v1"),
                    "aggregated discovery needs no per-group-version requests: \(paths)")

            let pending = try h.kubectl(["get", "gateways", "-n", "demo"])
            let rows = pending.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(rows.first == ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"], "\(pending.stdout)\(pending.stderr)")
            #expect(rows.dropFirst().first?.prefix(3) == ["gateway", "nginx", "Unknown"], "\(pending.stdout)")

            var gateway = try #require(h.double.get(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "demo", name: "gateway"))
            gateway["status"] = ["addresses": [["type": "IPAddress", "value": "10.0.0.7"]], "conditions": DoubleManifests.programmedStatus(generation: 1)["conditions"]!]
            try h.double.updateStatus(gateway)
            let programmed = try h.kubectl(["get", "gateway", "gateway", "-n", "demo", "--no-headers"])
            #expect(programmed.stdout.split(separator: " ").prefix(4) == ["gateway", "nginx", "10.0.0.7", "True"], "\(programmed.stdout)")

            let services = try h.kubectl(["get", "services", "-n", "demo", "-o", "wide", "--no-headers"])
            let serviceRow = services.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
            #expect(serviceRow.prefix(5) == ["secure-app", "ClusterIP", "<none>", "<none>", "8443/TCP"], "\(services.stdout)")
            #expect(serviceRow.last == "app=secure-app", "-o wide adds the selector column")
            let routes = try h.kubectl(["get", "httproutes", "-A"])
            #expect(routes.stdout.contains(#"["secure-app.example.com"]"#), "\(routes.stdout)")

            let metadata = try h.curl("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/gateways",
                                      accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")
            #expect(metadata.body?["kind"] == "PartialObjectMetadataList")
            #expect(metadata.body?["items"]?.arrayValue?.first?[path: ["metadata", "name"]] == "gateway")
            #expect(metadata.body?["items"]?.arrayValue?.first?["spec"] == nil)
            let protobufOnly = try h.curl("GET", "/api/v1/namespaces", accept: "application/vnd.kubernetes.protobuf")
            #expect(protobufOnly.status == 406)
        }
    }

    @Test("kubectl with a wrong token is refused; without the token every request is 401")
    func unauthorized() async throws {
        try await withDouble { h in
            let wrong = h.dir.appendingPathComponent("wrong.kubeconfig").path
            try h.double.writeKubeconfig(to: wrong, token: "not-the-token")
            let out = try Processes.run("kubectl", ["--kubeconfig", wrong, "--cache-dir", h.dir.appendingPathComponent("cache2").path,
                                                    "--request-timeout=10s", "get", "gateways"])
            #expect(out.status != 0)
            #expect(out.stderr.contains("You must be logged in to the server"), "\(out.stderr)")
            for token in [nil, "nope"] as [String?] {
                let r = try h.curl("GET", "/api/v1/namespaces", token: .some(token))
                #expect(r.status == 401)
                #expect(r.body?["reason"] == "Unauthorized")
                #expect(r.body?["kind"] == "Status")
            }
            #expect(try h.curl("GET", "/version", token: .some(nil)).status == 401)
        }
    }

    // MARK: Wire semantics

    @Test("optimistic concurrency: a stale resourceVersion is 409 Conflict for PUT and PUT /status")
    func staleResourceVersion() async throws {
        try await withDouble { h in
            let v1 = try h.double.create(DoubleManifests.gateway(namespace: "default"))
            var fresh = v1
            fresh["spec"]?["gatewayClassName"] = "other"
            let ok = try h.curl("PUT", "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway", fresh)
            #expect(ok.status == 200)

            var stale = v1
            stale["spec"]?["gatewayClassName"] = "third"
            let conflict = try h.curl("PUT", "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway", stale)
            #expect(conflict.status == 409)
            #expect(conflict.body?["reason"] == "Conflict")
            #expect(conflict.body?["message"] == #"Operation cannot be fulfilled on gateways.gateway.networking.k8s.io "gateway": the object has been modified; please apply your changes to the latest version and try again"#)
            #expect(conflict.body?[path: ["details", "kind"]] == "gateways")

            stale["status"] = DoubleManifests.programmedStatus(generation: 1)
            let statusConflict = try h.curl("PUT", "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway/status", stale)
            #expect(statusConflict.status == 409)
            #expect(statusConflict.body?["reason"] == "Conflict")

            var unconditional = v1
            unconditional.removeResourceVersion()
            let invalid = try h.curl("PUT", "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway", unconditional)
            #expect(invalid.status == 422, "custom resources need a resourceVersion on update")

            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "namespace": "default"]])
            let builtIn = try h.curl("PUT", "/api/v1/namespaces/default/configmaps/c", ["metadata": ["name": "c"], "data": ["k": "v"]])
            #expect(builtIn.status == 200, "built-in kinds allow unconditional updates")
        }
    }

    @Test("a status write changes only status; a spec write changes only spec; generation follows spec alone")
    func statusAndSpecAreSeparate() async throws {
        try await withDouble { h in
            let path = "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway"
            var withStatus = DoubleManifests.gateway(namespace: "default")
            withStatus["status"] = DoubleManifests.programmedStatus(generation: 1)
            let created = try h.double.create(withStatus)
            let pending = created[path: ["status", "conditions"]]?.arrayValue ?? []
            #expect(pending.map { $0["type"] } == ["Accepted", "Programmed"], "create drops status; the CRD default is read back")
            #expect(pending.allSatisfy { $0["status"] == "Unknown" && $0["reason"] == "Pending" && $0["lastTransitionTime"] == "1970-01-01T00:00:00Z" })

            var statusWrite = created
            statusWrite["status"] = DoubleManifests.programmedStatus(generation: 1)
            statusWrite["spec"]?["gatewayClassName"] = "ignored"
            statusWrite.setLabel("ignored", "yes")
            let afterStatus = try #require(try h.curl("PUT", path + "/status", statusWrite).body)
            #expect(afterStatus[path: ["spec", "gatewayClassName"]] == "nginx")
            #expect(afterStatus[path: ["metadata", "labels"]] == nil)
            #expect(afterStatus[path: ["metadata", "generation"]] == 1)
            #expect(afterStatus[path: ["status", "conditions"]]?.arrayValue?.count == 2)

            var specWrite = afterStatus
            specWrite["spec"]?["gatewayClassName"] = "nginx-2"
            specWrite["status"] = ["conditions": []]
            let afterSpec = try #require(try h.curl("PUT", path, specWrite).body)
            #expect(afterSpec[path: ["spec", "gatewayClassName"]] == "nginx-2")
            #expect(afterSpec[path: ["status", "conditions"]]?.arrayValue?.count == 2, "PUT ignores status")
            #expect(afterSpec[path: ["metadata", "generation"]] == 2)

            var labelWrite = afterSpec
            labelWrite.setLabel("team", "edge")
            let afterLabel = try #require(try h.curl("PUT", path, labelWrite).body)
            #expect(afterLabel[path: ["metadata", "labels", "team"]] == "edge")
            #expect(afterLabel[path: ["metadata", "generation"]] == 2, "metadata changes do not bump generation")

            let rv = afterLabel[path: ["metadata", "resourceVersion"]]
            let same = try #require(try h.curl("PUT", path, afterLabel).body)
            #expect(same[path: ["metadata", "resourceVersion"]] == rv, "a write that changes nothing is not a new revision")

            let secret = try h.double.create(["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"], "stringData": ["k": "v"]])
            #expect(secret[path: ["data", "k"]] == "dg==")
            #expect(secret["type"] == "Opaque")
            #expect(secret[path: ["metadata", "generation"]] == nil, "Secrets keep no generation")
            var slice = try h.double.create(["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                                             "metadata": ["name": "web-abc", "namespace": "default", "labels": ["kubernetes.io/service-name": "web"]],
                                             "endpoints": [["addresses": ["10.0.0.1"]]], "ports": [["port": 8080]]])
            #expect(slice[path: ["metadata", "generation"]] == 1)
            slice["endpoints"] = [["addresses": ["10.0.0.2"]]]
            #expect(try h.double.update(slice)[path: ["metadata", "generation"]] == 2, "EndpointSlices track their endpoints")
        }
    }

    @Test("list paging with limit and continue returns every object exactly once, from one snapshot; an old continue token expires")
    func paging() async throws {
        try await withDouble { h in
            for n in 0..<7 {
                try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("cm-\(n)"), "namespace": "default"]])
            }
            try h.double.create(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "other"]])
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm-x", "namespace": "other"]])

            var names: [String] = []
            var token: String?
            var pages = 0
            var firstRevision: JSONValue?
            repeat {
                let query = "limit=3" + (token.map { "&continue=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "")
                let page = try #require(try h.curl("GET", "/api/v1/namespaces/default/configmaps?\(query)").body)
                #expect(page["kind"] == "ConfigMapList")
                names += page["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } ?? []
                token = page[path: ["metadata", "continue"]]?.stringValue
                if pages == 0 {
                    firstRevision = page[path: ["metadata", "resourceVersion"]]
                    #expect(page[path: ["metadata", "remainingItemCount"]] == 4)
                    // Changes after the first page are not part of this list.
                    try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm-late", "namespace": "default"]])
                    try h.double.delete(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "cm-6")
                } else {
                    #expect(page[path: ["metadata", "resourceVersion"]] == firstRevision)
                }
                pages += 1
            } while token != nil && pages < 10
            #expect(names == (0..<7).map { "cm-\($0)" })
            #expect(pages == 3)

            let all = try #require(try h.curl("GET", "/api/v1/configmaps").body)
            #expect(all["items"]?.arrayValue?.count == 8, "across namespaces: cm-0...5, cm-late, other/cm-x")

            let first = try #require(try h.curl("GET", "/api/v1/namespaces/default/configmaps?limit=2").body)
            let stale = try #require(first[path: ["metadata", "continue"]]?.stringValue)
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm-after", "namespace": "default"]])
            h.double.compact()
            let expired = try h.curl("GET", "/api/v1/namespaces/default/configmaps?limit=2&continue=\(stale.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(expired.status == 410)
            #expect(expired.body?["reason"] == "Expired")
        }
    }

    @Test("label selectors (=, !=, in, notin, exists, !key) and field selectors filter lists")
    func selectors() async throws {
        try await withDouble { h in
            let labels: [String: [String: String]] = [
                "a": ["app": "web", "tier": "front"], "b": ["app": "web", "tier": "back"], "c": ["app": "db"], "d": [:],
            ]
            for (name, l) in labels {
                try h.double.create(["apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": ["name": .string(name), "namespace": "default", "labels": .object(l.mapValues { .string($0) })]])
            }
            func names(_ query: String) throws -> [String] {
                let escaped = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "=&")))!
                let r = try h.curl("GET", "/api/v1/namespaces/default/configmaps?\(escaped)")
                #expect(r.status == 200, "\(query): \(String(describing: r.body))")
                return (r.body?["items"]?.arrayValue ?? []).compactMap { $0[path: ["metadata", "name"]]?.stringValue }
            }
            #expect(try names("labelSelector=app=web") == ["a", "b"])
            #expect(try names("labelSelector=app==web,tier=back") == ["b"])
            #expect(try names("labelSelector=app!=web") == ["c", "d"])
            #expect(try names("labelSelector=tier in (front,middle)") == ["a"])
            #expect(try names("labelSelector=app notin (web)") == ["c", "d"])
            #expect(try names("labelSelector=tier") == ["a", "b"])
            #expect(try names("labelSelector=!tier") == ["c", "d"])
            #expect(try names("fieldSelector=metadata.name=c") == ["c"])
            #expect(try names("fieldSelector=metadata.name!=c,metadata.namespace=default&labelSelector=app") == ["a", "b"])
            let unsupported = try h.curl("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=spec.x%3Dy")
            #expect(unsupported.status == 400)
            #expect(unsupported.body?["message"] == "field label not supported: spec.x")
            let bad = try h.curl("GET", "/api/v1/namespaces/default/configmaps?labelSelector=app%20in%20web")
            #expect(bad.status == 400)
        }
    }

    @Test("a watch from a resourceVersion older than the compacted history gets an ERROR event with 410 Expired, then the stream ends")
    func watchExpired() async throws {
        try await withDouble { h in
            let created = try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default"]])
            let old = try #require(created[path: ["metadata", "resourceVersion"]]?.stringValue)
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "b", "namespace": "default"]])

            // Before compaction the history after `old` is replayed.
            let replay = try h.stream("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(old)")
            let replayed = try await replay.waitForEvents { $0.count >= 1 }
            #expect(replayed[0]["type"] == "ADDED")
            #expect(replayed[0][path: ["object", "metadata", "name"]] == "b")
            replay.stop()

            h.double.compact()
            let expired = try h.stream("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(old)")
            defer { expired.stop() }
            let events = try await expired.waitForEvents { $0.count >= 1 }
            #expect(events[0]["type"] == "ERROR")
            #expect(events[0][path: ["object", "code"]] == 410)
            #expect(events[0][path: ["object", "reason"]] == "Expired")
            #expect(try await expired.waitForExit() == 0, "the server ends the stream after the ERROR")

            // From the current revision, or "0" (synthetic ADDED of the current state), watching works.
            let fromZero = try h.stream("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0")
            defer { fromZero.stop() }
            let current = try await fromZero.waitForEvents { $0.count >= 2 }
            #expect(current.map { $0["type"] } == ["ADDED", "ADDED"])
        }
    }

    @Test("allowWatchBookmarks brings BOOKMARK events with a resourceVersion; timeoutSeconds ends the stream; selectors filter the watch")
    func bookmarksAndTimeout() async throws {
        try await withDouble(bookmarkInterval: .milliseconds(200)) { h in
            let start = h.double.resourceVersion
            let watch = try h.stream("/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=2&labelSelector=app%3Dweb&resourceVersion=\(start)")
            defer { watch.stop() }
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "other", "namespace": "default"]])
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"]]])
            let events = try await watch.waitForEvents { events in events.contains { $0["type"] == "BOOKMARK" } && events.contains { $0["type"] == "ADDED" } }
            #expect(events.filter { $0["type"] == "ADDED" }.compactMap { $0[path: ["object", "metadata", "name"]] } == ["web"])
            let bookmark = try #require(events.first { $0["type"] == "BOOKMARK" })
            #expect(bookmark[path: ["object", "kind"]] == "ConfigMap")
            #expect(Int(bookmark[path: ["object", "metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0 >= start)
            #expect(try await watch.waitForExit() == 0, "timeoutSeconds=2 ends the stream cleanly")
        }
    }

    @Test("a selector watch sees an object that stops matching as DELETED and one that starts matching as ADDED; sendInitialEvents ends with the initial-events-end bookmark")
    func selectorWatchTransitions() async throws {
        try await withDouble { h in
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default", "labels": ["app": "web"]]])
            let initial = try h.stream("/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=app%3Dweb")
            defer { initial.stop() }
            let first = try await initial.waitForEvents { $0.count >= 2 }
            #expect(first[0]["type"] == "ADDED")
            #expect(first[1]["type"] == "BOOKMARK")
            #expect(first[1][path: ["object", "metadata", "annotations", "k8s.io/initial-events-end"]] == "true")

            var a = try #require(h.double.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "a"))
            a["metadata"]?["labels"] = ["app": "db"]
            a = try h.double.update(a)
            a["metadata"]?["labels"] = ["app": "web"]
            try h.double.update(a)
            let events = try await initial.waitForEvents { $0.filter { $0["type"] != "BOOKMARK" }.count >= 3 }.filter { $0["type"] != "BOOKMARK" }
            #expect(events.map { $0["type"] } == ["ADDED", "DELETED", "ADDED"])
        }
    }

    @Test("a list at an exact older resourceVersion shows that state; deletecollection removes what the selector matches; a Terminating namespace refuses new objects")
    func exactListsAndCollections() async throws {
        try await withDouble { h in
            let a = try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default", "labels": ["x": "1"]]])
            let rv = try #require(a[path: ["metadata", "resourceVersion"]]?.stringValue)
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "b", "namespace": "default", "labels": ["x": "1"]]])
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "namespace": "default"]])
            let old = try #require(try h.curl("GET", "/api/v1/namespaces/default/configmaps?resourceVersion=\(rv)&resourceVersionMatch=Exact").body)
            #expect(old["items"]?.arrayValue?.count == 1)
            #expect(old[path: ["metadata", "resourceVersion"]] == .string(rv))
            #expect(try h.curl("GET", "/api/v1/namespaces/default/configmaps?resourceVersion=999999").status == 504, "a resourceVersion from the future")

            let deleted = try h.curl("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=x%3D1")
            #expect(deleted.status == 200)
            #expect(try h.double.list(apiVersion: "v1", kind: "ConfigMap", namespace: "default").compactMap { $0[path: ["metadata", "name"]] } == ["c"])
            h.double.compact()
            #expect(try h.curl("GET", "/api/v1/namespaces/default/configmaps?resourceVersion=\(rv)&resourceVersionMatch=Exact").status == 410)

            try h.double.create(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "doomed"]])
            try h.double.delete(apiVersion: "v1", kind: "Namespace", name: "doomed")
            let terminating = try #require(h.double.get(apiVersion: "v1", kind: "Namespace", name: "doomed"))
            #expect(terminating[path: ["status", "phase"]] == "Terminating")
            let refused = #expect(throws: APIError.self) {
                try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "late", "namespace": "doomed"]])
            }
            #expect(refused?.code == 403 && refused?.reason == "Forbidden")
        }
    }

    @Test("concurrent writers: every watcher sees every change exactly once, in resourceVersion order")
    func concurrentWritersAndWatchers() async throws {
        try await withDouble { h in
            let from = h.double.resourceVersion
            let watchers = try (0..<3).map { _ in try h.stream("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(from)") }
            defer { watchers.forEach { $0.stop() } }
            let double = h.double
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for n in 0..<25 {
                            let name = JSONValue.string("w\(writer)-\(n)")
                            try double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": name, "namespace": "default"]])
                            if n % 5 == 0 { try double.delete(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "w\(writer)-\(n)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let expected = h.double.resourceVersion - from
            #expect(expected == 120)
            for watcher in watchers {
                let events = try await watcher.waitForEvents { $0.count >= expected }
                let versions = events.compactMap { Int($0[path: ["object", "metadata", "resourceVersion"]]?.stringValue ?? "") }
                #expect(versions == Array((from + 1)...(from + expected)))
            }
        }
    }

    @Test("dropWatches ends open streams cleanly; a re-watch from the last resourceVersion misses nothing")
    func dropWatches() async throws {
        try await withDouble { h in
            let watch = try h.stream("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(h.double.resourceVersion)")
            defer { watch.stop() }
            let a = try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default"]])
            _ = try await watch.waitForEvents { $0.count >= 1 }
            h.double.dropWatches()
            #expect(try await watch.waitForExit() == 0)
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "b", "namespace": "default"]])
            let again = try h.stream("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(a[path: ["metadata", "resourceVersion"]]!.stringValue!)")
            defer { again.stop() }
            let missed = try await again.waitForEvents { $0.count >= 1 }
            #expect(missed[0][path: ["object", "metadata", "name"]] == "b")
        }
    }

    @Test("deleting an owner garbage-collects its dependents (Background), Orphan keeps them without the reference, finalizers hold deletion")
    func ownerReferencesAndFinalizers() async throws {
        try await withDouble { h in
            let owner = try h.double.create(DoubleManifests.gateway(namespace: "default"))
            let ref: JSONValue = ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "name": "gateway",
                                  "uid": owner[path: ["metadata", "uid"]]!, "controller": true]
            for name in ["dep-1", "dep-2"] {
                try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default", "ownerReferences": [ref]]])
            }
            let deleted = try h.curl("DELETE", "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway")
            #expect(deleted.status == 200)
            #expect(deleted.body?["kind"] == "Gateway", "custom resources answer DELETE with the object")
            #expect(try h.double.list(apiVersion: "v1", kind: "ConfigMap", namespace: "default").isEmpty)

            let owner2 = try h.double.create(DoubleManifests.gateway(namespace: "default"))
            var ref2 = ref
            ref2["uid"] = owner2[path: ["metadata", "uid"]]
            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "kept", "namespace": "default", "ownerReferences": [ref2]]])
            let orphan = try h.curl("DELETE", "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway", ["propagationPolicy": "Orphan"])
            #expect(orphan.status == 200)
            let kept = try #require(h.double.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "kept"))
            #expect(kept[path: ["metadata", "ownerReferences"]] == nil)

            let secretDelete = try h.curl("DELETE", "/api/v1/namespaces/default/configmaps/kept")
            #expect(secretDelete.body?["kind"] == "Status" && secretDelete.body?["status"] == "Success", "built-in kinds answer with a Status")

            try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "held", "namespace": "default", "finalizers": ["example.com/hold"]]])
            let held = try h.curl("DELETE", "/api/v1/namespaces/default/configmaps/held")
            #expect(held.status == 200)
            var marked = try #require(h.double.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "held"))
            #expect(marked[path: ["metadata", "deletionTimestamp"]] != nil)
            marked["metadata"]?["finalizers"] = .array([])
            let released = try h.curl("PUT", "/api/v1/namespaces/default/configmaps/held", marked)
            #expect(released.status == 200)
            #expect(h.double.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "held") == nil)
        }
    }

    @Test("restart on the same port: watches break, the store and its resourceVersions survive")
    func restart() async throws {
        try await withDouble { h in
            let before = try h.double.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default"]])
            let watch = try h.stream("/api/v1/namespaces/default/configmaps?watch=1")
            defer { watch.stop() }
            _ = try await watch.waitForEvents { $0.count >= 1 }
            let port = h.double.port
            try await h.double.stop()
            #expect(try await watch.waitForExit() != nil)
            #expect(try h.curl("GET", "/api/v1/namespaces/default/configmaps/a").status == 0, "nothing listens while stopped")

            try await h.double.start(port: port)
            #expect(h.double.port == port)
            let after = try #require(try h.curl("GET", "/api/v1/namespaces/default/configmaps/a").body)
            #expect(after[path: ["metadata", "uid"]] == before[path: ["metadata", "uid"]])
            let b = try #require(try h.curl("POST", "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "b"]]).body)
            #expect(Int(b[path: ["metadata", "resourceVersion"]]!.stringValue!)! > Int(before[path: ["metadata", "resourceVersion"]]!.stringValue!)!)
            let kubectl = try h.kubectl(["get", "configmap", "b", "-o", "jsonpath={.metadata.name}"])
            #expect(kubectl.stdout == "b", "\(kubectl.stderr)")
        }
    }

    @Test("errors are Status objects with the real server's reasons and messages")
    func errors() async throws {
        try await withDouble { h in
            let base = "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways"
            let missingName = try h.curl("POST", base, ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "spec": [:]])
            #expect(missingName.status == 422)
            #expect(missingName.body?["reason"] == "Invalid")
            #expect(missingName.body?["message"] == #"Gateway.gateway.networking.k8s.io "" is invalid: metadata.name: Required value: name or generateName is required"#)

            let generated = try h.curl("POST", base, ["metadata": ["generateName": "gw-"], "spec": [:]])
            #expect(generated.status == 201)
            #expect(generated.body?[path: ["metadata", "name"]]?.stringValue?.hasPrefix("gw-") == true)
            #expect(generated.body?[path: ["metadata", "name"]]?.stringValue?.count == 8)

            #expect(try h.curl("POST", base, DoubleManifests.gateway(namespace: "default")).status == 201)
            let dup = try h.curl("POST", base, DoubleManifests.gateway(namespace: "default"))
            #expect(dup.status == 409)
            #expect(dup.body?["reason"] == "AlreadyExists")
            #expect(dup.body?["message"] == #"gateways.gateway.networking.k8s.io "gateway" already exists"#)

            let noNamespace = try h.curl("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/nowhere/gateways", DoubleManifests.gateway(namespace: "nowhere"))
            #expect(noNamespace.status == 404)
            #expect(noNamespace.body?["message"] == #"namespaces "nowhere" not found"#)

            let wrongKind = try h.curl("POST", base, ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": "x"]])
            #expect(wrongKind.status == 400)
            let wrongVersion = try h.curl("POST", base, ["apiVersion": "v1", "kind": "Gateway", "metadata": ["name": "x"]])
            #expect(wrongVersion.status == 400)
            #expect(wrongVersion.body?["reason"] == "BadRequest")
            let notJSON = try h.curl("POST", base, raw: "this is not json")
            #expect(notJSON.status == 400)
            let protobuf = try h.curl("POST", base, raw: "k8s\0", contentType: "application/vnd.kubernetes.protobuf")
            #expect(protobuf.status == 415, "protobuf bodies are decoded for Namespace, ConfigMap and Secret only")
            let wrongNamespace = try h.curl("POST", base, DoubleManifests.gateway(namespace: "kube-system"))
            #expect(wrongNamespace.status == 400)
            let badName = try h.curl("POST", base, ["metadata": ["name": "Not_Valid"]])
            #expect(badName.status == 422)

            let notFound = try h.curl("GET", base + "/absent")
            #expect(notFound.status == 404)
            #expect(notFound.body?["details"] == ["name": "absent", "group": "gateway.networking.k8s.io", "kind": "gateways"])
            #expect(try h.curl("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/default/widgets").status == 404)
            #expect(try h.curl("POST", base + "/gateway").status == 405)
        }
    }

    @Test("failRequests answers matching requests with the injected status; the request log counts status writes")
    func faultInjection() async throws {
        try await withDouble { h in
            let gateway = try h.double.create(DoubleManifests.gateway(namespace: "default"))
            h.double.failRequests(status: 503, count: 2) { $0.method == "GET" && $0.path.hasSuffix("/gateways/gateway") }
            let path = "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway"
            #expect(try h.curl("GET", path).status == 503)
            let second = try h.curl("GET", path)
            #expect(second.status == 503)
            #expect(second.body?["reason"] == "ServiceUnavailable")
            #expect(try h.curl("GET", path).status == 200)

            h.double.failRequests(status: 429) { $0.path.hasSuffix("/status") }
            var status = gateway
            status["status"] = DoubleManifests.programmedStatus(generation: 1)
            #expect(try h.curl("PUT", path + "/status", status).status == 429)
            #expect(try h.curl("PUT", path + "/status", status).status == 429)
            h.double.clearFailures()
            #expect(try h.curl("PUT", path + "/status", status).status == 200)

            let statusWrites = h.double.requestLog.filter { $0.method == "PUT" && $0.path == path + "/status" }
            #expect(statusWrites.map(\.status) == [429, 429, 200])
        }
    }

    @Test("patches: JSON merge patch and JSON patch for every kind, strategic merge by key for built-in kinds, 415 for strategic merge on custom resources")
    func patches() async throws {
        try await withDouble { h in
            let gw = "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/gateway"
            try h.double.create(DoubleManifests.gateway(namespace: "default"))
            let merged = try h.curl("PATCH", gw, ["metadata": ["labels": ["a": "b"]], "spec": ["gatewayClassName": "x"]], contentType: "application/merge-patch+json")
            #expect(merged.status == 200)
            #expect(merged.body?[path: ["spec", "gatewayClassName"]] == "x")
            #expect(merged.body?[path: ["metadata", "generation"]] == 2)
            let jsonPatch = try h.curl("PATCH", gw, [["op": "replace", "path": "/spec/listeners/0/port", "value": 8080]], contentType: "application/json-patch+json")
            #expect(jsonPatch.body?[path: ["spec", "listeners"]]?.arrayValue?.first?["port"] == 8080)
            let strategic = try h.curl("PATCH", gw, ["spec": ["gatewayClassName": "y"]], contentType: "application/strategic-merge-patch+json")
            #expect(strategic.status == 415)
            let pinned = try h.curl("PATCH", gw, ["metadata": ["resourceVersion": "1"], "spec": ["gatewayClassName": "z"]], contentType: "application/merge-patch+json")
            #expect(pinned.status == 409, "a resourceVersion in a patch is a precondition")
            let status = try h.curl("PATCH", gw + "/status", ["status": DoubleManifests.programmedStatus(generation: 3), "spec": ["gatewayClassName": "ignored"]],
                                    contentType: "application/merge-patch+json")
            #expect(status.body?[path: ["status", "conditions"]]?.arrayValue?.count == 2)
            #expect(status.body?[path: ["spec", "gatewayClassName"]] == "x")

            let svc = "/api/v1/namespaces/default/services/web"
            #expect(try h.curl("POST", "/api/v1/namespaces/default/services",
                               ["metadata": ["name": "web"], "spec": ["ports": [["name": "http", "port": 80], ["name": "https", "port": 443]]]]).status == 201)
            let smp = try h.curl("PATCH", svc, ["spec": ["ports": [["port": 443, "name": "tls"], ["port": 8080, "name": "alt"]]]],
                                 contentType: "application/strategic-merge-patch+json")
            #expect(smp.status == 200)
            let ports = smp.body?[path: ["spec", "ports"]]?.arrayValue ?? []
            #expect(ports.compactMap { $0["name"]?.stringValue } == ["http", "tls", "alt"], "ports merge by port")
            #expect(ports.first?["protocol"] == "TCP")
            let apply = try h.curl("PATCH", svc, ["spec": [:]], contentType: "application/apply-patch+yaml")
            #expect(apply.status == 415)
        }
    }

    @Test("discovery follows the served types: ReferenceGrant at v1beta1 only, BackendTLSPolicy not installed")
    func discoveryFollowsTypes() async throws {
        let types = ResourceType.tollgateDefaults.filter { $0 != .backendTLSPolicies && $0 != .referenceGrants }
            + [ResourceType.referenceGrants.serving(versions: ["v1beta1"])]
        try await withDouble(resources: types) { h in
            let group = try #require(try h.curl("GET", "/apis/gateway.networking.k8s.io").body)
            #expect(group["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == ["v1", "v1beta1"])
            #expect(group[path: ["preferredVersion", "version"]] == "v1")
            let v1 = try #require(try h.curl("GET", "/apis/gateway.networking.k8s.io/v1").body)
            let names = v1["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("gateways") && names.contains("gateways/status"))
            #expect(!names.contains("backendtlspolicies") && !names.contains("referencegrants"))
            let gateways = try #require(v1["resources"]?.arrayValue?.first { $0["name"] == "gateways" })
            #expect(gateways["kind"] == "Gateway" && gateways["namespaced"] == true && gateways["shortNames"] == ["gtw"])
            #expect(gateways["verbs"]?.arrayValue?.contains("watch") == true)
            #expect(try h.curl("GET", "/apis/gateway.networking.k8s.io/v1/backendtlspolicies").status == 404)

            let resources = try h.kubectl(["api-resources", "--api-group=gateway.networking.k8s.io", "-o", "name"])
            #expect(resources.stdout.contains("referencegrants.gateway.networking.k8s.io"), "\(resources.stderr)")
            #expect(!resources.stdout.contains("backendtlspolicies"))
            let grant = try h.write("grant.yaml", DoubleManifests.referenceGrantV1beta1)
            let applied = try h.kubectl(["apply", "-f", grant])
            #expect(applied.status == 0, "\(applied.stderr)")
            let read = try #require(try h.curl("GET", "/apis/gateway.networking.k8s.io/v1beta1/namespaces/default/referencegrants/allow").body)
            #expect(read["apiVersion"] == "gateway.networking.k8s.io/v1beta1")
            let policy = try h.kubectl(["apply", "-f", try h.write("policy.yaml", DoubleManifests.backendTLSPolicy)])
            #expect(policy.status != 0)
            #expect(policy.stderr.contains(#"no matches for kind "BackendTLSPolicy""#), "\(policy.stderr)")
        }
    }

    @Test("leases: create, then GET + PUT with resourceVersion as leader election does; a second writer with the old version loses")
    func leases() async throws {
        try await withDouble { h in
            let path = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
            let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "tollgate"],
                                    "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15]]
            #expect(try h.curl("POST", path, lease).status == 201)
            #expect(try h.curl("POST", path, lease).status == 409)
            let read = try #require(try h.curl("GET", path + "/tollgate").body)
            var renewA = read, takeB = read
            renewA["spec"]?["renewTime"] = "2026-01-01T00:00:00.000000Z"
            takeB["spec"]?["holderIdentity"] = "b"
            #expect(try h.curl("PUT", path + "/tollgate", renewA).status == 200)
            #expect(try h.curl("PUT", path + "/tollgate", takeB).status == 409)
        }
    }
}

// MARK: - DoubleHarness

private enum DoubleManifests {
    static let namespace = """
    apiVersion: v1
    kind: Namespace
    metadata:
      name: demo
    """

    static let gatewayClass = """
    apiVersion: gateway.networking.k8s.io/v1
    kind: GatewayClass
    metadata:
      name: nginx
    spec:
      controllerName: gateway.nginx.org/nginx-gateway-controller
    """

    /// From the backend mTLS guide: the Gateway, the HTTPRoute to secure-app, its Service, a CA Secret.
    static func gatewayYAML(extraListener: Bool) -> String {
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: gateway
          namespace: demo
        spec:
          gatewayClassName: nginx
          listeners:
          - name: http
            port: 80
            protocol: HTTP
        """ + (extraListener ? """

          - name: http-8080
            port: 8080
            protocol: HTTP
        """ : "")
    }

    static let rest = """
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata:
      name: secure-app
      namespace: demo
    spec:
      parentRefs:
      - name: gateway
        sectionName: http
      hostnames:
      - "secure-app.example.com"
      rules:
      - matches:
        - path:
            type: PathPrefix
            value: /
        backendRefs:
        - name: secure-app
          port: 8443
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: backend-cert
      namespace: demo
    type: Opaque
    data:
      ca.crt: \(Data("not a real certificate".utf8).base64EncodedString())
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: secure-app
      namespace: demo
    spec:
      ports:
      - port: 8443
        targetPort: 8443
        protocol: TCP
        name: https
      selector:
        app: secure-app
    """

    static let app = [namespace, gatewayClass, gatewayYAML(extraListener: false), rest].joined(separator: "\n---\n")
    static let appWithSecondListener = [namespace, gatewayClass, gatewayYAML(extraListener: true), rest].joined(separator: "\n---\n")

    static let referenceGrantV1beta1 = """
    apiVersion: gateway.networking.k8s.io/v1beta1
    kind: ReferenceGrant
    metadata:
      name: allow
      namespace: default
    spec:
      from:
      - group: gateway.networking.k8s.io
        kind: HTTPRoute
        namespace: demo
      to:
      - group: ""
        kind: Service
    """

    static let backendTLSPolicy = """
    apiVersion: gateway.networking.k8s.io/v1
    kind: BackendTLSPolicy
    metadata:
      name: backend-tls
      namespace: default
    spec:
      targetRefs:
      - group: ''
        kind: Service
        name: secure-app
      validation:
        caCertificateRefs:
        - name: backend-cert
          group: ''
          kind: Secret
        hostname: secure-app.example.com
    """

    static func gateway(namespace: String) -> JSONValue {
        ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
         "metadata": ["name": "gateway", "namespace": .string(namespace)],
         "spec": ["gatewayClassName": "nginx", "listeners": [["name": "http", "port": 80, "protocol": "HTTP"]]]]
    }

    static func programmedStatus(generation: Int) -> JSONValue {
        ["conditions": [
            ["type": "Accepted", "status": "True", "reason": "Accepted", "message": "The Gateway is accepted",
             "observedGeneration": .int(generation), "lastTransitionTime": "2026-01-09T05:40:37Z"],
            ["type": "Programmed", "status": "True", "reason": "Programmed", "message": "The Gateway is programmed",
             "observedGeneration": .int(generation), "lastTransitionTime": "2026-01-09T05:40:37Z"],
        ]]
    }
}

private extension JSONValue {
    mutating func setLabel(_ key: String, _ value: String) {
        var labels = self[path: ["metadata", "labels"]]?.objectValue ?? [:]
        labels[key] = .string(value)
        self["metadata"]?["labels"] = .object(labels)
    }

    mutating func removeResourceVersion() {
        guard case .object(var meta)? = self["metadata"] else { return }
        meta["resourceVersion"] = nil
        self["metadata"] = .object(meta)
    }
}

/// A started double, a scratch directory with its kubeconfig, and clients for it.
private struct DoubleHarness {
    let double: KubeAPIServerDouble
    let dir: URL
    let kubeconfig: String

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    private var kubectlBase: [String] {
        ["--kubeconfig", kubeconfig, "--cache-dir", dir.appendingPathComponent("cache").path, "--request-timeout=10s"]
    }

    func kubectl(_ arguments: [String]) throws -> Processes.Output {
        try Processes.run("kubectl", kubectlBase + arguments)
    }

    func kubectlStream(_ arguments: [String]) throws -> StreamingOutputProcess {
        try StreamingOutputProcess("/usr/bin/env", ["kubectl"] + kubectlBase + arguments)
    }

    private var caFile: String { dir.appendingPathComponent("ca.pem").path }

    private func curlArguments(_ method: String, _ path: String, token: String??, accept: String? = nil) -> [String] {
        var args = ["-sS", "--cacert", caFile, "--max-time", "10", "-X", method]
        let bearer: String? = token ?? double.token
        if let bearer { args += ["-H", "Authorization: Bearer \(bearer)"] }
        if let accept { args += ["-H", "Accept: \(accept)"] }
        return args + ["\(double.url)\(path)"]
    }

    /// One request; status 0 when nothing answered.
    func curl(_ method: String, _ path: String, _ body: JSONValue? = nil, contentType: String = "application/json",
              accept: String? = nil, token: String?? = .none) throws -> (status: Int, body: JSONValue?) {
        try curl(method, path, raw: body?.text, contentType: contentType, accept: accept, token: token)
    }

    func curl(_ method: String, _ path: String, raw: String?, contentType: String = "application/json",
              accept: String? = nil, token: String?? = .none) throws -> (status: Int, body: JSONValue?) {
        var args = curlArguments(method, path, token: token, accept: accept)
        args.insert(contentsOf: ["-w", "\n%{http_code}"], at: 0)
        if raw != nil { args.insert(contentsOf: ["-H", "Content-Type: \(contentType)", "--data-binary", "@-"], at: 0) }
        let out = try Processes.run("curl", args, stdin: raw)
        let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let body = lines.dropLast().joined(separator: "\n")
        return (status, try? JSONValue(parsing: body))
    }

    /// A streaming GET (a watch), read line by line.
    func stream(_ path: String) throws -> StreamingOutputProcess {
        try StreamingOutputProcess("/usr/bin/env", ["curl", "-N"] + curlArguments("GET", path, token: .none))
    }
}

private func withDouble(resources: [ResourceType] = ResourceType.tollgateDefaults, bookmarkInterval: Duration = .seconds(1),
                        _ body: (DoubleHarness) async throws -> Void) async throws
{
    let double = KubeAPIServerDouble(resources: resources, bookmarkInterval: bookmarkInterval)
    try await double.start()
    let dir = try Processes.temporaryDirectory("kube-double")
    let kubeconfig = dir.appendingPathComponent("kubeconfig").path
    try double.writeKubeconfig(to: kubeconfig)
    try Data(double.caPEM.utf8).write(to: dir.appendingPathComponent("ca.pem"))
    do {
        try await body(DoubleHarness(double: double, dir: dir, kubeconfig: kubeconfig))
    } catch {
        try? await double.stop()
        try? FileManager.default.removeItem(at: dir)
        throw error
    }
    try await double.stop()
    try? FileManager.default.removeItem(at: dir)
}

/// A child process whose stdout is collected as it arrives (a watch), so a test can wait for lines.
private final class StreamingOutputProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var output = Data()

    struct Timeout: Error, CustomStringConvertible {
        var output: String
        var description: String { "timed out; output so far:\n\(output)" }
    }

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.withLock { output.append(data) }
            }
        }
    }

    var text: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// The complete lines so far, parsed as JSON (one watch event per line).
    var events: [JSONValue] {
        let t = text
        let complete = t.hasSuffix("\n") ? t : String(t[..<(t.lastIndex(of: "\n") ?? t.startIndex)])
        return complete.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
    }

    func waitForEvents(timeout: Duration = .seconds(30), _ done: ([JSONValue]) -> Bool) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let e = events
            if done(e) { return e }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Timeout(output: text)
    }

    /// The exit status once the process ends by itself; nil if it is still running at the deadline.
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning { return process.terminationStatus }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Kills the process (SIGKILL: children of the test runner may not see SIGTERM).
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
