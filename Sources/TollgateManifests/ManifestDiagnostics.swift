/// Where a decoded object came from: file and 1-based document index within it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var document: Int
    public init(file: String, document: Int) { self.file = file; self.document = document }
    public var description: String { "\(file) (document \(document))" }
}

/// A manifest that could not be decoded. Names the file, the document and the field path.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// Dotted field path such as `spec.listeners[0].port`; empty for document-level errors.
    public var field: String
    public var message: String

    public init(_ location: SourceLocation, field: String, _ message: String) {
        self.location = location; self.field = field; self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(location): \(message)" : "\(location): field \(field): \(message)"
    }
}

/// A non-fatal remark about the input, one line each (unknown kinds, duplicates).
public struct ManifestWarning: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public init(_ location: SourceLocation, _ message: String) { self.location = location; self.message = message }
    public var description: String { "\(location): \(message)" }
}
