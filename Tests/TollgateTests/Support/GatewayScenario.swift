#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One HTTP Gateway (any namespace and name) routing `/` to a real NGINX backend that answers
/// `backend`, in a temporary directory, plus every `tollgate` process a test starts there.
/// `cleanUp()` stops them all (agents first, so each stops its NGINX), then any NGINX master
/// left under the directory, then the backend.
final class GatewayScenario: @unchecked Sendable {
    let directory: URL
    let state: URL
    let manifests: URL
    let namespace: String
    let name: String
    let gatewayPort: Int
    let backendPort: Int
    /// An HTTPS listener (port, and a self-signed certificate for `https.example.test`) that
    /// `writeManifests` adds when set (`addHTTPSListener`).
    private(set) var https: (port: Int, certificatePEM: String, keyPEM: String)?
    private var processes: [TollgateProcess] = []
    private var backend: RunningNginx?

    init(_ label: String, namespace: String = "default", name: String = "gw", gatewayPort: Int, backendPort: Int) throws {
        directory = try Processes.temporaryDirectory(label)
        state = directory.appendingPathComponent("state")
        manifests = directory.appendingPathComponent("manifests")
        self.namespace = namespace; self.name = name
        self.gatewayPort = gatewayPort; self.backendPort = backendPort
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
    }

    /// `NAMESPACE/NAME`.
    var gateway: String { "\(namespace)/\(name)" }
    var socket: String { state.appendingPathComponent("controller.sock").path }

    /// Starts `tollgate ARGS` with its output in `DIR/LOG.log`.
    func start(_ args: [String], log: String) throws -> TollgateProcess {
        let p = try TollgateProcess(args, log: directory.appendingPathComponent(log + ".log"))
        processes.append(p)
        return p
    }

    func startController(log: String = "controller") throws -> TollgateProcess {
        try start(["controller", "--manifests", manifests.path, "--state-dir", state.path], log: log)
    }

    /// A spawn-mode agent for the Gateway on `root`.
    func startAgent(root: String, log: String) throws -> TollgateProcess {
        try start(["agent", "--controller", "unix://" + socket, "--gateway", gateway, "--config-root", root, "--nginx", "spawn"], log: log)
    }

    /// Every log so far, for failure messages.
    var logs: String {
        processes.map { "==> \($0.log.lastPathComponent) <==\n\($0.output.suffix(4000))" }.joined(separator: "\n")
    }

    /// `eventually`, with every log in the failure.
    func wait(_ what: String, timeout: Double = 60, _ condition: () throws -> Bool) throws {
        do { try eventually(what, timeout: timeout, interval: 0.1, condition) } catch {
            throw TestFailure("\(error)\n\(logs)")
        }
    }

    /// From now on the Gateway also has an HTTPS listener on `port` for `https.example.test`
    /// (terminating TLS with a self-signed certificate made by openssl).
    func addHTTPSListener(port: Int) throws {
        let dir = directory.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let crt = dir.appendingPathComponent("tls.crt").path, key = dir.appendingPathComponent("tls.key").path
        let r = try Processes.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=https.example.test",
                                              "-addext", "subjectAltName=DNS:https.example.test", "-keyout", key, "-out", crt])
        guard r.status == 0, let c = Fixtures.read(URL(fileURLWithPath: crt)), let k = Fixtures.read(URL(fileURLWithPath: key)) else {
            throw TestFailure("openssl req failed: \(r.stderr)")
        }
        https = (port, c, k)
    }

    /// GatewayClass, Gateway (an HTTP listener on 127.0.0.1:gatewayPort, and the HTTPS one if
    /// added), an HTTPRoute for `path` and the backend Service with its EndpointSlice.
    func writeManifests(path: String = "/") throws {
        var httpsListener = "", secret = ""
        if let https {
            httpsListener = """

                  - name: https
                    port: \(https.port)
                    protocol: HTTPS
                    hostname: https.example.test
                    tls: {mode: Terminate, certificateRefs: [{name: https-cert}]}
                """
            secret = """
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: https-cert, namespace: \(namespace)}
                type: kubernetes.io/tls
                data:
                  tls.crt: \(Data(https.certificatePEM.utf8).base64EncodedString())
                  tls.key: \(Data(https.keyPEM.utf8).base64EncodedString())

                """
        }
        let yaml = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: nginx}
            spec: {controllerName: tollgate.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: \(name), namespace: \(namespace)}
            spec:
              gatewayClassName: nginx
              listeners:
              - {name: http, port: \(gatewayPort), protocol: HTTP}\(httpsListener)
              addresses: [{type: IPAddress, value: 127.0.0.1}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: app, namespace: \(namespace)}
            spec:
              parentRefs: [{name: \(name)}]
              rules:
              - matches: [{path: {type: PathPrefix, value: \(path)}}]
                backendRefs: [{name: app, port: 80}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: app, namespace: \(namespace)}
            spec:
              ports: [{name: http, port: 80, targetPort: 80}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: app-1, namespace: \(namespace), labels: {kubernetes.io/service-name: app}}
            addressType: IPv4
            ports: [{name: http, port: \(backendPort)}]
            endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]

            """ + secret
        try yaml.write(to: manifests.appendingPathComponent("gateway.yaml"), atomically: true, encoding: .utf8)
    }

    /// A real NGINX answering `backend` on 127.0.0.1:backendPort (foreground child of the test).
    func startBackend() throws {
        backend = try RunningNginx.textBackend(port: backendPort, directory: directory.appendingPathComponent("backend"))
    }

    /// The Gateway's `Programmed` condition status ("True", "False", or "" when absent).
    func programmed() throws -> String {
        let r = try tollgate(["status", "--state-dir", state.path, "-o", "json"])
        guard r.status == 0, let docs = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] else {
            throw TestFailure("status failed: \(r.stderr)")
        }
        for d in docs where d["kind"] as? String == "Gateway" {
            guard let meta = d["metadata"] as? [String: Any], meta["name"] as? String == name, meta["namespace"] as? String == namespace,
                  let status = d["status"] as? [String: Any], let conds = status["conditions"] as? [[String: Any]] else { continue }
            return conds.first { $0["type"] as? String == "Programmed" }?["status"] as? String ?? ""
        }
        return ""
    }

    /// The NGINX master serving config root `root` (found through /proc), if exactly one runs.
    static func nginxMaster(root: String) -> Int32? {
        let masters = pids(commandContaining: root + "/current/nginx.conf").filter { cmdline($0).hasPrefix("nginx: master process") }
        return masters.count == 1 ? masters.first : nil
    }

    static func cmdline(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    func cleanUp() {
        let agents = processes.filter { $0.process.arguments?.first == "agent" }
        for p in agents { p.stop() }
        for p in processes where !agents.contains(where: { $0 === p }) { p.stop() }
        for pid in pids(commandContaining: directory.path) where Self.cmdline(pid).contains("master process") {
            kill(pid, SIGTERM)
        }
        backend?.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
