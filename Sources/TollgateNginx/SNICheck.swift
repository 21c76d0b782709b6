/// How the servers of one HTTPS port refuse (421) a request whose Host header selects another
/// listener than the TLS SNI did.
///
/// The rule: a request is refused when the SNI selects a listener and that listener is not the
/// one that owns the server the Host header selected; no SNI is never refused. Forms:
/// - no check: the check is disabled (`disableSNIHostValidation`), the port is HTTP, or the port
///   has one listener. With one listener the SNI can select only that listener or none: when it
///   has a hostname, the port's default server rejects the handshake for a missing or unknown SNI;
///   when it has none, every SNI selects it. The check could never refuse, so it is left out.
/// - per listener L of the port (index N in the port's listeners sorted by name), one map
///   `$ssl_server_name` → 1 when the SNI selects another listener than L, else 0 (`hostnames`,
///   the listener hostnames as keys, no regular expression), in the port file; each server of L
///   has `if ($tg_sni_refuse_P_N) { return 421; }`. One variable per listener rather than per
///   server: thousands of route hostnames under one listener add no maps or variables.
struct SNICheck: Sendable {
    let port: Int
    /// The port's SNI map: default value, then (listener hostname, listener) in key order.
    let defaultListener: String
    let entries: [(hostname: String, listener: String)]
    /// The listeners whose servers are checked, sorted by name (index N); empty when there is no check.
    let listeners: [String]
    /// Listener → its refuse variable.
    let variables: [String: String]

    init(_ p: PortIR) {
        port = p.port
        defaultListener = p.catchAllListener ?? "-"
        entries = p.sniListeners ?? []
        var all = Set(entries.map(\.listener))
        if let c = p.catchAllListener { all.insert(c) }
        listeners = p.https && p.sniListeners != nil && all.count > 1 ? all.sorted() : []
        var vars: [String: String] = [:]
        for (i, l) in listeners.enumerated() { vars[l] = "$tg_sni_refuse_\(p.port)_\(i)" }
        variables = vars
    }

    /// The variable the servers of `listener` test, nil when they have no check.
    func variable(for listener: String) -> String? { variables[listener] }

    /// 1 when a request whose SNI selects `selected` ("" for no SNI) is refused by `listener`'s servers.
    static func refuses(_ selected: String, _ listener: String) -> Int { selected == "" || selected == listener ? 0 : 1 }

    /// The maps of the check (http context): one per listener, in variable order.
    func write(_ t: inout ConfigText) throws(UnsafeValue) {
        for listener in listeners {
            guard let variable = variables[listener] else { continue }
            t.line("# Listener \(NginxSyntax.comment(listener)): 1 when the TLS SNI selects another listener of port \(port) (421).")
            try t.block("map $ssl_server_name \(variable)") { b throws(UnsafeValue) in
                b.line("hostnames;")
                b.line("default \(Self.refuses(defaultListener, listener));")
                b.line("\"\" 0;")
                for (h, l) in entries {
                    b.line("\(try NginxSyntax.quote(h, role: "listener hostname")) \(Self.refuses(l, listener));")
                }
            }
            t.line()
        }
    }
}
