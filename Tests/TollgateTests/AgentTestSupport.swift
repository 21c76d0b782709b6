#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TollgateAgent
import TollgateNginx
import TollgateSnapshot

/// A config root, a spawn-mode NGINX and an applier in a temporary directory, for agent tests.
struct AgentHarness: Sendable {
    let directory: URL
    let root: ConfigRoot
    let nginx: NginxProcess
    let applier: ConfigApplier
    static let port = 17080

    init() throws {
        directory = try Processes.temporaryDirectory("agent")
        root = ConfigRoot(path: directory.appendingPathComponent("root").path)
        nginx = NginxProcess(mode: .spawn(binary: NginxBinary(), root: root))
        applier = ConfigApplier(root: root, nginx: nginx)
    }

    /// A second agent on the same root (as after the agent process restarted).
    func restarted() -> AgentHarness { AgentHarness(copying: self) }

    private init(copying other: AgentHarness) {
        directory = other.directory
        root = other.root
        nginx = NginxProcess(mode: .spawn(binary: NginxBinary(), root: root))
        applier = ConfigApplier(root: root, nginx: nginx)
    }

    /// Runs `body`, then always stops NGINX and removes the directory.
    static func with(_ body: (AgentHarness) async throws -> Void) async throws {
        let h = try AgentHarness()
        do {
            try await body(h)
        } catch {
            await h.cleanUp(); throw error
        }
        await h.cleanUp()
    }

    func cleanUp() async {
        await nginx.stop(timeout: .seconds(5))
        try? FileManager.default.removeItem(at: directory)
    }

    /// A minimal tree laid out like the renderer's: `nginx.conf` includes `http.conf`, which
    /// serves `body` on 127.0.0.1:17080 and ends with `include agent/*.conf;`, plus a key file.
    static func files(body: String, extraServer: String = "", extraDirective: String = "", key: String = "secret-1") -> FileSet {
        var set = FileSet()
        set.files["nginx.conf"] = RenderedFile("""
            # Main configuration (test).
            worker_processes 1;
            pid nginx.pid;
            error_log error.log notice;

            events {
                worker_connections 64;
            }

            http {
                include http.conf;
            }

            """)
        set.files["http.conf"] = RenderedFile("""
            # HTTP configuration (test).
            access_log access.log;
            client_body_temp_path client_body_temp;
            proxy_temp_path proxy_temp;
            fastcgi_temp_path fastcgi_temp;
            uwsgi_temp_path uwsgi_temp;
            scgi_temp_path scgi_temp;
            \(extraDirective)
            include servers/*.conf;
            # Files the agent adds next to the rendered ones (version probe).
            include agent/*.conf;

            """)
        set.files["servers/main.conf"] = RenderedFile("""
            server {
                listen 127.0.0.1:\(port);
                location / {
                    default_type text/plain;
                    return 200 "\(body)\\n";
                }
            }
            \(extraServer)
            """)
        set.files["certs/site.key"] = RenderedFile("-----BEGIN PRIVATE KEY-----\n\(key)\n-----END PRIVATE KEY-----\n", mode: 0o600)
        return set
    }

    var probe: VersionProbe { VersionProbe(socketPath: root.probeSocket) }

    /// The body NGINX serves on the test port (trimmed), or the curl failure.
    func served() throws -> String {
        let r = try Curl.get("http://127.0.0.1:\(Self.port)/")
        return r.status == "200" ? r.body.trimmingCharacters(in: .whitespacesAndNewlines) : "curl: \(r)"
    }

    /// Names in `versions/`.
    func versionDirectories() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.versionsDirectory)) ?? []).sorted()
    }

    /// The target of `current`.
    func currentTarget() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: root.currentLink)
    }
}

/// Holds a loopback TCP port in LISTEN state so NGINX cannot bind it.
final class PortBlocker: @unchecked Sendable {
    private(set) var fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw TestFailure("cannot hold port \(port): errno \(errno)")
        }
    }

    func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }
}
