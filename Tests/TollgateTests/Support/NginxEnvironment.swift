import Foundation
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

/// A real NGINX serving one rendered Gateway directory, run in the foreground as a child of the
/// test (a daemonizing NGINX keeps Foundation from ever seeing its launcher exit).
final class RunningNginx: @unchecked Sendable {
    let prefix: URL
    let configDirectory: URL
    let process: Process

    init(prefix: URL, configDirectory: URL, process: Process) {
        self.prefix = prefix; self.configDirectory = configDirectory; self.process = process
    }

    static func start(configDirectory: URL, prefix: URL) throws -> RunningNginx {
        try start(configFile: configDirectory.appendingPathComponent("nginx.conf"), prefix: prefix)
    }

    /// Starts NGINX and waits until it has bound its sockets (it writes the pid file after
    /// binding). Throws with NGINX's own error output.
    static func start(configFile: URL, prefix: URL) throws -> RunningNginx {
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        let log = prefix.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["nginx", "-p", prefix.path + "/", "-e", prefix.appendingPathComponent("error.log").path, "-c", configFile.path, "-g", "daemon off;"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        let pid = prefix.appendingPathComponent("nginx.pid").path
        for _ in 0..<250 {
            if !p.isRunning {
                throw TestFailure("nginx exited with \(p.terminationStatus): \(Fixtures.read(log) ?? "")")
            }
            if FileManager.default.fileExists(atPath: pid) { return RunningNginx(prefix: prefix, configDirectory: configFile.deletingLastPathComponent(), process: p) }
            usleep(20_000)
        }
        p.terminate()
        throw TestFailure("nginx did not start: \(Fixtures.read(log) ?? "")")
    }

    /// Fast shutdown (SIGTERM) and wait.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    var errorLog: String { Fixtures.read(prefix.appendingPathComponent("error.log")) ?? "" }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The two example guides with freshly generated certificates, their backends running as a real
/// NGINX, and helpers to render and serve Gateways from the example manifests plus overrides.
final class ExampleEnvironment: @unchecked Sendable {
    let root: URL
    let backendsRun: URL
    private var backends: RunningNginx?
    private var gateways: [RunningNginx] = []

    /// Copies the examples into a temporary root, generates certificates and starts the backends.
    init() throws {
        root = try Processes.temporaryDirectory("examples")
        let gen = try Processes.run("bash", [Fixtures.examples.appendingPathComponent("make-certs.sh").path, "--out-root", root.path])
        guard gen.status == 0 else { throw TestFailure("make-certs.sh failed: \(gen.stderr)") }
        backendsRun = root.appendingPathComponent("run/backends")
        let config = try Processes.run("bash", [Fixtures.repositoryRoot.appendingPathComponent("scripts/backends.sh").path, "config", root.path, backendsRun.path])
        guard config.status == 0 else { throw TestFailure("backends.sh config failed: \(config.stderr)") }
        backends = try RunningNginx.start(configFile: URL(fileURLWithPath: config.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), prefix: backendsRun)
    }

    /// Adds (or replaces, same file name) a manifest file in a guide's folder.
    func write(_ relativePath: String, _ yaml: String) throws {
        let url = root.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try yaml.write(to: url, atomically: true, encoding: .utf8)
    }

    func remove(_ relativePath: String) throws { try FileManager.default.removeItem(at: root.appendingPathComponent(relativePath)) }

    /// Loads everything, renders every accepted Gateway and starts one NGINX per Gateway. Manifest
    /// errors fail the test unless their fields are listed in `expectingErrorsAt` (each must occur).
    @discardableResult
    func serve(expectingErrorsAt expected: Set<String> = []) throws -> Graph {
        stopGateways()
        let load = try DirectoryLoader().load(roots: [root.appendingPathComponent("frontend-mtls").path,
                                                      root.appendingPathComponent("backend-mtls").path,
                                                      root.appendingPathComponent("extra").path].filter { FileManager.default.fileExists(atPath: $0) })
        guard Set(load.errors.map(\.field)) == expected else { throw TestFailure("manifest errors: \(load.errors), expected errors at \(expected.sorted())") }
        let graph = GraphBuilder().build(load.store, now: Date())
        var renderer = GatewayRenderer()
        for (key, files) in renderer.render(graph) {
            let dir = root.appendingPathComponent("rendered/\(key.namespace)/\(key.name)")
            try? FileManager.default.removeItem(at: dir)
            try files.write(to: dir.path)
            gateways.append(try RunningNginx.start(configDirectory: dir, prefix: root.appendingPathComponent("run/\(key.namespace)-\(key.name)")))
        }
        return graph
    }

    func stopGateways() {
        for g in gateways { g.stop() }
        gateways = []
    }

    func stop() {
        stopGateways()
        backends?.stop()
        try? FileManager.default.removeItem(at: root)
    }

    func pem(_ guide: String, _ name: String) -> String {
        root.appendingPathComponent("\(guide)/generated/pem/\(name)").path
    }

    var secureAppLog: String { Fixtures.read(backendsRun.appendingPathComponent("secure-app-access.log")) ?? "" }
}

/// What curl saw: exit code, HTTP status ("000" when none reached the client), body, HTTP version.
struct CurlResult: CustomStringConvertible {
    var exitCode: Int32
    var status: String
    var body: String
    var httpVersion: String
    var description: String { "curl exit \(exitCode), status \(status), http \(httpVersion), body \(body.prefix(120))" }
    /// A transport-level failure: curl failed and no HTTP status reached the client.
    var transportFailure: Bool { exitCode != 0 && status == "000" }
}

enum Curl {
    /// `curl https://HOST:PORT/PATH` with `--resolve HOST:PORT:127.0.0.1` (so SNI = HOST).
    static func get(_ url: String, resolve: String? = nil, host: String? = nil, cert: String? = nil, key: String? = nil,
                    http1: Bool = false, extra: [String] = []) throws -> CurlResult {
        let marker = "\n@@TOLLGATE@@"
        var args = ["-sk", "--max-time", "10", "-w", "\(marker)%{http_code} %{http_version}"]
        if let resolve { args += ["--resolve", resolve] }
        if let host { args += ["-H", "Host: \(host)"] }
        if let cert { args += ["--cert", cert] }
        if let key { args += ["--key", key] }
        if http1 { args.append("--http1.1") }
        args += extra
        args.append(url)
        let r = try Processes.run("curl", args)
        let parts = r.stdout.components(separatedBy: marker)
        let tail = (parts.last ?? "").split(separator: " ")
        return CurlResult(exitCode: r.status, status: tail.first.map(String.init) ?? "000",
                          body: parts.dropLast().joined(separator: marker), httpVersion: tail.count > 1 ? String(tail[1]) : "")
    }
}

extension RunningNginx {
    /// A real NGINX answering `body` and a newline on 127.0.0.1:`port`, run from `directory`
    /// (foreground child of the test): the plain backend of controller and agent tests.
    static func textBackend(port: Int, body: String = "backend", directory prefix: URL) throws -> RunningNginx {
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        let conf = prefix.appendingPathComponent("backend.conf")
        try """
            worker_processes 1;
            pid nginx.pid;
            error_log error.log;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path client_body_temp;
                proxy_temp_path proxy_temp;
                fastcgi_temp_path fastcgi_temp;
                uwsgi_temp_path uwsgi_temp;
                scgi_temp_path scgi_temp;
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        default_type text/plain;
                        return 200 "\(body)\\n";
                    }
                }
            }

            """.write(to: conf, atomically: true, encoding: .utf8)
        return try RunningNginx.start(configFile: conf, prefix: prefix)
    }
}
