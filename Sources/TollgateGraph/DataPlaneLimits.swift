/// What the data plane can express, as plain limits the graph checks before it accepts an object.
/// An object that passes admission but exceeds one of these is not accepted (routes:
/// `UnsupportedValue`; policies: `Invalid`), with a message naming the field; everything else
/// still renders. The NGINX writer refuses the same values again, by construction.
public enum DataPlaneLimits {
    /// Paths under this prefix belong to the generated configuration's internal locations.
    public static let reservedPathPrefix = "/_tollgate"

    /// Longest header match value. NGINX reads at most 4 KiB per configuration token; an exact
    /// value becomes a regular expression in one quoted token, where escaping can quadruple a byte.
    public static let maxHeaderValueBytes = 1000

    /// Longest path value (the CRD's own limit).
    public static let maxPathBytes = 1024

    /// Whether `path` is the reserved prefix or lies under it.
    public static func isReserved(path: String) -> Bool {
        path == reservedPathPrefix || path.hasPrefix(reservedPathPrefix + "/")
    }

    /// Whether NGINX can match a request header of this name: it exposes headers as variables by
    /// lower-casing and turning `-` into `_`, and drops headers whose names contain `_`.
    public static func isMatchableHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 256 && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
        }
    }

    /// Whether `s` holds only printable characters (no C0/C1 controls, no DEL, no line separators).
    public static func isPrintable(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { u in
            !(u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029)
        }
    }
}
