import Crypto
import Foundation
import TollgateGraph
import TollgateModel

/// GatewayIR → NGINX files. The only place that spells NGINX syntax.
///
/// Layout of a Gateway's directory (all paths relative; NGINX runs with `-c DIR/nginx.conf`, so
/// includes and certificate paths resolve against DIR, and `-p RUNTIME` for pid, logs and temp):
/// `nginx.conf`, `http.conf`, `maps.conf`, `upstreams.conf`, `servers/port-N.conf` (the port's SNI
/// check maps, its default server when no listener has it, then one include per server block, in order),
/// `servers/port-N/HOST.conf` (one server block — a hostname — with the maps that choose its
/// locations' rules: a change to one route rewrites only the files of its hostnames),
/// `certs/NS_NAME.crt|.key` (keys 0600), `ca/ID.pem`.
public struct ConfigWriter: Sendable {
    public init() {}

    /// The files of one Gateway. Throws when a value cannot be written safely (the graph refuses
    /// such values first, so this does not happen for objects it accepted).
    public func write(_ ir: GatewayIR) throws(UnsafeValue) -> RenderedFiles {
        try write(ir, reusing: nil)
    }

    /// The files of one Gateway, taking each server file unchanged from `previous` (an earlier
    /// IR and the files written from it) when its server and everything it is written from are
    /// equal: the result is the same as `write(ir)`.
    public func write(_ ir: GatewayIR, reusing previous: (ir: GatewayIR, files: RenderedFiles)?) throws(UnsafeValue) -> RenderedFiles {
        var files = RenderedFiles()
        files.files[RenderedFiles.mainConfig] = RenderedFile(try mainConfig(ir))
        files.files["http.conf"] = RenderedFile(httpConfig(ir))
        files.files["maps.conf"] = RenderedFile(try maps(ir))
        files.files["upstreams.conf"] = RenderedFile(try upstreams(ir))
        for p in ir.ports {
            let check = SNICheck(p)
            let before = previous.flatMap { prev in
                prev.ir.ports.first { $0.port == p.port }.flatMap { Self.sameServerContext($0, prev.ir, p, ir) ? $0 : nil }
            }
            let beforeCheck = before.map(SNICheck.init)
            var oldServers: [String: ServerIR] = [:]
            for s in before?.servers ?? [] { oldServers[Self.serverFile(port: p.port, hostname: s.hostname)] = s }
            var paths: [String] = []
            for server in p.servers {
                let path = Self.serverFile(port: p.port, hostname: server.hostname)
                paths.append(path)
                if oldServers[path] == server, beforeCheck?.variable(for: server.listener) == check.variable(for: server.listener),
                   let file = previous?.files.files[path] {
                    files.files[path] = file
                } else {
                    files.files[path] = RenderedFile(try serverConfig(server, port: p, check: check, ir: ir))
                }
            }
            files.files[Self.portFile(p.port)] = RenderedFile(try portConfig(p, check: check, ir: ir, serverFiles: paths))
        }
        for c in ir.certificates {
            try Self.checkFileID(c.id)
            files.files["certs/\(c.id).crt"] = RenderedFile(c.certificatePEM)
            files.files["certs/\(c.id).key"] = RenderedFile(c.keyPEM, mode: 0o600)
        }
        for b in ir.caBundles {
            try Self.checkFileID(b.id)
            files.files["ca/\(b.id).pem"] = RenderedFile(b.pem)
        }
        return files
    }

    /// File names are derived by the graph (bounded, hashed); check they stay one short component.
    static func checkFileID(_ id: String) throws(UnsafeValue) {
        guard !id.isEmpty, id.utf8.count <= 128, id != ".", id != "..",
              id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)) }) else {
            throw UnsafeValue(role: "file name", reason: "\(NginxSyntax.comment(id)) is not a short plain file name")
        }
    }

    static func portFile(_ port: Int) -> String { "servers/port-\(port).conf" }

    /// The file of one server block: named after its hostname, which admission limits to
    /// lower-case letters, digits, `-` and `.` after an optional `*.`. Names that hostnames cannot
    /// take (with `_`) stand for the hostname-less server, wildcards and hostnames too long for a
    /// short file name (hashed).
    static func serverFile(port: Int, hostname: String?) -> String {
        func plain(_ u: Unicode.Scalar) -> Bool { ("a"..."z").contains(u) || ("0"..."9").contains(u) || u == "-" || u == "." }
        let id: String
        if let h = hostname {
            let wildcard = h.hasPrefix("*.")
            let rest = wildcard ? h.dropFirst(2) : Substring(h)
            if h.utf8.count <= 100, rest.unicodeScalars.allSatisfy(plain) {
                id = wildcard ? "_wildcard." + rest : String(rest)
            } else {
                let digest = Hex.encode(SHA256.hash(data: Data(h.utf8)).prefix(8))
                id = "_h." + String(String.UnicodeScalarView(rest.unicodeScalars.prefix(80).map { plain($0) ? $0 : "." })) + "." + digest
            }
        } else {
            id = "_default"
        }
        return "servers/port-\(port)/\(id).conf"
    }

    /// Whether everything a server file is written from besides its `ServerIR` and its SNI check
    /// variable is the same.
    static func sameServerContext(_ a: PortIR, _ aIR: GatewayIR, _ b: PortIR, _ bIR: GatewayIR) -> Bool {
        a.port == b.port && a.https == b.https && a.frontend == b.frontend
            && aIR.gateway == bIR.gateway && aIR.bindAddresses == bIR.bindAddresses
    }

    private func header(_ ir: GatewayIR, _ what: String) -> String {
        "# \(what) for Gateway \(NginxSyntax.comment(ir.gateway.namespacedName)). Generated by Tollgate; do not edit.\n"
    }

    func mainConfig(_ ir: GatewayIR) throws(UnsafeValue) -> String {
        var t = ConfigText()
        guard ir.settings.workerProcesses == "auto" || (Int(ir.settings.workerProcesses).map { (1...1024).contains($0) } ?? false) else {
            throw UnsafeValue(role: "worker_processes", reason: "must be auto or 1-1024")
        }
        t.line("worker_processes \(ir.settings.workerProcesses);")
        t.line("pid nginx.pid;")
        t.line("error_log error.log notice;")
        t.line()
        t.block("events") { $0.line("worker_connections 1024;") }
        t.line()
        t.block("http") { $0.line("include http.conf;") }
        return header(ir, "Main configuration") + t.text
    }

    func httpConfig(_ ir: GatewayIR) -> String {
        var t = ConfigText()
        t.line("default_type application/octet-stream;")
        t.line("sendfile on;")
        t.line("keepalive_timeout 65s;")
        // 512: a server name or map key of 253 characters (the longest DNS name) must fit a bucket.
        t.line("server_names_hash_bucket_size 512;")
        t.line("server_names_hash_max_size 4096;")
        t.line("map_hash_bucket_size 512;")
        t.line("variables_hash_bucket_size 128;")
        t.line("variables_hash_max_size 4096;")
        t.line("client_body_temp_path client_body_temp;")
        t.line("proxy_temp_path proxy_temp;")
        t.line("fastcgi_temp_path fastcgi_temp;")
        t.line("uwsgi_temp_path uwsgi_temp;")
        t.line("scgi_temp_path scgi_temp;")
        t.line()
        t.line("log_format tollgate '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent '")
        t.line("                    'host=$host sni=$ssl_server_name client_verify=$ssl_client_verify upstream=$upstream_addr';")
        t.line("access_log access.log tollgate;")
        t.line()
        t.line("ssl_protocols TLSv1.2 TLSv1.3;")
        t.line("ssl_session_cache shared:tollgate_ssl:10m;")
        t.line("ssl_session_timeout 1h;")
        t.line()
        t.line("proxy_http_version 1.1;")
        // The Host header as the client sent it (with its port, if any). A request without one
        // (HTTP/1.0) reaches a proxied location only through a listener without hostname, whose
        // server_name is "": `$host` would be empty too. No map (one per request, ~1k instructions).
        t.line("proxy_set_header Host $http_host;")
        t.line("proxy_set_header Connection \"\";")
        t.line("proxy_set_header X-Real-IP $remote_addr;")
        t.line("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
        t.line("proxy_set_header X-Forwarded-Proto $scheme;")
        t.line("proxy_set_header X-Forwarded-Host $host;")
        t.line()
        t.line("include maps.conf;")
        t.line("include upstreams.conf;")
        for p in ir.ports { t.line("include servers/port-\(p.port).conf;") }
        t.line("# Files the agent adds next to the rendered ones (version probe).")
        t.line("include agent/*.conf;")
        return header(ir, "HTTP configuration") + t.text
    }

    func maps(_ ir: GatewayIR) throws(UnsafeValue) -> String {
        var t = ConfigText()
        var first = true
        for c in ir.headerConditions {
            if !first { t.line() }
            first = false
            t.comment("Header \(c.header) equals the value of a route's header match (case-sensitive).")
            try t.block("map \(try NginxSyntax.headerVariable(c.header)) \(c.variable)") { b throws(UnsafeValue) in
                b.line("\(try NginxSyntax.quote("~^" + NginxSyntax.regexLiteral(c.value) + "$", role: "header value")) 1;")
                b.line("default 0;")
            }
        }
        for s in ir.splits {
            if !first { t.line() }
            first = false
            t.line("# Weighted backendRefs.")
            t.block("split_clients \"${request_id}\" \(s.variable)") {
                for e in s.entries { $0.line("\(e.percent) \(e.uri);") }
            }
        }
        return header(ir, "Maps") + t.text
    }

    func upstreams(_ ir: GatewayIR) throws(UnsafeValue) -> String {
        var t = ConfigText()
        for u in ir.upstreams {
            try t.block("upstream \(u.name)") { b throws(UnsafeValue) in
                for s in u.servers { b.line("server \(try NginxSyntax.hostPort(s.address, s.port));") }
                b.line("keepalive 16;")
            }
        }
        return header(ir, "Upstreams") + t.text
    }

    private func locationMaps(_ t: inout ConfigText, _ maps: [LocationMapIR]) throws(UnsafeValue) {
        for m in maps {
            t.line("# Rule selection by header matches, in Gateway API precedence order.")
            try t.block("map \"\(m.conditions.joined())\" \(m.variable)") { b throws(UnsafeValue) in
                for e in m.entries { b.line("\(try NginxSyntax.quote("~" + e.pattern, role: "rule selection")) \(e.value);") }
                b.line("default \(m.fallback);")
            }
            t.line()
        }
    }

    /// One server block and the maps of its locations (http context, included by the port file).
    func serverConfig(_ s: ServerIR, port p: PortIR, check: SNICheck, ir: GatewayIR) throws(UnsafeValue) -> String {
        var t = ConfigText()
        try locationMaps(&t, s.locationMaps)
        try writeServer(&t, s, port: p, check: check, ir: ir, listenSuffix: p.https ? " ssl http2" : "")
        return header(ir, "Port \(p.port), hostname \(NginxSyntax.comment(s.hostname ?? "(any)")),") + t.text
    }

    func portConfig(_ p: PortIR, check: SNICheck, ir: GatewayIR, serverFiles: [String]) throws(UnsafeValue) -> String {
        var t = ConfigText()
        try check.write(&t)
        let listenSuffix = p.https ? " ssl http2" : ""
        let hasCatchAll = p.servers.contains { $0.hostname == nil }
        if !hasCatchAll {
            t.line(p.https
                ? "# No listener without hostname: unknown or missing SNI is refused at the handshake."
                : "# No listener without hostname: requests for unknown hosts get 404.")
            try t.block("server") { s throws(UnsafeValue) in
                for a in ir.bindAddresses { s.line("listen \(try NginxSyntax.hostPort(a, p.port))\(listenSuffix) default_server;") }
                if p.https { s.line("ssl_reject_handshake on;") }
                s.block("location /") { l in
                    if p.frontend?.mode == .allowValidOnly {
                        l.line("if ($ssl_client_verify != SUCCESS) { return 444; }")
                    }
                    l.line("return 404;")
                }
            }
            t.line()
        }
        for (server, file) in zip(p.servers, serverFiles) {
            t.comment("Listener \(server.listener), hostname \(server.hostname ?? "(any)")")
            t.line("include \(file);")
        }
        return header(ir, "Port \(p.port)") + t.text
    }

    private func writeServer(_ t: inout ConfigText, _ s: ServerIR, port p: PortIR, check: SNICheck, ir: GatewayIR, listenSuffix: String) throws(UnsafeValue) {
        t.comment("Listener \(s.listener), hostname \(s.hostname ?? "(any)")")
        try t.block("server") { b throws(UnsafeValue) in
            for a in ir.bindAddresses {
                b.line("listen \(try NginxSyntax.hostPort(a, p.port))\(listenSuffix)\(s.hostname == nil ? " default_server" : "");")
            }
            b.line("server_name \(try NginxSyntax.quote(s.hostname ?? "", role: "server name"));")
            if p.https {
                for c in s.certificates {
                    b.line("ssl_certificate certs/\(c.id).crt;")
                    b.line("ssl_certificate_key certs/\(c.id).key;")
                }
                if let f = p.frontend {
                    b.line("ssl_client_certificate ca/\(f.ca.id).pem;")
                    b.line("ssl_verify_depth 10;")
                    switch f.mode {
                    case .allowValidOnly:
                        b.line("ssl_verify_client on;")
                        b.line("# A missing or invalid client certificate closes the connection: no HTTP status.")
                        b.line("error_page 495 496 = @tollgate_reject_client;")
                    case .allowInsecureFallback:
                        b.line("# AllowInsecureFallback: the certificate is requested, every client is accepted.")
                        b.line("ssl_verify_client optional_no_ca;")
                    }
                }
                if let v = check.variable(for: s.listener) {
                    b.line("# The Host header must select the listener the SNI selected.")
                    b.line("if (\(v)) { return 421; }")
                }
                if p.frontend?.mode == .allowValidOnly {
                    b.block("location @tollgate_reject_client") { $0.line("return 444;") }
                }
            }
            for l in s.locations {
                b.line()
                if !l.origins.isEmpty { b.comment(l.origins.joined(separator: ", ")) }
                guard l.path.hasPrefix("/") else { throw UnsafeValue(role: "location path", reason: "does not start with /") }
                try b.block("location \(l.exact ? "= " : "")\(try NginxSyntax.quote(l.path, role: "location path"))") { lb throws(UnsafeValue) in
                    switch l.body {
                    case .inline(let target): try Self.targetBody(&lb, target, isInternal: false)
                    case .rewrite(let to): lb.line("rewrite ^ \(try NginxSyntax.quote(to, role: "internal location")) last;")
                    }
                }
            }
            for target in s.targets {
                b.line()
                try b.block("location = \(try NginxSyntax.quote(target.uri, role: "internal location"))") { lb throws(UnsafeValue) in
                    lb.line("internal;")
                    try Self.targetBody(&lb, target, isInternal: true)
                }
            }
        }
    }

    static func targetBody(_ t: inout ConfigText, _ target: TargetIR, isInternal: Bool) throws(UnsafeValue) {
        switch target.kind {
        case .status(let code):
            t.line("return \(code);")
        case .proxy(let upstream, let tls):
            let scheme = tls == nil ? "http" : "https"
            t.line("proxy_pass \(scheme)://\(upstream)\(isInternal ? "$request_uri" : "");")
            if let tls {
                t.line("proxy_ssl_server_name on;")
                t.line("proxy_ssl_name \(try NginxSyntax.quote(tls.serverName, role: "backend TLS hostname", .interpolated));")
                t.line("proxy_ssl_verify on;")
                t.line("proxy_ssl_verify_depth 10;")
                t.line("proxy_ssl_trusted_certificate \(try NginxSyntax.quote(tls.trustedCertificate, role: "CA file", .interpolated));")
                t.line("proxy_ssl_protocols TLSv1.2 TLSv1.3;")
                t.line("proxy_ssl_session_reuse on;")
                if let c = tls.clientCertificate {
                    t.line("proxy_ssl_certificate \(try NginxSyntax.quote(c.cert, role: "certificate file", .interpolated));")
                    t.line("proxy_ssl_certificate_key \(try NginxSyntax.quote(c.key, role: "key file", .interpolated));")
                }
            }
        }
    }
}
