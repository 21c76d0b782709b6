#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TollgateAgent
import TollgateControlPlane
import TollgateModel
import TollgateSnapshot

/// Paths the agent and the standalone supervisor derive from Gateway names and config roots stay
/// within the limits of the system (107 bytes for a Unix socket path, 255 bytes per file name
/// component) for the longest names Kubernetes allows. Ports 17500–17599 only.
@Suite(.serialized) struct AgentPathTests {
    /// A 63-character namespace (the DNS label limit) and a 253-character Gateway name (the DNS
    /// subdomain limit).
    static let longNamespace = "ns-" + String(repeating: "n", count: 59) + "1"
    static let longName = [String(repeating: "a", count: 63), String(repeating: "b", count: 63),
                           String(repeating: "c", count: 63), String(repeating: "d", count: 61)].joined(separator: ".")

    @Test("a Gateway with a 253-character name in a 63-character namespace becomes Programmed through standalone and serves")
    func longGatewayNameThroughStandalone() throws {
        #expect(Self.longNamespace.utf8.count == 63 && Self.longName.utf8.count == 253)
        let s = try GatewayScenario("long-name", namespace: Self.longNamespace, name: Self.longName, gatewayPort: 17510, backendPort: 17511)
        defer { s.cleanUp() }
        try s.writeManifests()
        try s.startBackend()
        let standalone = try s.start(["standalone", "--manifests", s.manifests.path, "--state-dir", s.state.path], log: "standalone")
        try s.wait("the long-named Gateway serves the backend and is Programmed") {
            try Curl.get("http://127.0.0.1:\(s.gatewayPort)/").body == "backend\n" && s.programmed() == "True"
        }
        #expect(!standalone.output.contains("exited (status"), "the agent never exited:\n\(standalone.output)")
        // Every name the supervisor and the agent created fits a file name component.
        let long = Self.components(under: s.state.path).filter { $0.utf8.count > 255 }
        #expect(long.isEmpty, "components over 255 bytes: \(long)")
    }

    @Test("Gateway components: plain names as before, the longest names bounded, distinct Gateways distinct")
    func gatewayComponents() throws {
        #expect(StateDirectory.component(gateway: "default/gw") == "default__gw")
        #expect(StateDirectory.component(gateway: "frontend-mtls/gateway") == "frontend-mtls__gateway")
        let state = StateDirectory(path: "/var/lib/tollgate")
        #expect(state.agentRoot(gateway: GatewayRef(namespace: "default", name: "gw")) == "/var/lib/tollgate/gateways/default__gw")
        #expect(state.agentLog(gateway: GatewayRef(namespace: "default", name: "gw")) == "/var/lib/tollgate/logs/agent-default__gw.log")

        let longest = Self.longNamespace + "/" + Self.longName
        let c = StateDirectory.component(gateway: longest)
        #expect(c.utf8.count <= StateDirectory.maxComponentBytes, "\(c)")
        #expect(c.hasPrefix("ns-nnnnnnnnnnnnnnnnn__aaaa"), "a readable prefix: \(c)")
        for path in [state.agentRoot(gateway: GatewayRef(parsing: longest)!), state.agentLog(gateway: GatewayRef(parsing: longest)!)] {
            #expect(path.split(separator: "/").allSatisfy { $0.utf8.count <= 255 }, "\(path)")
        }

        // Near-collisions: separators, underscores, case, a hashed component spelled as a name,
        // names differing only at their end, the plain/hashed length boundary.
        let hashedSpelling = StateDirectory.component(gateway: longest).replacingOccurrences(of: "__", with: "/")
        let plainLimit = StateDirectory.maxComponentBytes - "default__".utf8.count
        var gateways = ["a/b-c", "a-b/c", "a/b_c", "a_b/c", "a/b__c", "a__b/c", "a/b", "a/B", "A/b", "a/b.", "a/", "/a", "a",
                        "a/b/c", "a/b c", hashedSpelling, longest, Self.longNamespace + "/" + Self.longName.dropLast() + "e",
                        "default/" + String(repeating: "x", count: plainLimit), "default/" + String(repeating: "x", count: plainLimit + 1)]
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-.")
            let n = Int.random(in: 1...63, using: &random), m = Int.random(in: 1...253, using: &random)
            gateways.append(String((0..<n).map { _ in alphabet[Int.random(in: 0..<36, using: &random)] }) + "/"
                            + String((0..<m).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }))
        }
        gateways = Array(Set(gateways))
        let components = gateways.map { StateDirectory.component(gateway: $0) }
        #expect(Set(components).count == gateways.count, "distinct Gateways, distinct components")
        let bad = components.filter { $0.utf8.count > StateDirectory.maxComponentBytes || $0.contains("/") || $0.isEmpty || $0 == "." || $0 == ".." }
        #expect(bad.isEmpty, "\(bad)")
    }

    @Test("probe socket paths fit a Unix socket address for any config root, and differ per root")
    func probeSocketPaths() throws {
        #if os(Linux)
        #expect(UnixSocketLimit.maxPathBytes == 107)
        #endif
        let short = ConfigRoot(path: "/srv/tollgate/root")
        #expect(short.probeSocket == "/srv/tollgate/root/runtime/probe.sock", "a short root keeps its socket in runtime/")

        var sockets: [String: String] = [:]
        for length in [1, 50, 85, 86, 87, 88, 100, 107, 200, 255, 1000, 3000] {
            for variant in ["a", "b"] {
                let root = ConfigRoot(path: "/" + String(repeating: "r", count: length) + variant)
                let socket = root.probeSocket
                #expect(socket.utf8.count <= UnixSocketLimit.maxPathBytes, "\(socket.utf8.count) bytes for a root of \(root.path.utf8.count)")
                #expect(socket.hasSuffix("/probe.sock"))
                #expect(sockets.updateValue(root.path, forKey: socket) == nil, "\(socket) is shared by two roots")
            }
        }
        // Exactly at the limit the direct path is kept; one byte more and the alias is used.
        let fits = "/" + String(repeating: "f", count: UnixSocketLimit.maxPathBytes - "/runtime/probe.sock".utf8.count - 1)
        #expect(ConfigRoot(path: fits).probeSocket == fits + "/runtime/probe.sock")
        #expect(ConfigRoot(path: fits + "f").probeSocket.hasPrefix("/tmp/tollgate-"))
        // A character NGINX would read as a token boundary also takes the alias.
        #expect(ConfigRoot(path: "/srv/a b;c/root").probeSocket.hasPrefix("/tmp/tollgate-"))
    }

    @Test("a config root too long for its probe socket: the alias is made, NGINX binds through it, the probe answers, and a removed alias is made again")
    func longConfigRootServes() async throws {
        let base = try Processes.temporaryDirectory("long-root")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = ConfigRoot(path: base.path + "/" + String(repeating: "r", count: 120))
        #expect((root.runtimeDirectory + "/probe.sock").utf8.count > UnixSocketLimit.maxPathBytes)
        // The alias of a root deleted earlier goes when a new alias is made.
        let aliases = "/tmp/tollgate-\(geteuid())"
        try FileManager.default.createDirectory(atPath: aliases, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let dangling = aliases + "/00000000deadbeef"
        unlink(dangling)
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: base.path + "/gone/runtime")
        let nginx = NginxProcess(mode: .spawn(binary: NginxBinary(), root: root))
        let applier = ConfigApplier(root: root, nginx: nginx)
        let files = Self.files(port: 17530)
        let o = await applier.apply(version: 1, digest: files.digest, files: files)
        #expect(o.result == .applied, "\(o.result)")
        let served = try? Curl.get("http://127.0.0.1:17530/").body
        #expect(served == "long root\n")
        let probe = VersionProbe(socketPath: root.probeSocket)
        #expect(await probe.query() == VersionProbe.Answer(version: 1, digest: files.digest))
        #expect(Self.readLink(dangling) == nil, "the dangling alias was removed")
        var st = stat()
        #expect(lstat(root.runtimeDirectory + "/probe.sock", &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK, "the socket file is in the runtime directory")

        // Something cleaned /tmp: the next apply makes the alias again; NGINX's socket was never gone.
        let alias = (root.probeSocket as NSString).deletingLastPathComponent
        #expect(unlink(alias) == 0)
        #expect(await probe.query() == nil)
        let again = await applier.apply(version: 1, digest: files.digest, files: files)
        #expect(again.result == .applied, "\(again.result)")
        #expect(await probe.query()?.version == 1)
        await nginx.stop(timeout: .seconds(5))
    }

    @Test("a state directory too long for its socket is refused with a clear error, before anything is created or started")
    func stateDirectoryTooLong() throws {
        let base = try Processes.temporaryDirectory("long-state")
        defer { try? FileManager.default.removeItem(at: base) }
        let long = base.path + "/" + String(repeating: "s", count: 100)
        #expect(throws: StateDirectoryError.self) { try StateDirectory(path: long).prepare() }
        #expect(!FileManager.default.fileExists(atPath: long))
        let r = try tollgate(["standalone", "--manifests", base.path, "--state-dir", long])
        #expect(r.status != 0 && r.stderr.contains("is too long") && r.stderr.contains("use a shorter --state-dir"), "\(r.stderr)")
        #expect(throws: AgentError.self) { try ControllerAddress(parsing: "unix://" + long + "/controller.sock") }
    }

    /// A tree serving `long root` on 127.0.0.1:`port`, with the agent's include.
    static func files(port: Int) -> FileSet {
        var set = FileSet()
        set.files["nginx.conf"] = RenderedFile("""
            worker_processes 1;
            pid nginx.pid;
            error_log error.log notice;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path client_body_temp;
                proxy_temp_path proxy_temp;
                fastcgi_temp_path fastcgi_temp;
                uwsgi_temp_path uwsgi_temp;
                scgi_temp_path scgi_temp;
                server {
                    listen 127.0.0.1:\(port);
                    location / { default_type text/plain; return 200 "long root\\n"; }
                }
                include agent/*.conf;
            }

            """)
        return set
    }

    static func readLink(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    /// Every file name component under `dir`.
    static func components(under dir: String) -> Set<String> {
        var out = Set<String>()
        guard let e = FileManager.default.enumerator(atPath: dir) else { return out }
        while let rel = e.nextObject() as? String { out.formUnion(rel.split(separator: "/").map(String.init)) }
        return out
    }
}
