import Testing
import TollgateAdmission

/// The reusable validators of TollgateAdmission, with valid, invalid and hostile values.
@Suite struct AdmissionValidatorTests {
    static let hostile = ["", " ", "a\nb", "a;b", "a{b", "a\"b", "a\0b", "½", "１２３", "ａ", "a\u{301}", "a b",
                          String(repeating: "a", count: 254), String(repeating: "a.", count: 200), "\u{202E}abc"]

    @Test("RFC 1123 labels")
    func dnsLabel() {
        for ok in ["a", "0", "my-name", "123-abc", String(repeating: "a", count: 63)] { #expect(DNSName.isLabel(ok), "\(ok)") }
        for bad in ["", "-a", "a-", "A", "a.b", "a_b", String(repeating: "a", count: 64)] + Self.hostile.filter({ $0 != "" }) {
            #expect(!DNSName.isLabel(bad), "\(bad.debugDescription)")
        }
        #expect(DNSName.labelProblems("a.b") == ["must not contain dots"])
        #expect(DNSName.labelProblems(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
    }

    @Test("RFC 1123 subdomains")
    func dnsSubdomain() {
        let long = Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".")   // 255
        for ok in ["a", "example.com", "a-b.c-d", "0.0.0.0", String(repeating: "a", count: 100), String(long.prefix(253))] {
            #expect(DNSName.isSubdomain(ok), "\(ok)")
        }
        for bad in ["", ".", "a.", ".a", "a..b", "-a.b", "a-.b", "A.b", "a_b", "*.a", long] + Self.hostile.filter({ $0 != String(repeating: "a", count: 254) }) {
            #expect(!DNSName.isSubdomain(bad), "\(bad.debugDescription)")
        }
        #expect(DNSName.subdomainProblems(String(repeating: "a", count: 254)) == ["must be no more than 253 characters"])
    }

    @Test("RFC 1035 labels start with a letter")
    func dns1035() {
        for ok in ["a", "coffee", "a-1", String(repeating: "s", count: 63)] { #expect(DNSName.isDNS1035Label(ok), "\(ok)") }
        for bad in ["1a", "", "-a", "a-", "a.b", String(repeating: "s", count: 64), "Coffee"] { #expect(!DNSName.isDNS1035Label(bad), "\(bad)") }
    }

    @Test("fully qualified domain names")
    func fqdn() {
        for ok in ["example.com", "example.com.", "a.b.c"] { #expect(DNSName.isFullyQualified(ok), "\(ok)") }
        for bad in ["", "example", "example.", String(repeating: "a", count: 64) + ".com", "a..com", "Example.com"] {
            #expect(!DNSName.isFullyQualified(bad), "\(bad)")
        }
    }

    @Test("Gateway API hostnames, with and without wildcard")
    func gatewayHostname() {
        for ok in ["cafe.example.com", "*.example.com", "localhost", "10.0.0.1", String(repeating: "a", count: 253)] {
            #expect(GatewayHostname.isValid(ok), "\(ok)")
        }
        for bad in ["", "*", "*.", "**.a", "a.*.com", "*a.com", "Cafe.example.com", "cafe.example.com.", "a..b", "-a", "a_b",
                    String(repeating: "a", count: 254)] + Self.hostile {
            #expect(!GatewayHostname.isValid(bad), "\(bad.debugDescription)")
        }
        #expect(!GatewayHostname.isValid("*.example.com", allowWildcard: false))
        #expect(GatewayHostname.isValid("example.com", allowWildcard: false))
    }

    @Test("qualified names: label and annotation keys")
    func qualifiedName() {
        for ok in ["app", "MyName", "my.name", "123-abc", "a_b", "example.com/MyName", "kubernetes.io/service-name",
                   String(repeating: "a", count: 63), String(repeating: "p", count: 253) + "/n"] {
            #expect(QualifiedName.isValid(ok), "\(ok)")
        }
        for bad in ["", "/", "/a", "a/", "a/b/c", "-a", "a-", "Example.com/a", String(repeating: "a", count: 64),
                    String(repeating: "p", count: 254) + "/n", "a b", "a\nb", "ä"] {
            #expect(!QualifiedName.isValid(bad), "\(bad.debugDescription)")
        }
        #expect(QualifiedName.problems("/a") == ["prefix part must be non-empty"])
        #expect(QualifiedName.problems("a/").first == "name part must be non-empty")
    }

    @Test("label values")
    func labelValue() {
        for ok in ["", "a", "MyValue", "my_value", "12345", "a.b-c_d", String(repeating: "v", count: 63)] { #expect(LabelValue.isValid(ok), "\(ok)") }
        for bad in ["-a", "a-", "_", "a b", "a/b", "a\nb", String(repeating: "v", count: 64), "½"] { #expect(!LabelValue.isValid(bad), "\(bad.debugDescription)") }
    }

    @Test("RFC 7230 tokens (header names)")
    func token() {
        for ok in ["x-env", "Content-Type", "!#$%&'*+-.^_`|~", "a1"] { #expect(HTTPToken.isToken(ok), "\(ok)") }
        for bad in ["", "a b", "a:b", "a\nb", "a\"b", "a(b)", "a{b", "a;b", "ä", "a\0"] { #expect(!HTTPToken.isToken(bad), "\(bad.debugDescription)") }
    }

    @Test("header match values: the experimental pattern, in one pass")
    func headerValue() {
        for ok in ["canary", "a b", "a\tb", "a b c", "{\"x\";}$#", "!"] { #expect(HTTPHeaderMatchValue.matchesPattern(ok), "\(ok.debugDescription)") }
        for bad in ["", " ", " a", "a ", "a  b", "a \tb", "a\nb", "a\r\nb", "a\0b", "é", "a\u{7F}"] {
            #expect(!HTTPHeaderMatchValue.matchesPattern(bad), "\(bad.debugDescription)")
        }
        // No catastrophic backtracking on a long almost-match.
        #expect(!HTTPHeaderMatchValue.matchesPattern(String(repeating: "a ", count: 100_000) + "\n"))
    }

    @Test("IPv4: dotted quad of ASCII decimals 0–255, no leading zeros")
    func ipv4() {
        #expect(IPAddressText.parseIPv4("10.1.2.3") == [10, 1, 2, 3])
        for ok in ["0.0.0.0", "127.0.0.1", "255.255.255.255", "1.10.100.200"] { #expect(IPAddressText.isIPv4(ok), "\(ok)") }
        for bad in ["1.1.1.½", "1.1.1.１", "１.1.1.1", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "00.0.0.0",
                    "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\n", "0x1.2.3.4", "1.2.3.-4", "+1.2.3.4",
                    "", "9999999999.1.1.1", String(repeating: "1", count: 10_000), "1.2.3.4/24", "::1", "1.2.3.4%eth0"] {
            #expect(!IPAddressText.isIPv4(bad), "\(bad.debugDescription)")
        }
    }

    @Test("IPv6: groups, one ::, IPv4 tail, no zone")
    func ipv6() {
        #expect(IPAddressText.parseIPv6("::1") == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddressText.parseIPv6("2001:db8::ff00:42:8329") == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29])
        #expect(IPAddressText.parseIPv6("::ffff:1.2.3.4").map(IPAddressText.isIPv4Mapped) == true)
        for ok in ["::", "::1", "1::", "fe80::1", "2001:DB8::1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
                   "::ffff:10.0.0.1", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "0000:0000:0000:0000:0000:0000:0000:0001"] {
            #expect(IPAddressText.isIPv6(ok), "\(ok)")
        }
        for bad in ["", ":", ":::", "1:::2", "1::2::3", ":1::", "1::2:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
                    "g::1", "fe80::1%eth0", "::1.2.3", "::01.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::1.2.3.4",
                    "::1.2.3.4:5", "1.2.3.4", "::½", "::１", "[::1]", " ::1", "::1\n", String(repeating: "1:", count: 5000)] {
            #expect(!IPAddressText.isIPv6(bad), "\(bad.debugDescription)")
        }
        #expect(IPAddressText.isIP("10.0.0.1") && IPAddressText.isIP("::1") && !IPAddressText.isIP("localhost"))
    }

    @Test("ports and IANA service names")
    func ports() {
        #expect(PortNumber.isValid(1) && PortNumber.isValid(65535))
        #expect(!PortNumber.isValid(0) && !PortNumber.isValid(65536) && !PortNumber.isValid(-1) && !PortNumber.isValid(Int.max) && !PortNumber.isValid(Int.min))
        for ok in ["http", "https", "h2c", "a-1", String(repeating: "a", count: 15)] { #expect(IANAServiceName.isValid(ok), "\(ok)") }
        for bad in ["", "8080", "-http", "http-", "ht--tp", "HTTP", "http_2", String(repeating: "a", count: 16), "½"] {
            #expect(!IANAServiceName.isValid(bad), "\(bad)")
        }
        #expect(IANAServiceName.problems("8080") == ["must contain at least one letter (a-z)"])
    }

    @Test("Gateway API path values (Exact, PathPrefix)")
    func paths() {
        for ok in ["/", "/coffee", "/a;b", "/a%20b", "/~user/x.y", "/a:b@c!$&'()*+,=", "/a..b", "/.well-known"] {
            #expect(GatewayPath.isValid(ok), "\(ok)")
        }
        let bad: [String: String] = [
            "coffee": "start with '/'", "//a": "'//'", "/a/./b": "'/./'", "/a/../b": "'/../'", "/a%2fb": "'%2f'",
            "/a%2Fb": "'%2F'", "/a#b": "'#'", "/a/..": "end with '/..'", "/a/.": "end with '/.'", "/a b": "valid characters",
            "/a\nb": "valid characters", "/a%zz": "valid characters", "/a%2": "valid characters", "/½": "valid characters",
            "/a\u{301}": "valid characters", "": "start with '/'", "/a{b}": "valid characters", "/a\"": "valid characters",
        ]
        for (value, message) in bad {
            let problems = GatewayPath.problems(value)
            #expect(problems.contains { $0.contains(message) }, "\(value.debugDescription): \(problems)")
        }
    }

    @Test("base64 as the API server decodes it")
    func base64() {
        #expect(Base64Text.decodedCount("") == 0)
        #expect(Base64Text.decodedCount("YQ==") == 1)
        #expect(Base64Text.decodedCount("YWI=") == 2)
        #expect(Base64Text.decodedCount("YWJj") == 3)
        #expect(Base64Text.decodedCount("YWJj\nZGVm\r\n") == 6)
        #expect(Base64Text.decodedCount("YQ=\n=") == 1)   // Go skips line breaks inside the padding too
        for bad in ["YQ", "YQ=", "Y===", "YQ==YQ==", "YW Jj", "YWJj\t", "YW-j", "YW_j", "====", "½½½½", "YQ==\n="] {
            #expect(!Base64Text.isValid(bad), "\(bad.debugDescription)")
        }
    }

    @Test("RFC 3339 timestamps")
    func timestamps() {
        for ok in ["2025-01-02T03:04:05Z", "2024-02-29T23:59:59Z", "2025-01-02T03:04:05.123456789Z", "2025-01-02T03:04:05+01:00",
                   "2025-01-02T03:04:05,5-23:59", "0000-01-01T00:00:00Z"] {
            #expect(RFC3339Timestamp.isValid(ok), "\(ok)")
        }
        for bad in ["", "2025-01-02", "2025-01-02 03:04:05Z", "2025-01-02t03:04:05z", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                    "2025-04-31T00:00:00Z", "2025-01-02T24:00:00Z", "2025-01-02T03:60:00Z", "2025-01-02T03:04:60Z",
                    "2025-01-02T03:04:05", "2025-01-02T03:04:05+24:00", "2025-01-02T03:04:05.Z", "2025-01-02T03:04:05Z\n",
                    "２025-01-02T03:04:05Z", "+2025-01-02T03:04:05Z", String(repeating: "9", count: 1000)] {
            #expect(!RFC3339Timestamp.isValid(bad), "\(bad.debugDescription)")
        }
    }

    @Test("Gateway API durations")
    func durations() {
        #expect(GatewayDuration.milliseconds("1h30m") == 5_400_000)
        #expect(GatewayDuration.milliseconds("500ms") == 500)
        #expect(GatewayDuration.milliseconds("1h1m1s1ms") == 3_661_001)
        #expect(GatewayDuration.milliseconds("0s") == 0)
        #expect(GatewayDuration.milliseconds("99999h") == 359_996_400_000)
        for bad in ["", "1", "1d", "1h1m1s1ms1h", "123456s", "1.5s", "-1s", "1 s", "s", "1hh", "½s", "1S"] {
            #expect(GatewayDuration.milliseconds(bad) == nil, "\(bad)")
        }
    }

    @Test("ConfigMap and Secret keys")
    func configKeys() {
        for ok in ["tls.crt", "ca.crt", "KEY_NAME", "key-name", ".dockercfg", "a..b"] { #expect(ConfigMapKey.isValid(ok), "\(ok)") }
        for bad in ["", ".", "..", "..a", "a/b", "a b", "a\nb", String(repeating: "k", count: 254), "ä"] {
            #expect(!ConfigMapKey.isValid(bad), "\(bad.debugDescription)")
        }
    }

    @Test("Gateway API string patterns")
    func gatewayAPIText() {
        #expect(GatewayAPIText.isGroup("") && GatewayAPIText.isGroup("gateway.networking.k8s.io") && !GatewayAPIText.isGroup("Gateway"))
        #expect(GatewayAPIText.isKind("HTTPRoute") && GatewayAPIText.isKind("a-1") && !GatewayAPIText.isKind("1a") && !GatewayAPIText.isKind("a-"))
        #expect(GatewayAPIText.isControllerName("tollgate.dev/gateway-controller") && GatewayAPIText.isControllerName("example.com/a/b~c"))
        #expect(!GatewayAPIText.isControllerName("tollgate") && !GatewayAPIText.isControllerName("/x") && !GatewayAPIText.isControllerName("a.dev/x y"))
        #expect(GatewayAPIText.isListenerProtocol("HTTPS") && GatewayAPIText.isListenerProtocol("example.com/MQTT"))
        #expect(!GatewayAPIText.isListenerProtocol("HTTP S") && !GatewayAPIText.isListenerProtocol("-HTTP") && !GatewayAPIText.isListenerProtocol("x/a/b"))
        #expect(GatewayAPIText.isAddressType("IPAddress") && GatewayAPIText.isAddressType("example.com/custom"))
        #expect(!GatewayAPIText.isAddressType("IPAddressx") && !GatewayAPIText.isAddressType("Hostname\n;"))
        #expect(GatewayAPIText.isWellKnownCACertificates("System") && GatewayAPIText.isWellKnownCACertificates("example.com/Bundle_1"))
        #expect(!GatewayAPIText.isWellKnownCACertificates("system") && !GatewayAPIText.isWellKnownCACertificates("example.com/-a"))
        #expect(GatewayAPIText.isSubjectAltNameURI("spiffe://cluster.local/ns/a") && GatewayAPIText.isSubjectAltNameURI("https://a"))
        #expect(!GatewayAPIText.isSubjectAltNameURI("spiffe:/x") && !GatewayAPIText.isSubjectAltNameURI("://x") && !GatewayAPIText.isSubjectAltNameURI("a://b\nc"))
        #expect(GatewayAPIText.infrastructureKeyProblems("example.com/a", what: "label") == [])
        #expect(GatewayAPIText.infrastructureKeyProblems("a b", what: "label").count == 1)
        #expect(GatewayAPIText.infrastructureKeyProblems(String(repeating: "a", count: 253) + "/b", what: "label").count == 1)
    }

    @Test("echoed values are escaped and shortened; field paths escape map keys")
    func echo() {
        #expect(EchoedText.quoted("a\nb\"c\\d\0\u{1B}\u{202E}") == #""a\nb\"c\\d\0\u{1B}\u{202E}""#)
        #expect(EchoedText.quoted("½é") == "\"½é\"")
        let long = EchoedText.quoted(String(repeating: "x", count: 1_000_000))
        #expect(long.count == 64 + 3)
        #expect(FieldPath("spec").child("listeners").index(2).child("name").description == "spec.listeners[2].name")
        #expect(FieldPath("metadata").child("labels").key("a\nb").description == #"metadata.labels[a\nb]"#)
        #expect(FieldViolation.invalid(FieldPath("x"), "a\nb", "bad").description == #"x: Invalid value: "a\nb": bad"#)
    }
}
