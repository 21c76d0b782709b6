import Testing
import TollgateGraph

@Suite struct HostnameTests {
    @Test("listener/route hostname intersection follows the Gateway API")
    func intersection() {
        #expect(Hostnames.intersect(listener: nil, route: []) == [])
        #expect(Hostnames.intersect(listener: "cafe.example.com", route: []) == ["cafe.example.com"])
        #expect(Hostnames.intersect(listener: nil, route: ["a.example.com"]) == ["a.example.com"])
        #expect(Hostnames.intersect(listener: "*.example.com", route: ["a.example.com", "a.b.example.com", "example.com", "other.org"]) == ["a.example.com", "a.b.example.com"])
        #expect(Hostnames.intersect(listener: "cafe.example.com", route: ["*.example.com"]) == ["cafe.example.com"])
        #expect(Hostnames.intersect(listener: "*.example.com", route: ["*.a.example.com"]) == ["*.a.example.com"])
        #expect(Hostnames.intersect(listener: "*.a.example.com", route: ["*.example.com"]) == ["*.a.example.com"])
        #expect(Hostnames.intersect(listener: "cafe.example.com", route: ["tea.example.com"]) == nil)
    }

    @Test("hostname validity: RFC 1123 names and leading wildcards, not IP addresses")
    func validity() {
        #expect(Hostnames.isValid("cafe.example.com"))
        #expect(Hostnames.isValid("*.example.com"))
        #expect(!Hostnames.isValid("*.example.com", allowWildcard: false))
        #expect(!Hostnames.isValid("Cafe.example.com"))
        #expect(!Hostnames.isValid("10.0.0.1"))
        #expect(!Hostnames.isValid("a..b"))
        #expect(!Hostnames.isValid("-a.b"))
        #expect(!Hostnames.isValid("foo.*.com"))
    }
}
