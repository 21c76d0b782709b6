/// Splits NGINX configuration text the way NGINX's own reader does (`ngx_conf_read_token`):
/// `#` comments to the end of the line, double- or single-quoted tokens with backslash escapes,
/// and bare words separated by whitespace, `;`, `{` and `}`. Tests use it to check where user
/// strings ended up.
struct NginxTokens {
    /// Bare (unquoted) words, in order.
    var bare: [String] = []
    /// Quoted tokens, unescaped, in order.
    var quoted: [String] = []
    /// Comment texts (after `#`), in order.
    var comments: [String] = []
    /// False when a quote is never closed.
    var wellFormed = true

    init(_ text: String) {
        let chars = Array(text.unicodeScalars)
        var i = 0
        var word = ""
        func flush() { if !word.isEmpty { bare.append(word); word = "" } }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "#" where word.isEmpty:
                var comment = ""
                i += 1
                while i < chars.count, chars[i] != "\n" { comment.unicodeScalars.append(chars[i]); i += 1 }
                comments.append(comment)
                continue
            case "\"", "'" where word.isEmpty:
                let quote = c
                var token = ""
                var closed = false
                i += 1
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", i + 1 < chars.count {
                        let e = chars[i + 1]
                        switch e {
                        case "\"", "'", "\\": token.unicodeScalars.append(e)
                        case "t": token += "\t"
                        case "r": token += "\r"
                        case "n": token += "\n"
                        default: token.unicodeScalars.append(d); token.unicodeScalars.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == quote { closed = true; i += 1; break }
                    token.unicodeScalars.append(d)
                    i += 1
                }
                if !closed { wellFormed = false }
                quoted.append(token)
                continue
            case " ", "\t", "\r", "\n", ";", "{", "}":
                flush()
            default:
                word.unicodeScalars.append(c)
            }
            i += 1
        }
        flush()
    }
}
