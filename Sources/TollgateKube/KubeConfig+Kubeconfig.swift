import Foundation

extension KubeConfig {
    /// Loads the configuration kubectl would use.
    ///
    /// Files: `kubeconfigPath` if given (it must exist), else the colon-separated `KUBECONFIG` list
    /// (missing files skipped, merged by kubectl's first-wins rules), else `$HOME/.kube/config`.
    /// The context is `context` if given, else the merged `current-context`. Paths inside a file
    /// are relative to that file's directory. Certificate and key files are read now; a token file
    /// is checked now and re-read by ``KubeClient`` as it rotates.
    ///
    /// - Throws: ``KubeConfigError`` naming the file and the field at fault; exec plugins,
    ///   auth providers and basic auth are refused with a message that says so.
    public static func load(
        kubeconfigPath: String? = nil,
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KubeConfigError) -> KubeConfig {
        let paths = try kubeconfigFiles(explicit: kubeconfigPath, environment: environment)
        var merged = KubeconfigMerge()
        for path in paths {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw KubeConfigError(file: path, message: "cannot be read: \(error.localizedDescription)")
            }
            merged.add(try KubeconfigFile.parse(text, path: path), from: path)
        }
        return try KubeconfigResolver(merged: merged).resolve(context: context)
    }

    /// The kubeconfig files to merge, in order; only existing ones from the `KUBECONFIG` list.
    static func kubeconfigFiles(
        explicit: String?, environment: [String: String]
    ) throws(KubeConfigError) -> [String] {
        let fileManager = FileManager.default
        if let explicit, !explicit.isEmpty {
            guard fileManager.fileExists(atPath: explicit) else {
                throw KubeConfigError(file: explicit, message: "does not exist")
            }
            return [explicit]
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let named = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            let existing = named.filter { fileManager.fileExists(atPath: $0) }
            guard !existing.isEmpty else {
                throw KubeConfigError(message: "KUBECONFIG=\(list) names no existing file")
            }
            var seen = Set<String>()
            return existing.filter { seen.insert($0).inserted }
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw KubeConfigError(message: "no kubeconfig: neither a path, KUBECONFIG nor HOME is set")
        }
        let path = (home as NSString).appendingPathComponent(".kube/config")
        guard fileManager.fileExists(atPath: path) else {
            throw KubeConfigError(file: path, message: "does not exist (and KUBECONFIG is not set)")
        }
        return [path]
    }
}
