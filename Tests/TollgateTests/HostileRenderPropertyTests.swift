import Foundation
import Testing
import TollgateAdmission
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

/// Renders many random objects that admission lets through — hostile strings (every character a
/// CRD pattern allows, NGINX's special characters, the longest values), maximum lengths, random
/// IPv4/IPv6 endpoints — and checks for each: the real `nginx -t` accepts the Gateway's
/// configuration, and no user string appears anywhere but inside one quoted token (never bare,
/// never in a comment).
@Suite struct HostileRenderPropertyTests {
    static let iterations = 120

    @Test("random admission-valid objects render to configuration nginx -t accepts, user strings only quoted")
    func randomObjectsRenderSafely() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["TOLLGATE_PROPERTY_SEED"] ?? "") ?? 0x7011_6a7e
        var rng = SplitMix64(seed: seed)
        let shared = try DirectoryLoader().load(root: Fixtures.golden.appendingPathComponent("shared").path).store
        let vocabulary = try Self.templateVocabulary()
        var rendered = 0
        for iteration in 0..<Self.iterations {
            var gen = HostileGenerator(rng: rng)
            let objects = gen.objects()
            rng = gen.rng
            var store = shared
            var userStrings: Set<String> = []
            for o in objects {
                // Only what admission admits reaches the graph, as in the directory loader.
                guard Admission.review(o.object).isEmpty else { continue }
                store.upsert(o.object)
                userStrings.formUnion(o.strings)
            }
            let graph = GraphBuilder().build(store, now: Fixtures.defaultNow)
            var renderer = GatewayRenderer()
            let files = renderer.render(graph)
            #expect(renderer.lastRefusals.isEmpty, "seed \(seed) iteration \(iteration): the writer refused \(renderer.lastRefusals) — the graph accepted something NGINX cannot express")
            for (key, set) in files {
                rendered += 1
                let dir = try Processes.temporaryDirectory("property")
                defer { try? FileManager.default.removeItem(at: dir) }
                try set.write(to: dir.path)
                let problem = try Processes.nginxTest(configDirectory: dir)
                #expect(problem == nil, "seed \(seed) iteration \(iteration) \(key): nginx -t failed: \(problem ?? "")")
                for (path, file) in set.files where path.hasSuffix(".conf") {
                    let text = String(decoding: file.contents, as: UTF8.self)
                    let tokens = NginxTokens(text)
                    #expect(tokens.wellFormed, "seed \(seed) iteration \(iteration) \(key) \(path): unbalanced quotes")
                    let bare = tokens.bare.joined(separator: "\n")
                    let comments = tokens.comments.joined(separator: "\n")
                    for s in userStrings where Self.isDistinctive(s) && !vocabulary.contains(s) {
                        #expect(!bare.contains(s), "seed \(seed) iteration \(iteration) \(key) \(path): user string \(EchoedText.quoted(s)) appears outside a quoted token")
                        #expect(!comments.contains(s), "seed \(seed) iteration \(iteration) \(key) \(path): user string \(EchoedText.quoted(s)) appears in a comment")
                    }
                }
            }
        }
        // The property must have been exercised, not vacuously true.
        #expect(rendered >= Self.iterations / 2, "only \(rendered) Gateways rendered in \(Self.iterations) iterations")
    }

    /// Strings worth searching for: long enough not to occur by chance and holding a character
    /// that never appears in a derived identifier.
    static func isDistinctive(_ s: String) -> Bool {
        s.unicodeScalars.count >= 4 && s.unicodeScalars.contains { !($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "." || $0 == "_") }
    }

    /// The bare text Tollgate itself writes (`$host`, `/_tollgate/…`, `TLSv1.2`…), from the two
    /// guides: a user string that happens to equal part of it is not evidence of a leak.
    static func templateVocabulary() throws -> String {
        var bare: [String] = []
        for guide in ["frontend-mtls-guide", "backend-mtls-guide", "match-weights", "match-path-precedence"] {
            let load = try DirectoryLoader().load(roots: [Fixtures.golden.appendingPathComponent("shared").path,
                                                          Fixtures.golden.appendingPathComponent("\(guide)/input").path])
            var renderer = GatewayRenderer()
            for (_, set) in renderer.render(GraphBuilder().build(load.store, now: Fixtures.defaultNow)) {
                for (path, f) in set.files where path.hasSuffix(".conf") {
                    bare += NginxTokens(String(decoding: f.contents, as: UTF8.self)).bare
                }
            }
        }
        return bare.joined(separator: "\n")
    }
}

/// Random Gateway API objects built as JSON and decoded into the model, the way a manifest would
/// be, with the user strings each carries.
struct HostileGenerator {
    var rng: SplitMix64

    struct Generated {
        var object: AnyKubeObject
        var strings: [String]
    }

    /// Printable ASCII as the header value pattern allows (`[!-~]`), weighted towards NGINX's
    /// special characters.
    static let nasty = Array("\";{}#$'\\`()[]*+?^|.,=:@!&~%/<>".unicodeScalars)
    static let printable = (0x21...0x7E).compactMap(Unicode.Scalar.init)
    static let pathChars = Array("-ABCXYZabcxyz0189/._~!$&'()*+,;=:@".unicodeScalars)
    static let tokenChars = Array("!#$%&'*+-.^_`|~abcXYZ019".unicodeScalars)
    static let fragments = ["\";", "}", "{", "#", "$host", "${x}", "\\", "'", "\"", "server{listen 1;}", "return 200;", "$request_uri"]

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ a: [T]) -> T { a[int(0...(a.count - 1))] }

    mutating func dnsLabel(max: Int = 12) -> String {
        let alnum = Array("abcdefghijklmnopqrstuvwxyz0123456789".unicodeScalars)
        let n = int(1...max)
        var s = ""
        for i in 0..<n { s.unicodeScalars.append(i > 0 && i < n - 1 && chance(15) ? "-" : pick(alnum)) }
        return s
    }

    mutating func hostname() -> String {
        if chance(15) {
            // Near the 253-character limit.
            var labels: [String] = []
            while labels.joined(separator: ".").count < 240 { labels.append(String(repeating: "h", count: int(40...63))) }
            var h = labels.joined(separator: ".")
            while h.count > 253 { labels.removeLast(); h = labels.joined(separator: ".") }
            return h
        }
        let labels = (0..<int(2...4)).map { _ in dnsLabel() }
        return (chance(20) ? "*." : "") + labels.joined(separator: ".")
    }

    mutating func headerValue() -> String {
        var s = ""
        let n = chance(10) ? int(900...1200) : int(1...40)
        while s.unicodeScalars.count < n {
            if chance(20) { s += pick(Self.fragments).replacingOccurrences(of: " ", with: "") }
            else if chance(50) { s.unicodeScalars.append(pick(Self.nasty)) }
            else { s.unicodeScalars.append(pick(Self.printable)) }
            if chance(5) && !s.hasSuffix(" ") { s += " " }
        }
        return s.trimmingCharacters(in: .whitespaces)
    }

    mutating func path() -> String {
        if chance(5) { return "/_tollgate/" + dnsLabel() }
        var s = "/"
        let n = chance(5) ? int(900...1100) : int(0...24)
        while s.unicodeScalars.count < n {
            if chance(10) { s += String(format: "%%%02X", int(0x21...0x7E)) } else { s.unicodeScalars.append(pick(Self.pathChars)) }
        }
        return s
    }

    mutating func headerName() -> String {
        if chance(70) { return "x-" + dnsLabel(max: 8) }
        return String(String.UnicodeScalarView((0..<int(1...10)).map { _ in pick(Self.tokenChars) }))
    }

    mutating func address(_ v6: Bool) -> String {
        if v6 { return chance(50) ? "::1" : "fd00::" + String(int(1...0xFFFF), radix: 16) }
        return "127.0.\(int(0...255)).\(int(1...254))"
    }

    mutating func objects() -> [Generated] {
        var out: [Generated?] = []
        out.append(decode(["apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                           "metadata": ["name": "nginx"], "spec": ["controllerName": "tollgate.dev/gateway-controller"]], strings: []))
        var listeners: [[String: Any]] = []
        var strings: [String] = []
        for i in 0..<int(1...3) {
            var l: [String: Any] = ["name": "l\(i)", "port": 18000 + i, "protocol": "HTTP",
                                    "allowedRoutes": ["namespaces": ["from": "All"]]]
            if chance(60) { let h = hostname(); l["hostname"] = h; strings.append(h) }
            if chance(40) {
                l["protocol"] = "HTTPS"
                l["tls"] = ["mode": "Terminate", "certificateRefs": [["name": "cafe-tls"]]]
            }
            listeners.append(l)
        }
        out.append(decode(["apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                           "metadata": ["name": "gw", "namespace": "default"],
                           "spec": ["gatewayClassName": "nginx", "listeners": listeners]], strings: strings))
        var services: [String] = []
        for _ in 0..<int(1...3) {
            let name = "s" + dnsLabel(max: chance(10) ? 62 : 10)
            let v6 = chance(30)
            services.append(name)
            out.append(decode(["apiVersion": "v1", "kind": "Service", "metadata": ["name": name, "namespace": "default"],
                               "spec": ["ports": [["name": "http", "port": 80]]]], strings: []))
            let addrs = (0..<int(1...3)).map { _ in address(v6) }
            out.append(decode(["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                               "metadata": ["name": name + "-1", "namespace": "default", "labels": ["kubernetes.io/service-name": name]],
                               "addressType": v6 ? "IPv6" : "IPv4", "ports": [["name": "http", "port": int(1...65535)]],
                               "endpoints": [["addresses": addrs]]], strings: []))
        }
        for r in 0..<int(1...6) {
            var strings: [String] = []
            var rules: [[String: Any]] = []
            for _ in 0..<int(1...3) {
                var matches: [[String: Any]] = []
                for _ in 0..<int(1...4) {
                    var m: [String: Any] = [:]
                    if chance(80) {
                        let p = path()
                        strings.append(p)
                        m["path"] = ["type": chance(50) ? "Exact" : "PathPrefix", "value": p]
                    }
                    if chance(50) {
                        var headers: [[String: Any]] = []
                        for _ in 0..<int(1...3) {
                            let n = headerName(), v = headerValue()
                            strings.append(v)
                            headers.append(["name": n, "value": v])
                        }
                        m["headers"] = headers
                    }
                    matches.append(m)
                }
                let backends: [[String: Any]] = (0..<int(0...3)).map { _ in
                    ["name": pick(services), "namespace": "default", "port": 80, "weight": int(0...1_000_000)]
                }
                rules.append(["matches": matches, "backendRefs": backends])
            }
            var spec: [String: Any] = ["parentRefs": [["name": "gw", "namespace": "default"]], "rules": rules]
            if chance(60) {
                let hs = (0..<int(1...3)).map { _ in hostname() }
                strings += hs
                spec["hostnames"] = hs
            }
            let ns = chance(50) ? "default" : dnsLabel(max: chance(10) ? 63 : 8)
            out.append(decode(["apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                               "metadata": ["name": "r\(r)-" + dnsLabel(), "namespace": ns], "spec": spec], strings: strings))
        }
        return out.compactMap { $0 }
    }

    func decode(_ json: [String: Any], strings: [String]) -> Generated? {
        guard let data = try? JSONSerialization.data(withJSONObject: json) else { return nil }
        let d = JSONDecoder()
        let object: AnyKubeObject?
        switch json["kind"] as? String {
        case "GatewayClass": object = (try? d.decode(GatewayClass.self, from: data)).map(AnyKubeObject.gatewayClass)
        case "Gateway": object = (try? d.decode(Gateway.self, from: data)).map(AnyKubeObject.gateway)
        case "HTTPRoute": object = (try? d.decode(HTTPRoute.self, from: data)).map(AnyKubeObject.httpRoute)
        case "Service": object = (try? d.decode(Service.self, from: data)).map(AnyKubeObject.service)
        case "EndpointSlice": object = (try? d.decode(EndpointSlice.self, from: data)).map(AnyKubeObject.endpointSlice)
        default: object = nil
        }
        return object.map { Generated(object: $0, strings: strings) }
    }
}
