import Crypto
import Foundation
import TollgateManifests
import TollgateModel

/// Reads a manifest directory tree into a `Store` whenever it changes, like `kubectl apply -R -f`.
/// Polls file metadata (cheap) and re-decodes only files whose bytes changed. Emulates Kubernetes
/// `metadata.generation`: an object's generation grows by one each time its content changes.
public struct DirectoryProvider: Sendable {
    /// One loaded state of the directory.
    public struct State: Sendable {
        public var store: Store
        public var sources: [ObjectKey: SourceLocation]
        public var errors: [ManifestError]
        public var warnings: [ManifestWarning]
        /// Objects added, changed or removed since the previous state.
        public var changed: Set<ObjectKey>
    }

    public let roots: [String]
    private var fileStamps: [String: FileStamp] = [:]
    private var decodedFiles: [String: (hash: String, result: ManifestDecoder.Result)] = [:]
    /// Content hash of each object, with the hash of the file it came from when it was computed.
    private var objectHashes: [ObjectKey: (file: String, fileHash: String, hash: String)] = [:]
    private var generations: [ObjectKey: Int64]
    private var previousKeys: Set<ObjectKey> = []

    struct FileStamp: Equatable { var size: UInt64; var modified: Date; var inode: UInt64 }

    /// `generations` seeds the emulated generations (e.g. persisted by a previous run).
    public init(roots: [String], generations: [ObjectKey: Int64] = [:]) {
        self.roots = roots
        self.generations = generations
    }

    /// The emulated generation of every object seen so far.
    public var knownGenerations: [ObjectKey: Int64] { generations }

    /// Loads the directory if anything changed since the last call (or on the first call);
    /// returns nil when nothing changed. Throws when a root does not exist.
    public mutating func poll() throws -> State? {
        let loader = DirectoryLoader()
        var files: [String] = []
        for r in roots { files += try loader.manifestFiles(root: r) }
        var stamps: [String: FileStamp] = [:]
        for f in files { stamps[f] = Self.stamp(f) }
        if !fileStamps.isEmpty || !previousKeys.isEmpty, stamps == fileStamps { return nil }
        fileStamps = stamps

        var result = DirectoryLoader.Result()
        let decoder = ManifestDecoder()
        var live: [String: (hash: String, result: ManifestDecoder.Result)] = [:]
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { result.unreadable.append(f); continue }
            let hash = Hex.encode(SHA256.hash(data: data))
            let decoded: ManifestDecoder.Result
            if let cached = decodedFiles[f], cached.hash == hash {
                decoded = cached.result
            } else {
                decoded = AdmissionStage.admit(decoder.decode(text: String(decoding: data, as: UTF8.self), file: f))
            }
            live[f] = (hash, decoded)
            result.errors += decoded.errors
            result.warnings += decoded.warnings
            for (object, location) in decoded.objects { DirectoryLoader.add(object, location, to: &result) }
        }
        decodedFiles = live

        // Emulated generations and the set of changed objects.
        var changed = Set<ObjectKey>()
        var hashes: [ObjectKey: (file: String, fileHash: String, hash: String)] = [:]
        let keys = Set(result.store.allKeys)
        for key in keys {
            // Objects from unchanged files keep their hash: only edited files cost re-hashing.
            let file = result.sources[key]?.file ?? ""
            let fileHash = live[file]?.hash ?? ""
            let h: String
            if let old = objectHashes[key], old.file == file, old.fileHash == fileHash { h = old.hash } else { h = Self.contentHash(key, in: result.store) }
            hashes[key] = (file, fileHash, h)
            if let old = objectHashes[key] {
                if old.hash != h {
                    // Saturating: a manifest may seed any generation admission lets through.
                    let g = generations[key] ?? 1
                    generations[key] = g < Int64.max ? g + 1 : g
                    changed.insert(key)
                }
            } else {
                if generations[key] == nil { generations[key] = result.store.generation(of: key) ?? 1 }
                changed.insert(key)
            }
            Self.setGeneration(generations[key]!, of: key, in: &result.store)
        }
        for gone in previousKeys.subtracting(keys) { changed.insert(gone) }
        objectHashes = hashes
        previousKeys = keys
        return State(store: result.store, sources: result.sources, errors: result.errors, warnings: result.warnings, changed: changed)
    }

    static func stamp(_ path: String) -> FileStamp {
        let a = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
        return FileStamp(size: (a[.size] as? NSNumber)?.uint64Value ?? 0,
                         modified: a[.modificationDate] as? Date ?? .distantPast,
                         inode: (a[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0)
    }

    /// A hash of the object's content without its generation, so edits are detected.
    /// Copies only the object, never the store.
    static func contentHash(_ key: ObjectKey, in store: Store) -> String {
        func describe<T: KubeObject>(_ o: T?) -> String {
            guard var o else { return "" }
            o.metadata.generation = 0
            return "\(o)"
        }
        let text: String
        switch key.kind {
        case .namespace: text = describe(store.namespaces[key.name])
        case .gatewayClass: text = describe(store.gatewayClasses[key.name])
        case .gateway: text = describe(store.gateways[key])
        case .httpRoute: text = describe(store.httpRoutes[key])
        case .backendTLSPolicy: text = describe(store.backendTLSPolicies[key])
        case .referenceGrant: text = describe(store.referenceGrants[key])
        case .secret: text = describe(store.secrets[key])
        case .configMap: text = describe(store.configMaps[key])
        case .service: text = describe(store.services[key])
        case .endpointSlice: text = describe(store.endpointSlices[key])
        case .nginxProxy: text = describe(store.nginxProxies[key])
        }
        return Hex.encode(SHA256.hash(data: Data(text.utf8)))
    }

    static func setGeneration(_ g: Int64, of key: ObjectKey, in store: inout Store) {
        switch key.kind {
        case .namespace: store.namespaces[key.name]?.metadata.generation = g
        case .gatewayClass: store.gatewayClasses[key.name]?.metadata.generation = g
        case .gateway: store.gateways[key]?.metadata.generation = g
        case .httpRoute: store.httpRoutes[key]?.metadata.generation = g
        case .backendTLSPolicy: store.backendTLSPolicies[key]?.metadata.generation = g
        case .referenceGrant: store.referenceGrants[key]?.metadata.generation = g
        case .secret: store.secrets[key]?.metadata.generation = g
        case .configMap: store.configMaps[key]?.metadata.generation = g
        case .service: store.services[key]?.metadata.generation = g
        case .endpointSlice: store.endpointSlices[key]?.metadata.generation = g
        case .nginxProxy: store.nginxProxies[key]?.metadata.generation = g
        }
    }
}
