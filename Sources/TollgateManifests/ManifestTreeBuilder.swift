import Yams

/// Converts one Yams `Node` (composed with the basic resolver: no regex tag resolution) into a
/// `ManifestTree`, breadth first with an explicit queue: linear in the nodes produced, no
/// recursion. Aliases are expanded, so the number of values produced is bounded (`nodeLimit`):
/// a "billion laughs" document is refused instead of filling memory.
struct ManifestTreeBuilder {
    /// A document that converts to no tree; `field` is empty for document-level problems.
    struct Failure: Error, Equatable {
        var field: String
        var message: String
    }

    /// The most values a document of `byteCount` bytes may expand to. Without aliases a document
    /// never has more values than bytes, so only alias expansion can reach this.
    static func nodeLimit(byteCount: Int) -> Int { 2 * byteCount + 100_000 }

    /// File line of the document's first line, minus one.
    var lineOffset = 0
    var nodeLimit = 100_000

    func build(_ root: Node) throws(Failure) -> ManifestTree {
        var tree = ManifestTree(values: [.array(0..<0)], parents: [-1])
        var queue: [(node: Node, index: Int)] = [(root, ManifestTree.root)]
        var head = 0
        let empty = Node.scalar(.init(""))
        while head < queue.count {
            let (node, index) = queue[head]
            queue[head].node = empty       // drop the reference: memory stays bounded
            head += 1
            switch node {
            case .scalar(let scalar):
                tree.values[index] = .scalar(makeScalar(scalar))
            case .sequence(let sequence):
                let first = tree.values.count
                for item in sequence {
                    try allocate(item, parent: index, tree: &tree, queue: &queue)
                }
                tree.values[index] = .array(first..<tree.values.count)
            case .mapping(let mapping):
                let first = tree.values.count
                var keys = ManifestKeys()
                keys.reserveCapacity(mapping.count)
                for (keyNode, value) in mapping {
                    guard case .scalar(let keyScalar) = keyNode else {
                        throw Failure(field: tree.path(of: index), message: "a mapping key must be a string, found \(Self.describe(keyNode))")
                    }
                    let key = keyScalar.string
                    guard keys.insert(key) else {
                        throw Failure(field: tree.path(of: index, key: key.count > 100 ? key.prefix(100) + "…" : key), message: "duplicate key")
                    }
                    try allocate(value, parent: index, tree: &tree, queue: &queue)
                }
                tree.values[index] = .object(ManifestObject(first: first, keys: keys))
            case .alias:
                // The composer resolves aliases itself; an unresolved one is treated as null.
                tree.values[index] = .scalar(ManifestScalar(text: "", kind: .null, style: .plain, line: lineOffset))
            }
        }
        return tree
    }

    private func allocate(_ node: Node, parent: Int, tree: inout ManifestTree,
                          queue: inout [(node: Node, index: Int)]) throws(Failure) {
        guard tree.values.count < nodeLimit else {
            throw Failure(field: "", message: "invalid YAML: the document expands to more than \(nodeLimit) values (aliases)")
        }
        let index = tree.values.count
        tree.values.append(.array(0..<0))
        tree.parents.append(parent)
        queue.append((node, index))
    }

    private func makeScalar(_ scalar: Node.Scalar) -> ManifestScalar {
        let style: ManifestScalar.Style
        switch scalar.style {
        case .singleQuoted: style = .singleQuoted
        case .doubleQuoted: style = .doubleQuoted
        case .literal: style = .literal
        case .folded: style = .folded
        case .any, .plain: style = .plain
        }
        let text = scalar.string
        let kind = ScalarResolution.kind(of: text, style: style, tag: scalar.tag.rawValue)
        return ManifestScalar(text: text, kind: kind, style: style, line: (scalar.mark?.line ?? 1) + lineOffset)
    }

    private static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "an object"
        case .sequence: return "a list"
        case .scalar, .alias: return "a scalar"
        }
    }
}
