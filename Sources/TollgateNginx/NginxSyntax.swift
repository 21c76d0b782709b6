import Crypto
import Foundation
import TollgateModel

/// A value the writer refused to put into NGINX configuration. The graph refuses such values
/// before rendering (the object is not accepted), so this is a second line of defence: a Gateway
/// whose configuration would contain one is not rendered at all, and the last good version keeps
/// serving.
public struct UnsafeValue: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the value was for (`location path`, `header value`, …).
    public var role: String
    /// Why it was refused.
    public var reason: String
    public var description: String { "unsafe \(role): \(reason)" }
}

/// The one place that turns strings into NGINX tokens. Every string that came from a user goes
/// through `quote`; identifiers and file names are derived by `identifier` (bounded and hashed);
/// comments only ever hold text filtered by `comment`.
enum NginxSyntax {
    /// Whether NGINX expands `$variables` in the directive a quoted value is written to.
    enum Context {
        /// Map source keys, `location`, `server_name`, file paths: `$` is literal.
        case literal
        /// Map values, `proxy_ssl_name`, `rewrite` targets: `$name` would be expanded, so `$`
        /// is refused.
        case interpolated
    }

    /// The longest quoted token the writer emits. NGINX reads configuration in 4 KiB buffers and
    /// refuses a longer token ("too long parameter"); stay clear of it.
    static let maxTokenBytes = 4000

    /// A double-quoted NGINX string for `s`. Refuses control characters (a newline inside quotes
    /// would still be one token to NGINX, but would break every line-based reader and hide text
    /// in diffs), `$` where NGINX would expand variables, and tokens NGINX cannot read.
    static func quote(_ s: String, role: String, _ context: Context = .literal) throws(UnsafeValue) -> String {
        // Printable ASCII without `\`, `"` (and `$` where it would expand) is quoted as it is.
        if s.utf8.count + 2 <= maxTokenBytes, s.utf8.allSatisfy({ b in
            b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\\") && b != UInt8(ascii: "\"")
                && (b != UInt8(ascii: "$") || context == .literal)
        }) {
            return "\"" + s + "\""
        }
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            if u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029 {
                throw UnsafeValue(role: role, reason: "contains the control character U+\(String(u.value, radix: 16, uppercase: true))")
            }
            switch u {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "$" where context == .interpolated:
                throw UnsafeValue(role: role, reason: "contains $, which NGINX would expand as a variable here")
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
        if out.utf8.count > maxTokenBytes {
            throw UnsafeValue(role: role, reason: "is \(out.utf8.count) bytes quoted; NGINX reads at most \(maxTokenBytes) bytes per token")
        }
        return out
    }

    /// A PCRE pattern matching `s` literally.
    static func regexLiteral(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}", "/":
                out += "\\"
                out.unicodeScalars.append(c)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `$http_x_name` for a header name. Only letters, digits and `-` are accepted: NGINX names
    /// header variables by lower-casing and turning `-` into `_`, and ignores headers with `_`.
    static func headerVariable(_ name: String) throws(UnsafeValue) -> String {
        guard !name.isEmpty, name.utf8.count <= 256,
              name.unicodeScalars.allSatisfy({ $0.isASCII && (isAlphanumeric($0) || $0 == "-") }) else {
            throw UnsafeValue(role: "header name", reason: "only letters, digits and - can be matched")
        }
        return "$http_" + name.lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Text for a comment: letters, digits and `.-_/:=,()` pass, everything else becomes `?`, and
    /// it is cut at 160 characters. Nothing a user wrote can end the comment.
    static func comment(_ s: String) -> String {
        // Short text of allowed ASCII only is its own comment.
        if s.utf8.count <= 160, s.utf8.allSatisfy(isCommentByte) { return s }
        var out = ""
        for u in s.unicodeScalars.prefix(160) {
            if u.isASCII && (isAlphanumeric(u) || " .-_/:=,()".unicodeScalars.contains(u)) {
                out.unicodeScalars.append(u)
            } else {
                out += "?"
            }
        }
        return out
    }

    private static func isCommentByte(_ b: UInt8) -> Bool {
        isAlphanumeric(b) || b == UInt8(ascii: " ") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "/") || b == UInt8(ascii: ":") || b == UInt8(ascii: "=") || b == UInt8(ascii: ",")
            || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")
    }

    /// Longest identifier `identifier` returns.
    static let maxIdentifier = 64

    /// A name safe for NGINX identifiers (upstreams, variables) and file names, built from
    /// `parts` joined by `_`. Letters and digits stay as they are; anything else becomes `_`, and
    /// then — or when the name would be longer than `maxIdentifier` — a hash of the original
    /// parts is appended to a shortened name, so `a-b/c` and `a/b-c` never share a name and no
    /// name can be too long.
    static func identifier(_ parts: String...) -> String { identifier(parts) }

    static func identifier(_ parts: [String]) -> String {
        // Each Unicode scalar that is not an ASCII letter or digit becomes one `_`: in UTF-8, a
        // scalar's first byte is the one that is not a continuation byte (10xxxxxx).
        let clean = parts.map { p -> String in
            if p.utf8.allSatisfy(isAlphanumeric) { return p }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(p.utf8.count)
            for b in p.utf8 where b & 0xC0 != 0x80 { bytes.append(isAlphanumeric(b) ? b : UInt8(ascii: "_")) }
            return String(decoding: bytes, as: UTF8.self)
        }
        let joined = clean.joined(separator: "_")
        if clean == parts && joined.utf8.count <= maxIdentifier { return joined }
        let digest = Hex.encode(SHA256.hash(data: Data(parts.joined(separator: "/").utf8)).prefix(6))
        return String(joined.prefix(maxIdentifier - digest.count - 1)) + "_" + digest
    }

    /// `host:port` with brackets for IPv6. The host must be an IP address literal and the port
    /// 1–65535: nothing else may reach a `listen` or `server` directive.
    static func hostPort(_ host: String, _ port: Int) throws(UnsafeValue) -> String {
        guard (1...65535).contains(port) else { throw UnsafeValue(role: "port", reason: "\(port) is outside 1-65535") }
        guard !host.isEmpty, host.utf8.count <= 45,
              host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isASCIIHexDigit || $0 == "." || $0 == ":") }) else {
            throw UnsafeValue(role: "address", reason: "is not an IP address literal")
        }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
    }

    private static func isAlphanumeric(_ u: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(u) || ("A"..."Z").contains(u) || ("0"..."9").contains(u)
    }
}
