/// A tiny builder for indented NGINX configuration text.
struct ConfigText {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ s: String = "") {
        if s.isEmpty { text += "\n"; return }
        text += String(repeating: "    ", count: depth) + s + "\n"
    }

    mutating func block(_ header: String, _ body: (inout ConfigText) -> Void) {
        line("\(header) {")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }
}

/// Quoting and escaping for NGINX configuration values.
enum NginxSyntax {
    /// A double-quoted NGINX string.
    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// A PCRE pattern matching `s` literally.
    static func regexLiteral(_ s: String) -> String {
        let meta: Set<Character> = ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}", "/"]
        return String(s.flatMap { meta.contains($0) ? ["\\", $0] : [$0] })
    }

    /// `$http_x_name` for a header name.
    static func headerVariable(_ name: String) -> String {
        "$http_" + name.lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// A name safe for NGINX identifiers (upstreams, variables).
    static func identifier(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }

    /// `host:port` with brackets for IPv6.
    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
