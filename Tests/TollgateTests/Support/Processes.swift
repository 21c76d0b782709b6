import Foundation

/// Runs real programs (nginx, curl, openssl) for tests.
enum Processes {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments` and waits. `executable` may be a bare name on PATH.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        if executable.contains("/") {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [executable] + arguments
        }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b } }
        // Output goes to files, not pipes: a daemonizing child (nginx) keeps its stderr open, so
        // reading a pipe to EOF would block forever.
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("tollgate-out-\(UUID().uuidString)")
        let errURL = dir.appendingPathComponent("tollgate-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        p.standardOutput = outHandle
        p.standardError = errHandle
        if let stdin {
            let inPipe = Pipe()
            p.standardInput = inPipe
            try p.run()
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try inPipe.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        p.waitUntilExit()
        try? outHandle.close(); try? errHandle.close()
        let outData = FileManager.default.contents(atPath: outURL.path) ?? Data()
        let errData = FileManager.default.contents(atPath: errURL.path) ?? Data()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `nginx -t` for a rendered configuration directory; returns nil when valid, else NGINX's output.
    static func nginxTest(configDirectory: URL) throws -> String? {
        let prefix = try temporaryDirectory("nginx-t")
        defer { try? FileManager.default.removeItem(at: prefix) }
        let r = try run("nginx", ["-t", "-q", "-p", prefix.path + "/", "-c", configDirectory.appendingPathComponent("nginx.conf").path])
        return r.status == 0 ? nil : r.stderr
    }
}
