import Foundation

/// Several kubeconfig files merged by kubectl's rules: the first file that sets `current-context`
/// wins it, and each cluster, user and context name is taken from the first file that defines it.
/// Every entry remembers its file, so relative paths resolve against that file's directory.
struct KubeconfigMerge: Sendable {
    struct Entry<Value: Sendable>: Sendable {
        var value: Value
        var file: String
    }

    var currentContext: Entry<String>?
    var clusters: [String: Entry<KubeconfigFile.Cluster>] = [:]
    var users: [String: Entry<KubeconfigFile.User>] = [:]
    var contexts: [String: Entry<KubeconfigFile.Context>] = [:]
    /// The files merged, in order.
    var files: [String] = []

    mutating func add(_ config: KubeconfigFile, from path: String) {
        files.append(path)
        if currentContext == nil, let name = config.currentContext, !name.isEmpty {
            currentContext = Entry(value: name, file: path)
        }
        for entry in config.clusters ?? [] where clusters[entry.name] == nil {
            clusters[entry.name] = Entry(value: entry.value ?? .init(), file: path)
        }
        for entry in config.users ?? [] where users[entry.name] == nil {
            users[entry.name] = Entry(value: entry.value ?? .init(), file: path)
        }
        for entry in config.contexts ?? [] where contexts[entry.name] == nil {
            contexts[entry.name] = Entry(value: entry.value ?? .init(), file: path)
        }
    }
}
