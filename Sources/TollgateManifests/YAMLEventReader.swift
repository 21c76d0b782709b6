import CYaml

/// Builds a `ManifestTree` straight from libyaml's event stream, without Yams' `Node` tree, for
/// the documents manifests are made of: one document with no anchors, aliases, tags, directives
/// or non-scalar keys, and no duplicate keys.
///
/// It promises the very tree the Yams path (`Yams.compose` with the basic resolver, then
/// `ManifestTreeBuilder`) gives such a document, or `.unsupported`: any document outside that
/// subset, and any document libyaml refuses, goes to the Yams path, which then gives its exact
/// values or errors. One pass over the events, no recursion: a collection's children are laid out
/// together when it ends. It runs before `YAMLStructureScan`: libyaml's parser does not recurse,
/// and this reader gives up past `maxDepth` levels, before any limit the scan enforces.
enum YAMLEventReader {
    enum Outcome {
        case tree(ManifestTree)
        /// The text holds no document.
        case empty
        /// Not for this reader: take the Yams path.
        case unsupported
    }

    /// Deepest nesting this reader builds; a deeper document is `.unsupported`. Far above what
    /// manifests use (about 10) and well below `YAMLStructureScan.maxDepth`, so a document this
    /// reader builds is one the structure scan accepts: the scan is needed only on the Yams path.
    static let maxDepth = 48

    /// The tree of the single document in `text`; its lines are file lines minus `lineOffset`.
    static func read(_ text: String, lineOffset: Int) -> Outcome {
        var copy = text
        return copy.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return .unsupported }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var builder = Builder(lineOffset: lineOffset, byteCount: bytes.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return .unsupported }
                let step = builder.take(event)
                let type = event.type
                yaml_event_delete(&event)
                guard step else { return .unsupported }
                if type == YAML_STREAM_END_EVENT { break }
            }
            return builder.outcome
        }
    }

    /// The tree under construction; `take` returns false for an event outside the subset.
    private struct Builder {
        struct Frame {
            var isMapping: Bool
            var start: Int
            /// Where this mapping's keys start in `keys`.
            var keyStart: Int
            var keyIndex: [String: Int]? = nil
            var expectingKey = true
        }

        let lineOffset: Int
        /// The laid-out values (the root first); moved into the tree at the end.
        let values: ManifestMoveBuffer<ManifestTree.Value>
        var parents: [Int] = [-1]
        /// Finished values whose collection is still open, in document order, moved into
        /// `values` when it closes; with the children range of each (empty for scalars), so
        /// their children's parents are set without reading the values again.
        let pending = ManifestMoveBuffer<ManifestTree.Value>(capacity: 32)
        var pendingChildren: [Range<Int>] = []
        /// The keys of every open mapping, innermost last: each mapping's keys become one array
        /// of the exact size when it closes.
        var keys = ManifestPendingKeys()
        var stack: [Frame] = []
        var documents = 0
        var hasRoot = false

        init(lineOffset: Int, byteCount: Int) {
            self.lineOffset = lineOffset
            values = ManifestMoveBuffer(capacity: byteCount / 12 + 1)
            values.append(.array(0..<0))
            parents.reserveCapacity(byteCount / 12 + 1)
            pendingChildren.reserveCapacity(32)
            stack.reserveCapacity(16)
        }

        var outcome: Outcome {
            guard documents > 0 else { return .empty }
            guard hasRoot else { return .unsupported }
            return .tree(ManifestTree(values: values.moveOut(from: 0), parents: parents))
        }

        mutating func take(_ event: yaml_event_t) -> Bool {
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
                return true
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                let start = event.data.document_start
                return documents == 1 && start.version_directive == nil
                    && start.tag_directives.start == start.tag_directives.end
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                guard scalar.anchor == nil, scalar.tag == nil else { return false }
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                if let top = stack.indices.last, stack[top].isMapping, stack[top].expectingKey {
                    guard keys.insert(text, start: stack[top].keyStart, index: &stack[top].keyIndex) else { return false }
                    stack[top].expectingKey = false
                    return true
                }
                let style: ManifestScalar.Style
                switch scalar.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                // Yams' tags for untagged scalars: none when plain, `str` when quoted or a block.
                // (`ScalarResolution.kind` of a `str`-tagged scalar is always `.string`.)
                let kind: ManifestScalar.Kind
                if scalar.plain_implicit == 1 {
                    kind = ScalarResolution.kind(of: text, style: style, tag: "")
                } else if scalar.quoted_implicit == 1 {
                    kind = .string
                } else {
                    return false
                }
                let line = Int(event.start_mark.line) + 1 + lineOffset
                return finish(.scalar(ManifestScalar(text: text, kind: kind, style: style, line: line)))
            case YAML_SEQUENCE_START_EVENT:
                let start = event.data.sequence_start
                guard start.anchor == nil, start.tag == nil else { return false }
                return open(isMapping: false)
            case YAML_MAPPING_START_EVENT:
                let start = event.data.mapping_start
                guard start.anchor == nil, start.tag == nil else { return false }
                return open(isMapping: true)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                return close()
            default:
                return false      // aliases
            }
        }

        private mutating func open(isMapping: Bool) -> Bool {
            // A collection as a mapping key: the Yams path reports it.
            if let top = stack.last, top.isMapping, top.expectingKey { return false }
            // Deeper documents take the checked path (`YAMLStructureScan`, then Yams).
            guard stack.count < YAMLEventReader.maxDepth else { return false }
            stack.append(Frame(isMapping: isMapping, start: pending.count, keyStart: keys.count))
            return true
        }

        private mutating func close() -> Bool {
            guard let frame = stack.popLast(), !frame.isMapping || frame.expectingKey else { return false }
            let first = values.count
            let count = pending.count - frame.start
            values.moveAppend(from: pending, start: frame.start)
            parents.append(contentsOf: repeatElement(-1, count: count))
            for offset in 0..<count {
                for child in pendingChildren[frame.start + offset] { parents[child] = first + offset }
            }
            pendingChildren.removeSubrange(frame.start...)
            let children = first..<(first + count)
            return finish(frame.isMapping
                ? .object(ManifestObject(first: first, keys: keys.take(from: frame.keyStart), offsets: frame.keyIndex))
                : .array(children), children: children)
        }

        /// A complete value (with its children, laid out): the root, or the next child of the
        /// open collection.
        private mutating func finish(_ value: ManifestTree.Value, children: Range<Int> = 0..<0) -> Bool {
            guard let top = stack.indices.last else {
                guard !hasRoot else { return false }
                hasRoot = true
                values[ManifestTree.root] = value
                for child in children { parents[child] = ManifestTree.root }
                return true
            }
            pending.append(value)
            pendingChildren.append(children)
            if stack[top].isMapping { stack[top].expectingKey = true }
            return true
        }
    }
}
