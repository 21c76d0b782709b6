/// A tiny builder for indented NGINX configuration text.
struct ConfigText {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ s: String = "") {
        if s.isEmpty { text += "\n"; return }
        for _ in 0..<depth { text += "    " }
        text += s
        text += "\n"
    }

    /// A comment line. The text goes through `NginxSyntax.comment`, so nothing in it can end the
    /// comment or reach the configuration.
    mutating func comment(_ s: String) {
        line("# " + NginxSyntax.comment(s))
    }

    mutating func block<E: Error>(_ header: String, _ body: (inout ConfigText) throws(E) -> Void) throws(E) {
        line("\(header) {")
        depth += 1
        try body(&self)
        depth -= 1
        line("}")
    }
}
