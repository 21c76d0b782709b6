import Foundation
import Testing
import TollgateKube

/// The client against the API server double: CRUD and its errors, paging, watches, discovery,
/// token rotation, and status updates with optimistic concurrency.
@Suite struct KubeClientTests {
    static let configMaps = ResourceType(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true)
    static let routes = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute", namespaced: true)

    static func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:], value: String = "v") -> Data {
        let labelText = labels.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        return Data(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"\#(namespace)","labels":{\#(labelText)}},"data":{"k":"\#(value)"}}"#.utf8)
    }

    static func route(_ name: String) -> Data {
        Data(#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"\#(name)","namespace":"default"},"spec":{"parentRefs":[{"name":"gw"}]}}"#.utf8)
    }

    static func data(of object: KubeObject) throws -> [String: String] {
        struct ConfigMap: Decodable { var data: [String: String]? }
        return try JSONDecoder().decode(ConfigMap.self, from: object.json).data ?? [:]
    }

    @Test func crudAndErrors() async throws {
        try await withKubeServer { _, client in
            let created = try await client.create(Self.configMaps, namespace: "default", json: Self.configMap("one"))
            #expect(created.header.kind == "ConfigMap")
            #expect(created.key == KubeObjectKey(namespace: "default", name: "one"))
            let version = try #require(created.resourceVersion)

            let fetched = try #require(try await client.get(Self.configMaps, namespace: "default", name: "one"))
            #expect(fetched.header.apiVersion == "v1")
            #expect(try Self.data(of: fetched) == ["k": "v"])
            #expect(try await client.get(Self.configMaps, namespace: "default", name: "absent") == nil)

            let duplicate = await #expect(throws: KubeError.self) {
                try await client.create(Self.configMaps, namespace: "default", json: Self.configMap("one"))
            }
            #expect(duplicate?.code == .alreadyExists)
            #expect(duplicate?.httpStatus == 409)

            // Replace with the current resourceVersion works; with the old one again it conflicts.
            let body = String(decoding: Self.configMap("one", value: "w"), as: UTF8.self)
                .replacingOccurrences(of: #""namespace":"default""#, with: #""namespace":"default","resourceVersion":"\#(version)""#)
            let replaced = try await client.replace(Self.configMaps, namespace: "default", name: "one", json: Data(body.utf8))
            #expect(try Self.data(of: replaced) == ["k": "w"])
            #expect(replaced.resourceVersion != version)
            let stale = await #expect(throws: KubeError.self) {
                try await client.replace(Self.configMaps, namespace: "default", name: "one", json: Data(body.utf8))
            }
            #expect(stale?.code == .conflict)
            #expect(stale?.status?.reason == "Conflict")
            #expect(stale?.status?.message?.contains("modified") == true)

            let patched = try await client.patch(
                Self.configMaps, namespace: "default", name: "one", mergePatch: Data(#"{"data":{"k":"p"}}"#.utf8))
            #expect(try Self.data(of: patched) == ["k": "p"])

            #expect(try await client.delete(Self.configMaps, namespace: "default", name: "one"))
            #expect(try await !client.delete(Self.configMaps, namespace: "default", name: "one"))
            let missing = await #expect(throws: KubeError.self) {
                try await client.replace(Self.configMaps, namespace: "default", name: "one", json: Data(body.utf8))
            }
            #expect(missing?.code == .notFound)
        }
    }

    @Test func statusSubresourceAndUnauthorized() async throws {
        try await withKubeServer { server, client in
            let route = try await client.create(Self.routes, namespace: "default", json: Self.route("r"))
            var value = try JSONValue.parse(route.json)
            value["status"] = .object(["parents": .array([])])
            value["spec"] = .object([:])  // ignored by the status subresource
            let updated = try await client.replaceStatus(Self.routes, namespace: "default", name: "r", json: value.serialized())
            let stored = try JSONValue.parse(updated.json)
            #expect(stored["status"] == .object(["parents": .array([])]))
            #expect(stored["spec"] == (try JSONValue.parse(route.json))["spec"])

            let stranger = try server.client(token: "wrong")
            let refused = await #expect(throws: KubeError.self) {
                try await stranger.get(Self.routes, namespace: "default", name: "r")
            }
            #expect(refused?.code == .unauthorized)
            try await stranger.shutdown()
        }
    }

    @Test func listFollowsContinueAcrossPagesWithSelectors() async throws {
        try await withKubeServer { server, client in
            try server.createNamespace("paged")
            for index in 0..<25 {
                try server.createConfigMap(namespace: "paged", name: String(format: "cm-%02d", index), labels: ["set": "a"])
            }
            try server.createConfigMap(namespace: "paged", name: "other", labels: ["set": "b"])
            server.clearRequests()
            let list = try await client.list(
                Self.configMaps, namespace: "paged", labelSelector: LabelSelector([.equals("set", "a")]), limit: 10)
            #expect(list.items.count == 25)
            #expect(Set(list.items.map(\.name)).count == 25)
            #expect(list.items.allSatisfy { $0.header.kind == "ConfigMap" && $0.header.apiVersion == "v1" })
            #expect(!list.resourceVersion.isEmpty)
            let pages = server.requests.filter { $0.path == "/api/v1/namespaces/paged/configmaps" }
            #expect(pages.count == 3)
            #expect(pages.allSatisfy { $0.query["limit"] == "10" && $0.query["labelSelector"] == "set=a" })
            #expect(pages.map { $0.query["continue"] == nil } == [true, false, false])

            // An expired continue token (410) restarts the list from the beginning.
            server.clearRequests()
            server.failRequests(status: 410, count: 1, pathContaining: "/namespaces/paged/configmaps")
            let again = try await client.list(Self.configMaps, namespace: "paged", limit: 10)
            #expect(again.items.count == 26)
            #expect(server.requests.filter { $0.status == 410 }.count == 1)
        }
    }

    @Test func watchStreamsChangesAndBookmarks() async throws {
        try await withKubeServer { server, client in
            try server.createNamespace("watched")
            let start = try await client.list(Self.configMaps, namespace: "watched")
            let stream = try await client.watch(
                Self.configMaps, namespace: "watched", resourceVersion: start.resourceVersion, timeoutSeconds: 30)
            _ = try await client.create(Self.configMaps, namespace: "watched", json: Self.configMap("w", namespace: "watched"))
            _ = try await client.patch(
                Self.configMaps, namespace: "watched", name: "w", mergePatch: Data(#"{"data":{"k":"2"}}"#.utf8))
            try await client.delete(Self.configMaps, namespace: "watched", name: "w")
            var seen: [String] = []
            var bookmark: String?
            for try await event in stream {
                switch event {
                case .added(let object): seen.append("added \(object.name)")
                case .modified(let object): seen.append("modified \(object.name) \(try Self.data(of: object)["k"] ?? "")")
                case .deleted(let object): seen.append("deleted \(object.name)")
                case .bookmark(let version): bookmark = version
                case .error(let status): Issue.record("unexpected error event \(status)")
                }
                if seen.count == 3, bookmark != nil { break }
            }
            #expect(seen == ["added w", "modified w 2", "deleted w"])
            let watchRequest = try #require(server.requests.first { $0.isWatch })
            #expect(watchRequest.query["allowWatchBookmarks"] == "true")
            #expect(watchRequest.query["resourceVersion"] == start.resourceVersion)
            #expect(watchRequest.query["timeoutSeconds"] == "30")

            // After compaction an old resourceVersion is answered with ERROR 410.
            server.compact()
            let old = try await client.watch(Self.configMaps, namespace: "watched", resourceVersion: start.resourceVersion)
            var events: [WatchEvent] = []
            for try await event in old { events.append(event) }
            guard case .error(let status)? = events.last else {
                Issue.record("expected an ERROR event, got \(events)")
                return
            }
            #expect(status.code == 410)
            #expect(KubeError.fromWatchStatus(status, request: "").code == .expired)
        }
    }

    @Test func discoveryTellsWhichVersionsAreServed() async throws {
        try await withKubeServer(.olderGatewayAPI) { _, client in
            let v1 = try await client.discover(group: "gateway.networking.k8s.io", version: "v1")
            #expect(v1.contains { $0.name == "httproutes" && $0.kind == "HTTPRoute" && $0.namespaced })
            #expect(!v1.contains { $0.name == "referencegrants" })
            #expect(!v1.contains { $0.name == "backendtlspolicies" })
            #expect(!v1.contains { $0.name.contains("/") })
            let beta = try await client.discover(group: "gateway.networking.k8s.io", version: "v1beta1")
            #expect(beta.map(\.name) == ["referencegrants"])
            #expect(try await client.discover(group: "gateway.networking.k8s.io", version: "v9").isEmpty)
            #expect(try await client.discover(group: "", version: "v1").contains { $0.name == "secrets" })
            let versions = try await client.servedVersions(group: "gateway.networking.k8s.io")
            #expect(Set(versions) == ["v1", "v1beta1"])
            #expect(try await client.servedVersions(group: "example.com").isEmpty)
        }
    }

    @Test func tokenFileIsReadAgainWhenItChanges() async throws {
        try await withKubeServer { server, _ in
            let tokenFile = server.directory.appendingPathComponent("token")
            try Data("stale-token".utf8).write(to: tokenFile)
            var config = try server.config()
            config.credentials.bearerToken = .file(path: tokenFile.path)
            let client = try KubeClient(config: config, requestTimeout: .seconds(10))
            let refused = await #expect(throws: KubeError.self) {
                try await client.get(Self.configMaps, namespace: "default", name: "x")
            }
            #expect(refused?.code == .unauthorized)
            // The token rotates: the next request uses the new one without a new client.
            try Data("\(server.token)\n".utf8).write(to: tokenFile)
            #expect(try await client.get(Self.configMaps, namespace: "default", name: "x") == nil)
            try await client.shutdown()
        }
    }

    @Test func updateStatusRetriesAConflictAndSkipsNoChange() async throws {
        try await withKubeServer { server, client in
            _ = try await client.create(Self.routes, namespace: "default", json: Self.route("r"))
            server.clearRequests()
            var calls = 0
            let wrote = try await client.updateStatus(Self.routes, namespace: "default", name: "r") { current in
                calls += 1
                if calls == 1 {
                    // Someone else writes between our read and our write: our PUT gets 409.
                    try server.setLabel(
                        apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "default",
                        name: "r", key: "touched", value: "yes")
                }
                return Data(#"{"parents":[{"controllerName":"tollgate.dev/gateway","parentRef":{"name":"gw"}}]}"#.utf8)
            }
            #expect(wrote)
            #expect(calls == 2)
            let statusWrites = server.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/httproutes/r/status") }
            #expect(statusWrites.map(\.status) == [409, 200])
            let stored = try #require(try await client.get(Self.routes, namespace: "default", name: "r"))
            #expect(stored.header.labels["touched"] == "yes")
            #expect(try JSONValue.parse(stored.json)["status"]?["parents"] != nil)

            // The same status again (other key order): no write at all.
            server.clearRequests()
            let again = try await client.updateStatus(Self.routes, namespace: "default", name: "r") { _ in
                Data(#"{"parents":[{"parentRef":{"name":"gw"},"controllerName":"tollgate.dev/gateway"}]}"#.utf8)
            }
            #expect(!again)
            #expect(server.requests.allSatisfy { $0.method == "GET" })
            // Nothing to say: no write either.
            #expect(try await !client.updateStatus(Self.routes, namespace: "default", name: "r") { _ in nil })
            #expect(try await !client.updateStatus(Self.routes, namespace: "default", name: "gone") { _ in Data("{}".utf8) })
        }
    }

    /// A controller-like actor that computes statuses from its own state.
    actor StatusWriter {
        let client: KubeClient
        var accepted = "True"
        var computed = 0

        init(client: KubeClient) { self.client = client }

        func write(_ name: String) async throws -> Bool {
            try await client.updateStatus(KubeClientTests.routes, namespace: "default", name: name) { _ in
                computed += 1  // actor state, touched synchronously in the closure
                return Data(#"{"parents":[{"conditions":[{"type":"Accepted","status":"\#(accepted)"}]}]}"#.utf8)
            }
        }
    }

    @Test func updateStatusFromAnActor() async throws {
        try await withKubeServer { _, client in
            _ = try await client.create(Self.routes, namespace: "default", json: Self.route("r"))
            let writer = StatusWriter(client: client)
            #expect(try await writer.write("r"))
            #expect(try await !writer.write("r"))
            #expect(await writer.computed == 2)
        }
    }

    /// A self-signed client certificate and its key, made for these tests only (P-256, valid
    /// until 2126); the double does not ask for client certificates, so it only has to parse.
    static let clientIdentity = (
        certificate: Data("""
            -----BEGIN CERTIFICATE-----
            MIIBljCCATugAwIBAgIUZzQ8TvkLAdDPm/2KzHOScIW7DVkwCgYIKoZIzj0EAwIw
            HzEdMBsGA1UEAwwUdG9sbGdhdGUtdGVzdC1jbGllbnQwIBcNMjYxMTIzMTQyNjAy
            WhgPMjEyNjEwMzAxNDI2MDJaMB8xHTAbBgNVBAMMFHRvbGxnYXRlLXRlc3QtY2xp
            ZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEA7UDY7SpjA1WJLclEkKnpzcq
            aSsqxFQuN2LRF0+z1Qbej0GPtQW84WVQdiKBJn+S7P6F1ZnO1msTU2w7bepvfaNT
            MFEwHQYDVR0OBBYEFKxdg6sah2NTiBFo9ESE4ps66z5iMB8GA1UdIwQYMBaAFKxd
            g6sah2NTiBFo9ESE4ps66z5iMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
            SQAwRgIhALzO6HY6rj4MhSsbHrhpsUrsaa68xtzo7JxW+ldyFsi+AiEAgl7RbuSf
            gkgjgRTRm9tEP5S2+41wWrFoNW8H26f6tcg=
            -----END CERTIFICATE-----
            """.utf8),
        key: Data("""
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc+ikxTGt4mDDDdMD
            pax4dmVeMl+QXLhWbAu22MwriL+hRANCAAQDtQNjtKmMDVYktyUSQqenNyppKyrE
            VC43YtEXT7PVBt6PQY+1BbzhZVB2IoEmf5Ls/oXVmc7WaxNTbDtt6m99
            -----END PRIVATE KEY-----
            """.utf8)
    )

    @Test func tlsSettings() async throws {
        try await withKubeServer { server, _ in
            let base = try server.config()
            func works(_ config: KubeConfig) async throws -> Bool {
                let client = try KubeClient(config: config, requestTimeout: .seconds(5))
                defer { Task { try? await client.shutdown() } }
                do {
                    _ = try await client.get(Self.configMaps, namespace: "default", name: "x")
                    return true
                } catch let error as KubeError where error.code == .transport {
                    #expect(!error.description.contains(server.token))
                    return false
                }
            }
            // The CA from the kubeconfig is the only trust root.
            #expect(try await works(base))
            var untrusted = base
            untrusted.certificateAuthority = nil
            #expect(try await !works(untrusted))
            untrusted.insecureSkipTLSVerify = true
            #expect(try await works(untrusted))
            // tls-server-name: sent as SNI and verified, while connecting to the URL's host.
            // (NIOSSL also accepts a certificate whose IP SAN matches the connected address, as
            // the double's does, so a wrong name cannot be shown to fail here.)
            var named = base
            named.tlsServerName = "localhost"
            #expect(try await works(named))
            // A client certificate is presented alongside the token.
            let identity = Self.clientIdentity
            var withCertificate = base
            withCertificate.credentials.clientCertificate = identity.certificate
            withCertificate.credentials.clientKey = identity.key
            #expect(try await works(withCertificate))
            withCertificate.credentials.clientKey = Data("not a key".utf8)
            let refused = #expect(throws: KubeError.self) { try KubeClient(config: withCertificate) }
            #expect(refused?.code == .configuration)
        }
    }
}
