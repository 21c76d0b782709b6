import Crypto
import Foundation

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

    /// A name safe for NGINX identifiers (upstreams, variables) built from `parts` joined by `_`.
    /// Kubernetes names never contain `_`, so parts made only of letters and digits stay as they
    /// are; when a part had to be rewritten (`-`, `.`), a short hash of the original parts is
    /// appended so that `a-b/c` and `a/b-c` can never share a name.
    static func identifier(_ parts: String...) -> String {
        let clean = parts.map { p in String(p.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }) }
        let joined = clean.joined(separator: "_")
        guard clean != parts else { return joined }
        let digest = SHA256.hash(data: Data(parts.joined(separator: "/").utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return joined + "_" + digest
    }

    /// `host:port` with brackets for IPv6.
    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
