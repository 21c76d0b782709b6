import Foundation
import TollgateModel

/// Loads every `*.yaml`, `*.yml` and `*.json` file under a directory tree into a `Store`, the way
/// `kubectl apply -R -f DIR` reads it. Files are read in sorted path order so results are stable.
public struct DirectoryLoader: Sendable {
    public struct Result: Sendable {
        public var store = Store()
        /// Where each object came from.
        public var sources: [ObjectKey: SourceLocation] = [:]
        public var errors: [ManifestError] = []
        public var warnings: [ManifestWarning] = []
        /// Files that could not be read at all (unreadable input).
        public var unreadable: [String] = []

        public init() {}
    }

    public static let extensions: Set<String> = ["yaml", "yml", "json"]

    public init() {}

    /// Manifest files under `root` (or `root` itself when it is a file), sorted.
    public func manifestFiles(root: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            throw LoaderError.notFound(root)
        }
        if !isDir.boolValue { return [root] }
        guard let e = FileManager.default.enumerator(atPath: root) else { throw LoaderError.notFound(root) }
        var files: [String] = []
        while let rel = e.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".") { if (e.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { e.skipDescendants() }; continue }
            guard Self.extensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
            let full = (root as NSString).appendingPathComponent(rel)
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue { files.append(full) }
        }
        return files.sorted()
    }

    public func load(root: String) throws -> Result { try load(roots: [root]) }

    /// Loads several directories or files into one store, in the order given.
    public func load(roots: [String]) throws -> Result {
        var result = Result()
        var files: [String] = []
        for root in roots { files += try manifestFiles(root: root) }
        var texts: [Text] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                result.unreadable.append(file); continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                result.errors.append(ManifestError(SourceLocation(file: file, document: 1), field: "", "file is not UTF-8 text"))
                continue
            }
            texts.append(Text(path: file, text: text))
        }
        for decoded in Self.admit(Self.decode(texts)) {
            result.errors += decoded.errors
            result.warnings += decoded.warnings
            for (object, location) in decoded.objects {
                Self.add(object, location, to: &result)
            }
        }
        return result
    }

    /// One manifest file's text.
    public struct Text: Sendable {
        public var path: String
        public var text: String
        public init(path: String, text: String) { self.path = path; self.text = text }
    }

    /// Every file decoded, on all cores; results in the order of `files`. With `admit`, the two
    /// stages of reading a manifest directory (the directory provider uses them as they are).
    public static func decode(_ files: [Text]) -> [ManifestDecoder.Result] {
        Parallel.map(files) { ManifestDecoder().decode(text: $0.text, file: $0.path) }
    }

    /// `AdmissionStage.admit` of every result, on all cores; results in the order given.
    public static func admit(_ decoded: [ManifestDecoder.Result]) -> [ManifestDecoder.Result] {
        Parallel.map(decoded) { AdmissionStage.admit($0) }
    }

    /// Adds one object; a second definition of the same object replaces the first with a warning
    /// unless both are identical.
    public static func add(_ object: AnyKubeObject, _ location: SourceLocation, to result: inout Result) {
        let key = object.key
        if let previous = result.sources[key], result.store.object(key) != object {
            result.warnings.append(ManifestWarning(location, "\(key) is also defined in \(previous); using this definition"))
        }
        result.store.upsert(object)
        result.sources[key] = location
    }

    public enum LoaderError: Error, CustomStringConvertible {
        case notFound(String)
        public var description: String {
            switch self { case .notFound(let p): return "\(p): no such file or directory" }
        }
    }
}

extension Store {
    /// The stored object with `key`, if any (one dictionary lookup).
    func object(_ key: ObjectKey) -> AnyKubeObject? {
        switch key.kind {
        case .namespace: return namespaces[key.name].map(AnyKubeObject.namespace)
        case .gatewayClass: return gatewayClasses[key.name].map(AnyKubeObject.gatewayClass)
        case .gateway: return gateways[key].map(AnyKubeObject.gateway)
        case .httpRoute: return httpRoutes[key].map(AnyKubeObject.httpRoute)
        case .backendTLSPolicy: return backendTLSPolicies[key].map(AnyKubeObject.backendTLSPolicy)
        case .referenceGrant: return referenceGrants[key].map(AnyKubeObject.referenceGrant)
        case .secret: return secrets[key].map(AnyKubeObject.secret)
        case .configMap: return configMaps[key].map(AnyKubeObject.configMap)
        case .service: return services[key].map(AnyKubeObject.service)
        case .endpointSlice: return endpointSlices[key].map(AnyKubeObject.endpointSlice)
        case .nginxProxy: return nginxProxies[key].map(AnyKubeObject.nginxProxy)
        }
    }
}
