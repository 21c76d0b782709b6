import Foundation
import Testing
import TollgateModel

/// Rendered configuration served by the real NGINX, with the examples' backends as real NGINX
/// servers (secure-app requires a client certificate, as in the guide), checked with curl and
/// openssl s_client.
extension ExamplePortsTests {
@Suite(.serialized) struct NginxIntegrationTests {
    static let coffeeURL = "https://cafe.example.com:8443/coffee"
    static let teaURL = "https://cafe.example.com:9443/tea"
    static let resolve8443 = "cafe.example.com:8443:127.0.0.1"
    static let resolve9443 = "cafe.example.com:9443:127.0.0.1"

    /// Runs `body` with the examples served; always stops every process.
    func withExamples(_ body: (ExampleEnvironment) throws -> Void) throws {
        let env = try ExampleEnvironment()
        defer { env.stop() }
        try body(env)
    }

    @Test("frontend guide: valid cert passes, other CA and no cert fail at the transport level, perPort override")
    func frontendGuide() throws {
        try withExamples { env in
            try env.serve()
            let fe = "frontend-mtls"
            let defaultCert = (env.pem(fe, "nginx-secret-default.crt"), env.pem(fe, "nginx-secret-default.key"))
            let perPortCert = (env.pem(fe, "nginx-secret-per-port.crt"), env.pem(fe, "nginx-secret-per-port.key"))

            let coffee = try Curl.get(Self.coffeeURL, resolve: Self.resolve8443, cert: defaultCert.0, key: defaultCert.1)
            #expect(coffee.status == "200" && coffee.body.contains("Server name: coffee") && coffee.body.contains("URI: /coffee"), "\(coffee)")
            #expect(coffee.httpVersion == "2", "HTTPS listeners negotiate HTTP/2 via ALPN: \(coffee)")

            // Port 9443 validates with the per-port CA: the default CA's client cert fails like the guide (curl 92).
            let teaWrongCA = try Curl.get(Self.teaURL, resolve: Self.resolve9443, cert: defaultCert.0, key: defaultCert.1)
            #expect(teaWrongCA.transportFailure && teaWrongCA.exitCode == 92, "\(teaWrongCA)")
            let teaWrongCAh1 = try Curl.get(Self.teaURL, resolve: Self.resolve9443, cert: defaultCert.0, key: defaultCert.1, http1: true)
            #expect(teaWrongCAh1.transportFailure, "\(teaWrongCAh1)")

            let tea = try Curl.get(Self.teaURL, resolve: Self.resolve9443, cert: perPortCert.0, key: perPortCert.1)
            #expect(tea.status == "200" && tea.body.contains("Server name: tea"), "\(tea)")

            let noCert = try Curl.get(Self.teaURL, resolve: Self.resolve9443)
            #expect(noCert.transportFailure, "\(noCert)")
            let otherCA = try Curl.get(Self.coffeeURL, resolve: Self.resolve8443, cert: env.pem(fe, "other-ca-client.crt"), key: env.pem(fe, "other-ca-client.key"))
            #expect(otherCA.transportFailure, "\(otherCA)")

            // A client without SNI completes TLS on the hostname-less listener and is routed by Host.
            let noSNI = try Curl.get("https://127.0.0.1:8443/coffee", host: "cafe.example.com", cert: defaultCert.0, key: defaultCert.1)
            #expect(noSNI.status == "200" && noSNI.body.contains("Server name: coffee"), "\(noSNI)")
            // A path no route serves is 404 (routes match whole segments: /coffeex is not /coffee).
            let segment = try Curl.get("https://cafe.example.com:8443/coffeex", resolve: Self.resolve8443, cert: defaultCert.0, key: defaultCert.1)
            #expect(segment.status == "404", "\(segment)")
            let sub = try Curl.get("https://cafe.example.com:8443/coffee/beans", resolve: Self.resolve8443, cert: defaultCert.0, key: defaultCert.1)
            #expect(sub.status == "200" && sub.body.contains("URI: /coffee/beans"), "\(sub)")
        }
    }

    @Test("AllowInsecureFallback requests a certificate but accepts every client")
    func insecureFallback() throws {
        try withExamples { env in
            var gw = try String(contentsOf: env.root.appendingPathComponent("frontend-mtls/gateway.yaml"), encoding: .utf8)
            gw = gw.replacingOccurrences(of: "mode: AllowValidOnly", with: "mode: AllowInsecureFallback")
            try env.write("frontend-mtls/gateway.yaml", gw)
            let graph = try env.serve()
            guard case .gateway(let st)? = graph.statuses[ObjectKey(kind: .gateway, namespace: "frontend-mtls", name: "gateway")] else {
                Issue.record("no gateway status"); return
            }
            #expect(st.conditions.first(ofType: ConditionType.insecureFrontendValidationMode)?.reason == Reason.configurationChanged)
            let fe = "frontend-mtls"
            let noCert = try Curl.get(Self.teaURL, resolve: Self.resolve9443)
            #expect(noCert.status == "200" && noCert.body.contains("Server name: tea"), "\(noCert)")
            let wrongCA = try Curl.get(Self.teaURL, resolve: Self.resolve9443, cert: env.pem(fe, "other-ca-client.crt"), key: env.pem(fe, "other-ca-client.key"))
            #expect(wrongCA.status == "200", "\(wrongCA)")
            // The certificate is still requested in the handshake.
            let sClient = try Processes.run("openssl", ["s_client", "-connect", "127.0.0.1:9443", "-servername", "cafe.example.com"], stdin: "")
            #expect(sClient.stdout.contains("Client Certificate Types") || sClient.stdout.contains("Acceptable client certificate CA names"), "\(sClient.stdout.prefix(400))")
            // Port 8443 still uses the default block (AllowValidOnly).
            let strict = try Curl.get(Self.coffeeURL, resolve: Self.resolve8443)
            #expect(strict.transportFailure, "\(strict)")
        }
    }

    static func sniGateway(disableSNIHostValidation: Bool, validation: Bool) -> String {
        var y = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: sni, namespace: frontend-mtls}
        spec:
          gatewayClassName: nginx
          listeners:
          - {name: cafe, port: 7443, protocol: HTTPS, hostname: cafe.example.com, tls: {certificateRefs: [{name: cafe-secret}]}}
          - {name: tea, port: 7443, protocol: HTTPS, hostname: tea.example.com, tls: {certificateRefs: [{name: cafe-secret}]}}

        """
        if disableSNIHostValidation {
            y += "  infrastructure: {parametersRef: {group: gateway.tollgate.dev, kind: NginxProxy, name: relaxed}}\n"
        }
        if validation {
            y += "  tls: {frontend: {default: {validation: {caCertificateRefs: [{group: \"\", kind: Secret, name: default-validation-ca-secret}]}}}}\n"
        }
        y += """
        ---
        apiVersion: gateway.tollgate.dev/v1alpha1
        kind: NginxProxy
        metadata: {name: relaxed, namespace: frontend-mtls}
        spec: {disableSNIHostValidation: true}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: sni-coffee, namespace: frontend-mtls}
        spec:
          parentRefs: [{name: sni, sectionName: cafe}]
          rules: [{backendRefs: [{name: coffee, port: 80}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: sni-tea, namespace: frontend-mtls}
        spec:
          parentRefs: [{name: sni, sectionName: tea}]
          rules: [{backendRefs: [{name: tea, port: 80}]}]

        """
        return y
    }

    @Test("SNI/Host: other listener 421, unknown host 404, unknown SNI refused; disableSNIHostValidation turns 421 off")
    func sniHostValidation() throws {
        try withExamples { env in
            try env.write("extra/sni.yaml", Self.sniGateway(disableSNIHostValidation: false, validation: false))
            try env.serve()
            let cafe = "cafe.example.com:7443:127.0.0.1"
            let ok = try Curl.get("https://cafe.example.com:7443/", resolve: cafe)
            #expect(ok.status == "200" && ok.body.contains("Server name: coffee"), "\(ok)")
            let misdirected = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "tea.example.com")
            #expect(misdirected.status == "421", "\(misdirected)")
            let unknownHost = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "unknown.example.org")
            #expect(unknownHost.status == "404", "\(unknownHost)")
            let unknownSNI = try Curl.get("https://other.example.org:7443/", resolve: "other.example.org:7443:127.0.0.1")
            #expect(unknownSNI.transportFailure, "unknown SNI must be refused at the handshake: \(unknownSNI)")
            let noSNI = try Curl.get("https://127.0.0.1:7443/", host: "cafe.example.com")
            #expect(noSNI.transportFailure, "without a hostname-less listener a client without SNI is refused: \(noSNI)")

            try env.write("extra/sni.yaml", Self.sniGateway(disableSNIHostValidation: true, validation: false))
            try env.serve()
            let relaxed = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "tea.example.com")
            #expect(relaxed.status == "200" && relaxed.body.contains("Server name: tea"), "\(relaxed)")

            // With client validation on the port, a different listener's Host is still 421.
            try env.write("extra/sni.yaml", Self.sniGateway(disableSNIHostValidation: false, validation: true))
            try env.serve()
            let c = (env.pem("frontend-mtls", "nginx-secret-default.crt"), env.pem("frontend-mtls", "nginx-secret-default.key"))
            let mtlsOK = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, cert: c.0, key: c.1)
            #expect(mtlsOK.status == "200", "\(mtlsOK)")
            let mtls421 = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "tea.example.com", cert: c.0, key: c.1)
            #expect(mtls421.status == "421", "\(mtls421)")
            let mtls404 = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "unknown.example.org", cert: c.0, key: c.1)
            #expect(mtls404.status == "404", "\(mtls404)")
            let mtlsNoCertUnknownHost = try Curl.get("https://cafe.example.com:7443/", resolve: cafe, host: "unknown.example.org")
            #expect(mtlsNoCertUnknownHost.transportFailure, "\(mtlsNoCertUnknownHost)")
        }
    }

    @Test("backend guide: plain HTTP to the TLS backend is 400; with the policy and client certificate the backend answers and logs SUCCESS")
    func backendGuide() throws {
        try withExamples { env in
            // Before BackendTLSPolicy and clientCertificateRef, as in the guide: the backend sees plain HTTP.
            try env.remove("backend-mtls/policy.yaml")
            try env.serve()
            let url = "http://secure-app.example.com:8080/"
            let resolve = "secure-app.example.com:8080:127.0.0.1"
            let plain = try Curl.get(url, resolve: resolve)
            #expect(plain.status == "400" && plain.body.contains("The plain HTTP request was sent to HTTPS port"), "\(plain)")

            try env.write("backend-mtls/policy.yaml", try String(contentsOf: Fixtures.examples.appendingPathComponent("backend-mtls/policy.yaml"), encoding: .utf8))
            try env.serve()
            let secure = try Curl.get(url, resolve: resolve)
            #expect(secure.status == "200" && secure.body == "hello from pod secure-app\n", "\(secure)")
            #expect(env.secureAppLog.contains("ssl_client_verify=SUCCESS ssl_client_subject=CN=gateway"), "\(env.secureAppLog)")
        }
    }

    @Test("backend TLS: hostname mismatch is 502, an invalid policy is 500 and never plain text")
    func backendTLSFailures() throws {
        try withExamples { env in
            let url = "http://secure-app.example.com:8080/"
            let resolve = "secure-app.example.com:8080:127.0.0.1"
            var policy = try String(contentsOf: Fixtures.examples.appendingPathComponent("backend-mtls/policy.yaml"), encoding: .utf8)
            policy = policy.replacingOccurrences(of: "hostname: secure-app.example.com", with: "hostname: wrong.example.com")
            try env.write("backend-mtls/policy.yaml", policy)
            try env.serve()
            let mismatch = try Curl.get(url, resolve: resolve)
            #expect(mismatch.status == "502", "\(mismatch)")

            policy = policy.replacingOccurrences(of: "hostname: wrong.example.com", with: "hostname: secure-app.example.com")
                .replacingOccurrences(of: "name: backend-cert", with: "name: does-not-exist")
            try env.write("backend-mtls/policy.yaml", policy)
            let graph = try env.serve()
            guard case .backendTLSPolicy(let ps)? = graph.statuses[ObjectKey(kind: .backendTLSPolicy, namespace: "backend-mtls", name: "backend-tls")] else {
                Issue.record("no policy status"); return
            }
            #expect(ps.ancestors.first?.conditions.first(ofType: ConditionType.accepted)?.reason == Reason.noValidCACertificate)
            let invalid = try Curl.get(url, resolve: resolve)
            #expect(invalid.status == "500", "\(invalid)")
            #expect(!invalid.body.contains("plain HTTP request"), "an invalid policy must never fall back to plain text")
        }
    }

    @Test("routing precedence: exact over prefix, longer prefix, header matches, case-sensitive paths, weights, missing backend 500")
    func routingPrecedence() throws {
        try withExamples { env in
            try env.write("extra/routes.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: plain, namespace: frontend-mtls}
            spec:
              gatewayClassName: nginx
              listeners: [{name: http, port: 7080, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: precedence, namespace: frontend-mtls}
            spec:
              parentRefs: [{name: plain}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /v2}}]
                backendRefs: [{name: coffee, port: 80}]
              - matches: [{path: {type: Exact, value: /v2}}]
                backendRefs: [{name: tea, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /v2}, headers: [{name: X-Env, value: canary}]}]
                backendRefs: [{name: tea, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /v2/api}}]
                backendRefs: [{name: tea, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /split}}]
                backendRefs: [{name: coffee, port: 80, weight: 1}, {name: tea, port: 80, weight: 1}]
              - matches: [{path: {type: PathPrefix, value: /only-coffee}}]
                backendRefs: [{name: coffee, port: 80, weight: 5}, {name: tea, port: 80, weight: 0}]
              - matches: [{path: {type: PathPrefix, value: /missing}}]
                backendRefs: [{name: nope, port: 80}]
            """)
            try env.serve()
            func server(_ path: String, _ headers: [String] = []) throws -> String {
                let r = try Curl.get("http://127.0.0.1:7080\(path)", extra: headers.flatMap { ["-H", $0] })
                if r.status != "200" { return r.status }
                return r.body.contains("Server name: coffee") ? "coffee" : r.body.contains("Server name: tea") ? "tea" : r.body
            }
            #expect(try server("/v2") == "tea")                       // Exact beats PathPrefix
            #expect(try server("/v2/x") == "coffee")                  // prefix
            #expect(try server("/v2x") == "404")                      // whole segments only
            #expect(try server("/V2/x") == "404")                     // case-sensitive
            #expect(try server("/v2/x", ["X-Env: canary"]) == "tea")  // more header matches first
            #expect(try server("/v2/x", ["x-env: canary"]) == "tea")  // header names are case-insensitive
            #expect(try server("/v2/x", ["X-Env: Canary"]) == "coffee") // values are not
            #expect(try server("/v2/api/y") == "tea")                 // longer prefix wins
            #expect(try server("/missing") == "500")
            var seen = Set<String>()
            for _ in 0..<40 { seen.insert(try server("/split")) }
            #expect(seen == ["coffee", "tea"], "weights 1:1 send traffic to both: \(seen)")
            for _ in 0..<10 { #expect(try server("/only-coffee") == "coffee") }
        }
    }

    @Test("hostile strings: CRD-valid paths and header values with NGINX's special characters match literally; an injected server block never loads")
    func hostileStringsServedLiterally() throws {
        try withExamples { env in
            try env.write("extra/hostile.yaml", #"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: plain, namespace: frontend-mtls}
            spec:
              gatewayClassName: nginx
              listeners: [{name: http, port: 7080, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: specials, namespace: frontend-mtls}
            spec:
              parentRefs: [{name: plain}]
              rules:
              - matches: [{path: {type: Exact, value: "/a;b"}}, {path: {type: PathPrefix, value: "/c$d"}}, {path: {type: Exact, value: "/x%20y"}}]
                backendRefs: [{name: coffee, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /h}, headers: [{name: X-Q, value: "a\";}{#$x"}]}]
                backendRefs: [{name: tea, port: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: inject, namespace: frontend-mtls}
            spec:
              parentRefs: [{name: plain}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /i}, headers: [{name: X-I, value: "x\nserver { listen 127.0.0.1:18099; root /; autoindex on; }\n#"}]}]
                backendRefs: [{name: coffee, port: 80}]
            """#)
            // Admission refuses the injection (the value has newlines), like kubectl apply would.
            try env.serve(expectingErrorsAt: ["spec.rules[0].matches[0].headers[0].value"])
            func server(_ path: String, _ headers: [String] = []) throws -> String {
                let r = try Curl.get("http://127.0.0.1:7080\(path)", extra: ["--path-as-is"] + headers.flatMap { ["-H", $0] })
                if r.status != "200" { return r.status }
                return r.body.contains("Server name: coffee") ? "coffee" : r.body.contains("Server name: tea") ? "tea" : r.body
            }
            #expect(try server("/a;b") == "coffee")
            #expect(try server("/a") == "404")
            #expect(try server("/c$d/e") == "coffee")
            #expect(try server("/x%20y") == "coffee")
            #expect(try server("/h/1", [#"X-Q: a";}{#$x"#]) == "tea")
            #expect(try server("/h/1", ["X-Q: a"]) == "404")
            // The injection attempt was refused by admission: nothing listens on its port.
            let injected = try Curl.get("http://127.0.0.1:18099/etc/")
            #expect(injected.transportFailure, "the injected server must not exist: \(injected)")
            #expect(try server("/i", ["X-I: x"]) == "404")
        }
    }
}
}
