/// A configuration that cannot be used, naming the file and the field at fault.
public struct KubeConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file whose content is at fault (a kubeconfig, or a file it points to), if any.
    public var file: String?
    /// The field at fault, in kubeconfig spelling, e.g. `users["ci"].user.client-key-data`.
    public var field: String?
    /// What is wrong.
    public var message: String

    public init(file: String? = nil, field: String? = nil, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        var prefix = ""
        if let file { prefix += "\(file): " }
        if let field { prefix += "\(field): " }
        return prefix + message
    }
}
