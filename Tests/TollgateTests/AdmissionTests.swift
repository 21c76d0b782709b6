import Foundation
import Testing
import TollgateAdmission
import TollgateModel
import Yams

/// `Admission.review`: metadata, every kind's schema and CEL rules, Kubernetes' rules for core
/// kinds, hostile values, and the examples' manifests.
@Suite struct AdmissionTests {
    typealias S = AdmissionSamples

    // MARK: Examples

    @Test("both guides' manifests (examples/*, YAML) are admitted")
    func examplesAreAdmitted() throws {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        #expect(files.contains("frontend-mtls/gateway.yaml") && files.contains("backend-mtls/policy.yaml"))
        var kinds: Set<String> = []
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                guard let tree = document as? [String: Any] else { continue }
                let object = try S.decode(try JSONSerialization.data(withJSONObject: tree))
                kinds.insert(object.key.kind.rawValue)
                #expect(Admission.review(object) == [], "\(file): \(object.key)")
            }
        }
        #expect(kinds.isSuperset(of: ["Gateway", "GatewayClass", "HTTPRoute", "BackendTLSPolicy", "Namespace", "Service", "EndpointSlice"]))
    }

    // MARK: Metadata

    @Test("metadata.name: required, DNS subdomain; Namespace a label; Service an RFC 1035 label")
    func names() throws {
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.name"] = "" } == ["metadata.name"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.name"] = String(repeating: "a", count: 253) } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.name"] = String(repeating: "a", count: 254) } == ["metadata.name"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.name"] = "a.b-c" } == [])
        for hostile in ["a\nb", "a;b", "a{b", "a\"b", "a\0b", "½", "A", "a_b", "a/b", "..", "-a"] {
            #expect(try S.fields(S.gateway) { $0[path: "metadata.name"] = hostile } == ["metadata.name"], "\(hostile.debugDescription)")
        }
        #expect(try S.fields(S.namespace) { $0[path: "metadata.name"] = "a.b" } == ["metadata.name"])
        #expect(try S.fields(S.namespace) { $0[path: "metadata.name"] = String(repeating: "n", count: 63) } == [])
        #expect(try S.fields(S.namespace) { $0[path: "metadata.name"] = String(repeating: "n", count: 64) } == ["metadata.name"])
        #expect(try S.fields(S.service) { $0[path: "metadata.name"] = "1coffee" } == ["metadata.name"])
        #expect(try S.fields(S.service) { $0[path: "metadata.name"] = "coffee.v2" } == ["metadata.name"])
        #expect(try S.fields(S.service) { $0[path: "metadata.name"] = String(repeating: "s", count: 64) } == ["metadata.name"])
        #expect(try S.fields(S.secret) { $0[path: "metadata.name"] = "cafe.example.com" } == [])
    }

    @Test("metadata.namespace is an RFC 1123 label; cluster-scoped kinds ignore it like the API server")
    func namespaces() throws {
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.namespace"] = "team.a" } == ["metadata.namespace"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.namespace"] = "a\n}" } == ["metadata.namespace"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.namespace"] = String(repeating: "n", count: 64) } == ["metadata.namespace"])
        #expect(try S.fields(S.gatewayClass) { $0[path: "metadata.namespace"] = "not checked" } == [])
    }

    @Test("labels and annotations: qualified-name keys, label values, 256 KiB of annotations")
    func labelsAndAnnotations() throws {
        #expect(try S.fields(S.gateway) { $0[path: "metadata.labels[example.com/app]"] = "v1.2_3-x" } == [])
        #expect(try S.fields(S.gateway) { $0[path: "metadata.labels[a b]"] = "x" } == ["metadata.labels[a b]"])
        #expect(try S.fields(S.gateway) { $0[path: "metadata.labels[app]"] = "-bad" } == ["metadata.labels[app]"])
        #expect(try S.fields(S.gateway) { $0[path: "metadata.labels[app]"] = String(repeating: "v", count: 64) } == ["metadata.labels[app]"])
        #expect(try S.fields(S.gateway) { $0[path: "metadata.labels[Example.com/app]"] = "x" } == ["metadata.labels[Example.com/app]"])
        // Annotation keys are compared in lower case; values are free.
        #expect(try S.fields(S.gateway) { $0[path: "metadata.annotations[Example.com/Note]"] = "a\nb {;}" } == [])
        #expect(try S.fields(S.gateway) { $0[path: "metadata.annotations[a\nb]"] = "x" } == [#"metadata.annotations[a\nb]"#])
        #expect(try S.fields(S.gateway) { $0[path: "metadata.annotations[big]"] = String(repeating: "x", count: 256 * 1024) } == ["metadata.annotations"])
    }

    @Test("metadata.generation 0…2^53 and creationTimestamp RFC 3339")
    func generationAndTimestamp() throws {
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.generation"] = 0 } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.generation"] = 1 << 53 } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.generation"] = (1 << 53) + 1 } == ["metadata.generation"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.generation"] = Int64.max } == ["metadata.generation"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.generation"] = -1 } == ["metadata.generation"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.creationTimestamp"] = "2025-01-02T03:04:05+02:00" } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.creationTimestamp"] = "yesterday" } == ["metadata.creationTimestamp"])
        #expect(try S.fields(S.httpRoute) { $0[path: "metadata.creationTimestamp"] = "2025-02-30T00:00:00Z" } == ["metadata.creationTimestamp"])
    }

    // MARK: GatewayClass, ReferenceGrant

    @Test("GatewayClass: controllerName pattern, description length, parametersRef")
    func gatewayClass() throws {
        #expect(try S.fields(S.gatewayClass) { $0[path: "spec.controllerName"] = "tollgate" } == ["spec.controllerName"])
        #expect(try S.fields(S.gatewayClass) { $0[path: "spec.controllerName"] = "tollgate.dev/a\nb" } == ["spec.controllerName"])
        #expect(try S.fields(S.gatewayClass) { $0[path: "spec.description"] = String(repeating: "d", count: 65) } == ["spec.description"])
        #expect(try S.fields(S.gatewayClass) { $0[path: "spec.parametersRef.namespace"] = "a.b" } == ["spec.parametersRef.namespace"])
        #expect(try S.fields(S.gatewayClass) { $0[path: "spec.parametersRef.kind"] = "Nginx Proxy" } == ["spec.parametersRef.kind"])
    }

    @Test("ReferenceGrant: 1–16 from/to entries with group, kind, namespace")
    func referenceGrant() throws {
        #expect(try S.fields(S.referenceGrant) { $0[path: "spec.from"] = [Any]() } == ["spec.from"])
        #expect(try S.fields(S.referenceGrant) { $0[path: "spec.to"] = [Any]() } == ["spec.to"])
        #expect(try S.fields(S.referenceGrant) { $0[path: "spec.from[0].namespace"] = "Other" } == ["spec.from[0].namespace"])
        #expect(try S.fields(S.referenceGrant) { $0[path: "spec.to[0].name"] = "" } == ["spec.to[0].name"])
    }

    // MARK: Gateway

    @Test("listeners: ports, names, hostnames, protocols, 1–64 of them")
    func listenerFields() throws {
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].port"] = 0 } == ["spec.listeners[1].port"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].port"] = 65536 } == ["spec.listeners[1].port"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].port"] = Int.max } == ["spec.listeners[1].port"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].port"] = Int.min } == ["spec.listeners[1].port"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].name"] = "http\n}" } == ["spec.listeners[1].name"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].name"] = "Http" } == ["spec.listeners[1].name"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].hostname"] = "cafe.example.com;" } == ["spec.listeners[0].hostname"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].hostname"] = "*" } == ["spec.listeners[0].hostname"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].protocol"] = "HT TP" } == ["spec.listeners[1].protocol"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].protocol"] = "example.com/quic" } == [])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners"] = [Any]() } == ["spec.listeners"])
        let many = (0..<65).map { ["name": "l\($0)", "port": 1000 + $0, "protocol": "HTTP"] as [String: Any] }
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners"] = many } == ["spec.listeners"])
    }

    @Test("listener CEL: tls per protocol, hostname per protocol, unique names and port/protocol/hostname")
    func listenerCEL() throws {
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].tls"] = ["certificateRefs": [["name": "c"]]] } == ["spec.listeners[1].tls"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls.mode"] = "Passthrough" } == ["spec.listeners[0].tls.mode"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].protocol"] = "TLS" } == ["spec.listeners[1].tls.mode"])
        #expect(try S.fields(S.gateway) {
            $0[path: "spec.listeners[1].protocol"] = "TLS"; $0[path: "spec.listeners[1].tls.mode"] = "Passthrough"
        } == [])
        #expect(try S.fields(S.gateway) {
            $0[path: "spec.listeners[1].protocol"] = "TCP"; $0[path: "spec.listeners[1].hostname"] = "a.example.com"
        } == ["spec.listeners[1].hostname"])
        // Terminate (the default mode) needs certificateRefs or options.
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls"] = [String: Any]() } == ["spec.listeners[0].tls.certificateRefs"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls"] = ["options": ["example.com/x": "y"]] } == [])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].name"] = "https"; $0[path: "spec.listeners[1].port"] = 8080 } == ["spec.listeners[1].name"])
        let duplicate = try S.edited(S.gateway) { $0[path: "spec.listeners[1].name"] = "http-2"; $0[path: "spec.listeners[1].port"] = 443
            $0[path: "spec.listeners[1].protocol"] = "HTTPS"; $0[path: "spec.listeners[1].hostname"] = "*.example.com"
            $0[path: "spec.listeners[1].tls"] = ["certificateRefs": [["name": "c"]]] }
        #expect(duplicate.map(\.field) == ["spec.listeners[1]"])
        #expect(duplicate.first?.message.contains("Combination of port, protocol and hostname must be unique") == true)
        // Same port and protocol, one listener without hostname: distinct.
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[1].name"] = "http-2"; $0[path: "spec.listeners[1].port"] = 443
            $0[path: "spec.listeners[1].protocol"] = "HTTPS"; $0[path: "spec.listeners[1].tls"] = ["certificateRefs": [["name": "c"]]] } == [])
    }

    @Test("listener tls and allowedRoutes: mode and from enums, refs, options, kinds")
    func listenerTLSAndRoutes() throws {
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls.mode"] = "terminate" } == ["spec.listeners[0].tls.mode"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls.certificateRefs[0].namespace"] = "a_b" } == ["spec.listeners[0].tls.certificateRefs[0].namespace"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls.certificateRefs[0].name"] = "" } == ["spec.listeners[0].tls.certificateRefs[0].name"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].tls.options[example.com/big]"] = String(repeating: "o", count: 4097) } == ["spec.listeners[0].tls.options[example.com/big]"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].allowedRoutes.namespaces.from"] = "Everywhere" } == ["spec.listeners[0].allowedRoutes.namespaces.from"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.listeners[0].allowedRoutes.kinds[0].kind"] = "HTTP Route" } == ["spec.listeners[0].allowedRoutes.kinds[0].kind"])
    }

    @Test("addresses: IPs parsed properly, hostnames by pattern, unique, at most 16")
    func addresses() throws {
        for ok in ["192.168.0.1", "::1", "2001:db8::1", "::ffff:10.0.0.1", ""] {
            #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[0].value"] = ok } == [], "\(ok)")
        }
        for bad in ["1.1.1.½", "010.0.0.1", "256.1.1.1", "1.2.3", "fe80::1%eth0", "1::2::3", "example.com", "10.0.0.1\n", "10.0.0.1/8"] {
            #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[0].value"] = bad } == ["spec.addresses[0].value"], "\(bad.debugDescription)")
        }
        // type defaults to IPAddress.
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[0]"] = ["value": "not-an-ip"] } == ["spec.addresses[0].value"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[1].value"] = "*.gw.example.com" } == [])
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[1].value"] = "GW.example.com" } == ["spec.addresses[1].value"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[1]"] = ["type": "IPAddress", "value": "10.0.0.1"] } == ["spec.addresses[1].value"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[1].type"] = "Hostname\n" } == ["spec.addresses[1].type"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses[1].type"] = "example.com/custom"; $0[path: "spec.addresses[1].value"] = "anything" } == [])
        let many = (0..<17).map { ["value": "10.0.0.\($0)"] }
        #expect(try S.fields(S.gateway) { $0[path: "spec.addresses"] = many } == ["spec.addresses"])
    }

    @Test("infrastructure: label/annotation keys by CEL, values, counts, a local parametersRef")
    func infrastructure() throws {
        #expect(try S.fields(S.gateway) { $0[path: "spec.infrastructure.labels[a b]"] = "x" } == ["spec.infrastructure.labels[a b]"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.infrastructure.labels[team]"] = "a b" } == ["spec.infrastructure.labels[team]"])
        let longPrefix = String(repeating: "p", count: 253) + "/k"
        #expect(try S.fields(S.gateway) { $0[path: "spec.infrastructure.annotations[\(longPrefix)]"] = "x" } == ["spec.infrastructure.annotations[\(EchoedText.escaped(longPrefix))]"])
        let nine = Dictionary(uniqueKeysWithValues: (0..<9).map { ("k\($0)", "v") })
        #expect(try S.fields(S.gateway) { $0[path: "spec.infrastructure.labels"] = nine } == ["spec.infrastructure.labels"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.infrastructure.parametersRef.namespace"] = "other" } == ["spec.infrastructure.parametersRef.namespace"])
    }

    @Test("spec.tls: frontend default required, CA refs with group and kind, unique perPort ports, backend ref")
    func gatewayTLS() throws {
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.frontend.default"] = nil } == ["spec.tls.frontend.default"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.frontend.default.validation.caCertificateRefs"] = [Any]() } == ["spec.tls.frontend.default.validation.caCertificateRefs"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.frontend.default.validation.caCertificateRefs"] = [["name": "ca"]] }
                == ["spec.tls.frontend.default.validation.caCertificateRefs[0].group", "spec.tls.frontend.default.validation.caCertificateRefs[0].kind"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.frontend.default.validation.mode"] = "Strict" } == ["spec.tls.frontend.default.validation.mode"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.frontend.perPort[1]"] = ["port": 443, "tls": [String: Any]()] } == ["spec.tls.frontend.perPort[1].port"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.frontend.perPort[0].port"] = 70000 } == ["spec.tls.frontend.perPort[0].port"])
        #expect(try S.fields(S.gateway) { $0[path: "spec.tls.backend.clientCertificateRef.kind"] = "" } == ["spec.tls.backend.clientCertificateRef.kind"])
    }

    // MARK: HTTPRoute

    @Test("path matches: the CRD's CEL rules for Exact and PathPrefix, RegularExpression without control characters")
    func pathMatches() throws {
        let value = "spec.rules[0].matches[0].path.value"
        for ok in ["/", "/a;b", "/a$b'(c)*+,=:@!&~", "/a%20b", "/caf%C3%A9"] {
            #expect(try S.fields(S.httpRoute) { $0[path: value] = ok } == [], "\(ok)")
        }
        for bad in ["coffee", "//a", "/a/./b", "/a/../b", "/a%2fb", "/a%2Fb", "/a#b", "/a/..", "/a/.", "/a b", "/a\nb", "/a{b}", "/a\"b", "/½",
                    "/" + String(repeating: "a", count: 1024)] {
            #expect(try S.fields(S.httpRoute) { $0[path: value] = bad }.allSatisfy { $0 == value }, "\(bad.debugDescription)")
            #expect(try S.fields(S.httpRoute) { $0[path: value] = bad } != [], "\(bad.debugDescription)")
        }
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].path.type"] = "Regex" } == ["spec.rules[0].matches[0].path.type"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].path"] = ["type": "RegularExpression", "value": "^/a{2}(b|c)$"] } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].path"] = ["type": "RegularExpression", "value": "/a\n}"] } == [value])
        // Defaults: type PathPrefix, value "/".
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].path"] = ["type": "Exact"] } == [])
    }

    @Test("header and query matches: token names, the experimental value pattern, unique names, at most 16")
    func headerMatches() throws {
        let h = "spec.rules[0].matches[0].headers[0]"
        #expect(try S.fields(S.httpRoute) { $0[path: "\(h).value"] = #"{"a";$b#c}"# } == [])
        for bad in ["a\nb", "a\r\nserver { listen 80; }", " a", "a ", "a  b", "a\0", "é", ""] {
            #expect(try S.fields(S.httpRoute) { $0[path: "\(h).value"] = bad } == ["\(h).value"], "\(bad.debugDescription)")
        }
        #expect(try S.fields(S.httpRoute) { $0[path: "\(h).value"] = String(repeating: "v", count: 4097) } == ["\(h).value"])
        for bad in ["x env", "x:env", "x\nenv", ""] {
            #expect(try S.fields(S.httpRoute) { $0[path: "\(h).name"] = bad } == ["\(h).name"], "\(bad.debugDescription)")
        }
        #expect(try S.fields(S.httpRoute) { $0[path: "\(h).type"] = "Prefix" } == ["\(h).type"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].headers[1]"] = ["name": "x-env", "value": "b"] } == ["spec.rules[0].matches[0].headers[1].name"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].headers[1]"] = ["name": "X-Env", "value": "b"] } == [])
        let seventeen = (0..<17).map { ["name": "h\($0)", "value": "v"] }
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].headers"] = seventeen } == ["spec.rules[0].matches[0].headers"])
        let q = "spec.rules[0].matches[0].queryParams[0]"
        #expect(try S.fields(S.httpRoute) { $0[path: "\(q).name"] = "a=b" } == ["\(q).name"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(q).value"] = String(repeating: "q", count: 1025) } == ["\(q).value"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches[0].method"] = "get" } == ["spec.rules[0].matches[0].method"])
    }

    @Test("backendRefs: ports, weights 0–1,000,000, Service port required, names and namespaces")
    func backendRefs() throws {
        let b = "spec.rules[0].backendRefs[0]"
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).weight"] = 0 } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).weight"] = 1_000_000 } == [])
        for bad in [-1, 1_000_001, 1_000_000_000_000_000, Int.max, Int.min] {
            #expect(try S.fields(S.httpRoute) { $0[path: "\(b).weight"] = bad } == ["\(b).weight"], "\(bad)")
        }
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).port"] = 0 } == ["\(b).port"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).port"] = nil } == ["\(b).port"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).port"] = nil; $0[path: "\(b).kind"] = "Backend"; $0[path: "\(b).group"] = "example.com" } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).name"] = String(repeating: "n", count: 254) } == ["\(b).name"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(b).namespace"] = "Default" } == ["\(b).namespace"])
        let seventeen = Array(repeating: ["name": "coffee", "port": 80] as [String: Any], count: 17)
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].backendRefs"] = seventeen } == ["spec.rules[0].backendRefs"])
    }

    @Test("parentRefs and hostnames: schema, at most 32/16, the sectionName CEL rules")
    func parentRefsAndHostnames() throws {
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs[0].port"] = 65536 } == ["spec.parentRefs[0].port"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs[0].sectionName"] = "HTTPS" } == ["spec.parentRefs[0].sectionName"])
        // Two references to one Gateway: both name a section, different ones.
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs[1]"] = ["name": "gateway", "namespace": "default", "sectionName": "http"] } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs[1]"] = ["name": "gateway", "namespace": "default"] } == ["spec.parentRefs[1].sectionName"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs[1]"] = ["name": "gateway", "namespace": "default", "sectionName": "https"] } == ["spec.parentRefs[1].sectionName"])
        // Another namespace is another parent.
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs[1]"] = ["name": "gateway", "namespace": "other"] } == [])
        let many = (0..<33).map { ["name": "g\($0)"] }
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.parentRefs"] = many } == ["spec.parentRefs"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.hostnames[0]"] = "cafe.example.com\nserver_name x" } == ["spec.hostnames[0]"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.hostnames"] = (0..<17).map { "h\($0).example.com" } } == ["spec.hostnames"])
    }

    @Test("rules: 1–16, ≤ 64 matches each, ≤ 128 in all, names, filters, timeouts")
    func rules() throws {
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules"] = [Any]() } == ["spec.rules"])
        let rule: [String: Any] = ["matches": Array(repeating: ["path": ["value": "/"]], count: 60)]
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules"] = Array(repeating: rule, count: 2) } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules"] = Array(repeating: rule, count: 3) } == ["spec.rules"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules"] = Array(repeating: [String: Any](), count: 17) } == ["spec.rules"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].matches"] = Array(repeating: [String: Any](), count: 65) } == ["spec.rules[0].matches"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].name"] = "Coffee" } == ["spec.rules[0].name"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].filters[0].type"] = "Rewrite" } == ["spec.rules[0].filters[0].type"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].filters[1].type"] = "RequestHeaderModifier" } == ["spec.rules[0].filters[1].type"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].filters[1].type"] = "RequestMirror"; $0[path: "spec.rules[0].filters[2].type"] = "RequestMirror" } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].filters[0].type"] = "RequestRedirect" } == ["spec.rules[0].filters[0].type"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].backendRefs"] = nil
            $0[path: "spec.rules[0].filters"] = [["type": "RequestRedirect"], ["type": "URLRewrite"]] } == ["spec.rules[0].filters"])
        #expect(try S.fields(S.httpRoute) { $0[path: "spec.rules[0].backendRefs[0].filters[1].type"] = "ResponseHeaderModifier" } == ["spec.rules[0].backendRefs[0].filters[1].type"])
    }

    @Test("timeouts: durations by pattern, backendRequest ≤ request, no other keys")
    func timeouts() throws {
        let t = "spec.rules[0].timeouts"
        #expect(try S.fields(S.httpRoute) { $0[path: "\(t).request"] = "1h30m" } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(t).request"] = "10 s" } == ["\(t).request"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(t).request"] = "1d" } == ["\(t).request"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(t).backendRequest"] = "11s" } == ["\(t).backendRequest"])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(t).request"] = "0s"; $0[path: "\(t).backendRequest"] = "1h" } == [])
        #expect(try S.fields(S.httpRoute) { $0[path: "\(t).idle"] = "1s" } == ["\(t)[idle]"])
    }

    // MARK: BackendTLSPolicy

    @Test("BackendTLSPolicy: CA refs xor well-known CAs, hostname, SANs, targetRefs")
    func backendTLSPolicy() throws {
        let v = "spec.validation"
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).wellKnownCACertificates"] = "System" } == [v])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs"] = nil; $0[path: "\(v).wellKnownCACertificates"] = "System" } == [])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs"] = nil } == ["\(v).caCertificateRefs"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs"] = [Any]() } == ["\(v).caCertificateRefs"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs"] = nil; $0[path: "\(v).wellKnownCACertificates"] = "system" } == ["\(v).wellKnownCACertificates"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs[0]"] = ["name": "ca"] } == ["\(v).caCertificateRefs[0].group", "\(v).caCertificateRefs[0].kind"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs[0].namespace"] = "other" } == ["\(v).caCertificateRefs[0].namespace"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).caCertificateRefs"] = Array(repeating: ["group": "", "kind": "ConfigMap", "name": "ca"], count: 9) } == ["\(v).caCertificateRefs"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).hostname"] = "*.example.com" } == ["\(v).hostname"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(v).hostname"] = "" } == ["\(v).hostname"])
        let san = "\(v).subjectAltNames"
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(san)[0].hostname"] = nil } == ["\(san)[0].hostname"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(san)[0].uri"] = "spiffe://x" } == ["\(san)[0].uri"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(san)[1].uri"] = "not a uri" } == ["\(san)[1].uri"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(san)[1].uri"] = "spiffe://a\nb" } == ["\(san)[1].uri"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "\(san)[1].type"] = "IPAddress" } == ["\(san)[1].type", "\(san)[1].uri"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: san] = Array(repeating: ["type": "Hostname", "hostname": "a.example.com"], count: 6) } == [san])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "spec.targetRefs"] = [Any]() } == ["spec.targetRefs"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "spec.targetRefs[1]"] = ["group": "", "kind": "Service", "name": "secure-app"] } == ["spec.targetRefs[1].sectionName"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "spec.targetRefs[1]"] = ["group": "", "kind": "Service", "name": "secure-app", "sectionName": "https"] } == ["spec.targetRefs[1].sectionName"])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "spec.targetRefs[1]"] = ["group": "", "kind": "Service", "name": "other"] } == [])
        #expect(try S.fields(S.backendTLSPolicy) { $0[path: "spec.options"] = Dictionary(uniqueKeysWithValues: (0..<17).map { ("k\($0)", "v") }) } == ["spec.options"])
    }

    // MARK: Core kinds

    @Test("Secret: config keys, base64 data, 1 MiB, the keys of kubernetes.io/tls; contents never echoed")
    func secrets() throws {
        #expect(try S.fields(S.secret) { $0[path: "data[bad key]"] = "YQ==" } == ["data[bad key]"])
        #expect(try S.fields(S.secret) { $0[path: "stringData[..a]"] = "x" } == ["stringData[..a]"])
        let invalid = try S.edited(S.secret) { $0[path: "data[tls.key]"] = "c2VjcmV0IGtleQ=!" }
        #expect(invalid.map(\.field) == ["data[tls.key]"])
        #expect(invalid.allSatisfy { !$0.message.contains("c2VjcmV0") })
        #expect(try S.fields(S.secret) { $0[path: "data[tls.key]"] = nil } == ["data[tls.key]"])
        #expect(try S.fields(S.secret) { $0[path: "data[tls.key]"] = nil; $0[path: "stringData[tls.key]"] = "k" } == [])
        #expect(try S.fields(S.secret) { $0[path: "type"] = "Opaque"; $0[path: "data"] = [String: Any]() } == [])
        let big = String(repeating: "QUFB", count: 350_000)   // 1,050,000 bytes decoded
        #expect(try S.fields(S.secret) { $0[path: "data[big]"] = big } == ["data"])
        #expect(try S.fields(S.secret) { $0[path: "type"] = "kubernetes.io/dockerconfigjson" } == ["data[.dockerconfigjson]"])
        #expect(try S.fields(S.secret) { $0[path: "type"] = "kubernetes.io/dockerconfigjson"; $0[path: "stringData[.dockerconfigjson]"] = "[1]" } == ["data[.dockerconfigjson]"])
        #expect(try S.fields(S.secret) { $0[path: "type"] = "kubernetes.io/dockerconfigjson"; $0[path: "stringData[.dockerconfigjson]"] = "{}" } == [])
        #expect(try S.fields(S.secret) { $0[path: "type"] = "kubernetes.io/basic-auth" } == ["data[username]", "data[password]"])
        #expect(try S.fields(S.secret) { $0[path: "type"] = "kubernetes.io/service-account-token" } == ["metadata.annotations[kubernetes.io/service-account.name]"])
    }

    @Test("ConfigMap: config keys, no key in data and binaryData, base64 binaryData, 1 MiB")
    func configMaps() throws {
        #expect(try S.fields(S.configMap) { $0[path: "data[a/b]"] = "x" } == ["data[a/b]"])
        #expect(try S.fields(S.configMap) { $0[path: "binaryData[ca.crt]"] = "AAEC" } == ["data[ca.crt]"])
        #expect(try S.fields(S.configMap) { $0[path: "binaryData[blob.bin]"] = "not base64" } == ["binaryData[blob.bin]"])
        #expect(try S.fields(S.configMap) { $0[path: "data[big]"] = String(repeating: "x", count: 1024 * 1024) } == ["data"])
    }

    @Test("Service: ports 1–65535, names required and unique, protocols, target ports, clusterIP, type")
    func services() throws {
        let p = "spec.ports"
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].port"] = 0 } == ["\(p)[0].port"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].port"] = 65536 } == ["\(p)[0].port"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].name"] = nil } == ["\(p)[0].name"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[1]"] = nil; $0[path: "\(p)[0].name"] = nil } == [])
        #expect(try S.fields(S.service) { $0[path: "\(p)[1].name"] = "http" } == ["\(p)[1].name"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[1].name"] = "HTTPS" } == ["\(p)[1].name"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[1].port"] = 80 } == ["\(p)[1]"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[1].port"] = 80; $0[path: "\(p)[1].protocol"] = "UDP" } == [])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].protocol"] = "HTTP" } == ["\(p)[0].protocol"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].targetPort"] = 0 } == [])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].targetPort"] = 70000 } == ["\(p)[0].targetPort"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].targetPort"] = Int.max } == ["\(p)[0].targetPort"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].targetPort"] = "8080" } == ["\(p)[0].targetPort"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].targetPort"] = "http-alt-port-xy" } == ["\(p)[0].targetPort"])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].appProtocol"] = "h2c" } == [])
        #expect(try S.fields(S.service) { $0[path: "\(p)[0].appProtocol"] = "a b" } == ["\(p)[0].appProtocol"])
        #expect(try S.fields(S.service) { $0[path: "spec.clusterIP"] = "None" } == [])
        #expect(try S.fields(S.service) { $0[path: "spec.clusterIP"] = "10.96.0.010" } == ["spec.clusterIP"])
        #expect(try S.fields(S.service) { $0[path: "spec.type"] = "Internal" } == ["spec.type"])
        #expect(try S.fields(S.service) { $0[path: "spec.ports"] = nil } == ["spec.ports"])
        #expect(try S.fields(S.service) { $0[path: "spec.ports"] = nil; $0[path: "spec.clusterIP"] = "None" } == [])
    }

    @Test("EndpointSlice: address type, addresses per type, counts, ports; loopback admitted for standalone mode")
    func endpointSlices() throws {
        let a = "endpoints[0].addresses"
        #expect(try S.fields(S.endpointSlice) { $0[path: "addressType"] = "IP" } == ["addressType"])
        for bad in ["1.1.1.½", "010.1.2.3", "1.2.3.4.5", "::1", "10.0.0.1\n", "0.0.0.0", "169.254.169.254", "224.0.0.251"] {
            #expect(try S.fields(S.endpointSlice) { $0[path: "\(a)[1]"] = bad } == ["\(a)[1]"], "\(bad.debugDescription)")
        }
        #expect(try S.fields(S.endpointSlice) { $0[path: "addressType"] = "IPv6"; $0[path: a] = ["::1", "2001:db8::1"] } == [])
        for bad in ["10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "::", "ff02::1", "fe80::1%eth0"] {
            #expect(try S.fields(S.endpointSlice) { $0[path: "addressType"] = "IPv6"; $0[path: a] = [bad] } == ["\(a)[0]"], "\(bad)")
        }
        #expect(try S.fields(S.endpointSlice) { $0[path: "addressType"] = "FQDN"; $0[path: a] = ["backend.example.com"] } == [])
        #expect(try S.fields(S.endpointSlice) { $0[path: "addressType"] = "FQDN"; $0[path: a] = ["backend", "a_b.example.com"] } == ["\(a)[0]", "\(a)[1]"])
        #expect(try S.fields(S.endpointSlice) { $0[path: a] = [String]() } == [a])
        #expect(try S.fields(S.endpointSlice) { $0[path: a] = (0..<101).map { "10.0.0.\($0 % 250 + 1)" } } == [a])
        #expect(try S.fields(S.endpointSlice) { $0[path: "endpoints"] = Array(repeating: ["addresses": ["10.0.0.1"]], count: 1001) } == ["endpoints"])
        #expect(try S.fields(S.endpointSlice) { $0[path: "ports[0].port"] = 0 } == [])
        #expect(try S.fields(S.endpointSlice) { $0[path: "ports[0].port"] = 65536 } == ["ports[0].port"])
        #expect(try S.fields(S.endpointSlice) { $0[path: "ports[0].name"] = "Http" } == ["ports[0].name"])
        #expect(try S.fields(S.endpointSlice) { $0[path: "ports[1]"] = ["name": "http", "port": 1] } == ["ports[1].name"])
        #expect(try S.fields(S.endpointSlice) { $0[path: "ports[0].protocol"] = "tcp" } == ["ports[0].protocol"])
        #expect(try S.fields(S.endpointSlice) { $0[path: "ports"] = (0..<20_001).map { ["name": "p\($0)", "port": $0 % 65535 + 1] } } == ["ports"])
    }

    @Test("NginxProxy: workerProcesses 1–1024 or auto")
    func nginxProxy() throws {
        #expect(try S.fields(S.nginxProxy) { $0[path: "spec.workerProcesses"] = "auto" } == [])
        #expect(try S.fields(S.nginxProxy) { $0[path: "spec.workerProcesses"] = 1024 } == [])
        for bad: Any in [0, 1025, -1, Int.max, "4", "auto;", "max", ""] {
            #expect(try S.fields(S.nginxProxy) { $0[path: "spec.workerProcesses"] = bad } == ["spec.workerProcesses"], "\(bad)")
        }
    }

    // MARK: Reporting

    @Test("every violation is reported with its own path, in a stable order")
    func allViolationsReported() throws {
        let edit: (inout [String: Any]) -> Void = {
            $0[path: "metadata.name"] = "Bad Name"
            $0[path: "spec.listeners[0].port"] = 0
            $0[path: "spec.listeners[1].hostname"] = "a;b"
            $0[path: "spec.addresses[0].value"] = "1.1.1.½"
            $0[path: "spec.gatewayClassName"] = ""
        }
        let fields = try S.fields(S.gateway, edit)
        #expect(fields == ["metadata.name", "spec.gatewayClassName", "spec.listeners[0].port", "spec.listeners[1].hostname",
                           "spec.addresses[0].value"])
        #expect(try S.fields(S.gateway, edit) == fields)
    }

    @Test("messages say what is wrong like the API server, on one line, with hostile values escaped and cut")
    func messages() throws {
        let v = try S.edited(S.httpRoute) { $0[path: "spec.rules[0].matches[0].headers[0].value"] = "x\r\n}" + String(repeating: "A", count: 5000) }
        #expect(v.count == 2)
        #expect(v.allSatisfy { !$0.message.contains("\n") && !$0.message.contains("\r") && $0.message.count < 400 })
        #expect(v.contains { $0.message.hasPrefix(#"Invalid value: "x\r\n}AAA"#) && $0.message.hasSuffix("must be no more than 4096 characters") })
        #expect(v.contains { $0.message.hasSuffix(#"should match '^[!-~]+([\t ]?[!-~]+)*$'"#) })
        let name = try S.edited(S.gateway) { $0[path: "metadata.name"] = String(repeating: "a", count: 254) }
        #expect(name.map(\.description) == [#"metadata.name: Invalid value: "\#(String(repeating: "a", count: 64))…": must be no more than 253 characters"#])
        let port = try S.edited(S.gateway) { $0[path: "spec.listeners[0].port"] = 70000 }
        #expect(port.map(\.description) == ["spec.listeners[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"])
        let from = try S.edited(S.gateway) { $0[path: "spec.listeners[0].allowedRoutes.namespaces.from"] = "Any" }
        #expect(from.first?.message == #"Unsupported value: "Any": supported values: "All", "Selector", "Same""#)
    }

    @Test("hostile strings anywhere never trap and always yield single-line messages")
    func hostileStrings() throws {
        let hostile = ["", "a\nb", "}\n{", ";", "\"", "\0", "½", "１", "\u{202E}", "a\u{301}", String(repeating: "x", count: 70_000), "🙂", "%2f", "*.", "/../"]
        let paths = [
            (S.gateway, ["metadata.name", "metadata.namespace", "spec.gatewayClassName", "spec.listeners[0].name", "spec.listeners[0].hostname",
                         "spec.listeners[0].protocol", "spec.listeners[0].tls.mode", "spec.addresses[0].value", "spec.addresses[1].value",
                         "spec.addresses[0].type", "spec.infrastructure.labels[team]", "metadata.labels[app]"]),
            (S.httpRoute, ["spec.hostnames[0]", "spec.parentRefs[0].name", "spec.parentRefs[0].sectionName", "spec.rules[0].matches[0].path.value",
                           "spec.rules[0].matches[0].headers[0].name", "spec.rules[0].matches[0].headers[0].value", "spec.rules[0].timeouts.request",
                           "spec.rules[0].backendRefs[0].name", "spec.rules[0].filters[0].type"]),
            (S.backendTLSPolicy, ["spec.validation.hostname", "spec.validation.subjectAltNames[1].uri", "spec.targetRefs[0].kind"]),
            (S.endpointSlice, ["endpoints[0].addresses[0]", "addressType", "ports[0].name"]),
            (S.service, ["spec.ports[0].name", "spec.clusterIP", "spec.ports[1].targetPort"]),
            (S.secret, ["data[tls.crt]", "type"]),
            (S.configMap, ["binaryData[blob.bin]"]),
            (S.nginxProxy, ["spec.workerProcesses"]),
        ]
        for (sample, fields) in paths {
            for field in fields {
                for value in hostile {
                    let violations = try S.edited(sample) { $0[path: field] = value }
                    for v in violations {
                        #expect(!v.description.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202E}" }, "\(field): \(v)")
                        #expect(v.message.count < 1200, "\(field)")
                    }
                }
            }
        }
    }
}
