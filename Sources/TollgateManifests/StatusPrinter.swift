import Foundation
import TollgateModel
import Yams

/// Prints object statuses as a table, as YAML (a kubectl `List`) or as a JSON array.
public enum StatusPrinter {
    public enum Format: String, Sendable, CaseIterable { case table, yaml, json }

    public static func render(_ documents: [StatusDocument], format: Format) throws -> String {
        switch format {
        case .json:
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(data: try e.encode(documents), encoding: .utf8)! + "\n"
        case .yaml:
            struct List: Encodable { var apiVersion = "v1"; var kind = "List"; var items: [StatusDocument] }
            return try YAMLEncoder().encode(List(items: documents))
        case .table:
            return table(documents)
        }
    }

    /// One line per object and one per listener/parent/ancestor: `Type=Status(Reason)` cells.
    public static func table(_ documents: [StatusDocument]) -> String {
        var rows: [[String]] = [["KIND", "NAMESPACE", "NAME", "CONDITIONS"]]
        for d in documents {
            let groups = Dictionary(grouping: d.status.flattenedConditions, by: \.scope)
            let scopes = d.status.flattenedConditions.map(\.scope).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            if scopes.isEmpty { rows.append([d.kind, d.metadata.namespace ?? "", d.metadata.name, "(no status)"]) }
            for (i, scope) in scopes.enumerated() {
                let cells = groups[scope]!.map { c in
                    "\(c.condition.type)=\(c.condition.status)" + (c.condition.reason == c.condition.type ? "" : "(\(c.condition.reason))")
                }.joined(separator: " ")
                var name = i == 0 && scope.isEmpty ? d.metadata.name : "  " + scope
                if i == 0 && !scope.isEmpty {
                    rows.append([d.kind, d.metadata.namespace ?? "", d.metadata.name, ""])
                    name = "  " + scope
                }
                if case .gateway(let g) = d.status, let l = g.listeners.first(where: { "listener \($0.name)" == scope }) {
                    rows.append(["", "", name, cells + " attachedRoutes=\(l.attachedRoutes)"])
                } else if i == 0 && scope.isEmpty {
                    rows.append([d.kind, d.metadata.namespace ?? "", name, cells])
                } else {
                    rows.append(["", "", name, cells])
                }
            }
        }
        let widths = (0..<3).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            (0..<3).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + r[3]
        }.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n") + "\n"
    }
}

extension StatusPrinter {
    /// Renders status documents received as JSON (from the controller's admin service).
    public static func render(json: Data, format: Format) throws -> String {
        if format == .json {
            let obj = try JSONSerialization.jsonObject(with: json)
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        let docs = try JSONDecoder().decode([StatusDocument].self, from: json)
        return try render(docs, format: format)
    }
}
