import Crypto
import Foundation
import TollgateManifests
import TollgateModel

/// Reads a manifest directory tree into a `Store` whenever it changes, like `kubectl apply -R -f`.
/// Stats every file (following symlinks, so a ConfigMap volume's `..data` swap counts as a change)
/// and reads, hashes and decodes only files whose stamp changed; a file whose bytes did not change
/// keeps its decoded objects. Emulates Kubernetes `metadata.generation`: an object's generation
/// grows by one each time its content changes.
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
    /// What each file held when it was last read; hash and result are nil for an unreadable file.
    private var files: [String: CachedFile] = [:]
    private var loaded = false
    /// The objects of the previous state (with their emulated generations), to compare edited
    /// objects with; shares storage with the store that state returned.
    private var previousStore = Store()
    /// The file each object of the previous state came from, with that file's content hash.
    private var origins: [ObjectKey: (file: String, fileHash: String)] = [:]
    private var generations: [ObjectKey: Int64]
    private var previousKeys: Set<ObjectKey> = []

    struct FileStamp: Equatable, Sendable {
        var size: Int64, modified: timespec, changed: timespec, inode: UInt64, device: UInt64
        static func == (a: FileStamp, b: FileStamp) -> Bool {
            a.size == b.size && a.inode == b.inode && a.device == b.device
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    struct CachedFile: Sendable {
        var stamp: FileStamp?
        var hash: String?
        var result: ManifestDecoder.Result?
    }

    /// `generations` seeds the emulated generations (e.g. persisted by a previous run).
    public init(roots: [String], generations: [ObjectKey: Int64] = [:]) {
        self.roots = roots
        self.generations = generations
    }

    /// The emulated generation of every object seen so far.
    public var knownGenerations: [ObjectKey: Int64] { generations }

    /// Loads the directory if any file's content changed, or files came or went, since the last
    /// call (or on the first call); returns nil when nothing changed. Throws when a root does not
    /// exist.
    public mutating func poll() throws -> State? {
        let loader = DirectoryLoader()
        var paths: [String] = []
        for r in roots { paths += try loader.manifestFiles(root: r) }
        var live: [String: CachedFile] = [:]
        var different = !loaded
        // Files whose bytes changed are decoded and admitted together, on all cores.
        var pending: [(stamp: FileStamp, hash: String)] = []
        var texts: [DirectoryLoader.Text] = []
        for f in paths {
            switch refresh(f, from: files[f]) {
            case .unchanged(let file):
                live[f] = file
            case .changed(let file):
                live[f] = file
                different = true
            case .decode(let stamp, let hash, let text):
                pending.append((stamp, hash))
                texts.append(DirectoryLoader.Text(path: f, text: text))
                different = true
            }
        }
        for (i, decoded) in DirectoryLoader.admit(DirectoryLoader.decode(texts)).enumerated() {
            live[texts[i].path] = CachedFile(stamp: pending[i].stamp, hash: pending[i].hash, result: decoded)
        }
        // A new file is a change by itself; a file that went away leaves fewer.
        different = different || live.count != files.count
        files = live
        guard different else { return nil }
        loaded = true

        var result = DirectoryLoader.Result()
        for f in paths {
            guard let decoded = live[f]?.result else { result.unreadable.append(f); continue }
            result.errors += decoded.errors
            result.warnings += decoded.warnings
            for (object, location) in decoded.objects { DirectoryLoader.add(object, location, to: &result) }
        }

        // Emulated generations and the set of changed objects.
        var changed = Set<ObjectKey>()
        let keys = Set(result.store.allKeys)
        // An object from a file whose bytes did not change is unchanged; any other object that
        // existed before is compared with its previous value (generations aside), on all cores.
        var origins: [ObjectKey: (file: String, fileHash: String)] = [:]
        origins.reserveCapacity(keys.count)
        var stale: [ObjectKey] = []
        for key in keys {
            let file = result.sources[key]?.file ?? ""
            let fileHash = live[file]?.hash ?? ""
            origins[key] = (file, fileHash)
            if let old = self.origins[key] {
                if old.file == file, old.fileHash == fileHash { continue }
                stale.append(key)
            }
        }
        let store = result.store, previous = previousStore
        let edited = Parallel.map(stale) { !Self.sameContent($0, in: store, as: previous) }
        for (key, isEdited) in zip(stale, edited) where isEdited {
            // Saturating: a manifest may seed any generation admission lets through.
            let g = generations[key] ?? 1
            generations[key] = g < Int64.max ? g + 1 : g
            changed.insert(key)
        }
        for key in keys where self.origins[key] == nil {
            if generations[key] == nil { generations[key] = result.store.generation(of: key) ?? 1 }
            changed.insert(key)
        }
        for key in keys { Self.setGeneration(generations[key]!, of: key, in: &result.store) }
        for gone in previousKeys.subtracting(keys) { changed.insert(gone) }
        self.origins = origins
        previousKeys = keys
        previousStore = result.store
        return State(store: result.store, sources: result.sources, errors: result.errors, warnings: result.warnings, changed: changed)
    }

    /// What a file needs after `refresh`.
    private enum Refresh {
        /// Same content as cached.
        case unchanged(CachedFile)
        /// Gone or unreadable (a change unless it already was).
        case changed(CachedFile)
        /// New bytes, to decode.
        case decode(FileStamp, hash: String, text: String)
    }

    /// The file as it is now, compared with `cached` (or new). Reads and hashes only when the
    /// stamp moved; asks for a decode only when the bytes changed.
    private func refresh(_ path: String, from cached: CachedFile?) -> Refresh {
        let stamp = Self.stamp(path)
        if let cached, let stamp, cached.stamp == stamp { return .unchanged(cached) }
        guard let stamp, let data = FileManager.default.contents(atPath: path) else {
            let file = CachedFile(stamp: stamp)
            return cached.map { $0.result != nil } ?? true ? .changed(file) : .unchanged(file)
        }
        let hash = Hex.encode(SHA256.hash(data: data))
        if let cached, cached.hash == hash { return .unchanged(CachedFile(stamp: stamp, hash: hash, result: cached.result)) }
        return .decode(stamp, hash: hash, text: String(decoding: data, as: UTF8.self))
    }

    /// stat(2), following symlinks; nil when the file is gone.
    static func stamp(_ path: String) -> FileStamp? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return FileStamp(size: Int64(s.st_size), modified: s.st_mtim, changed: s.st_ctim,
                         inode: UInt64(s.st_ino), device: UInt64(s.st_dev))
    }

    /// True when the object `key` names has the same content in `store` as in `previous`,
    /// generations aside (`Equatable`, no serialization: cheap enough for every edited object).
    static func sameContent(_ key: ObjectKey, in store: Store, as previous: Store) -> Bool {
        func same<T: KubeObject>(_ a: T?, _ b: T?) -> Bool {
            guard var a, var b else { return a == nil && b == nil }
            a.metadata.generation = 0
            b.metadata.generation = 0
            return a == b
        }
        switch key.kind {
        case .namespace: return same(store.namespaces[key.name], previous.namespaces[key.name])
        case .gatewayClass: return same(store.gatewayClasses[key.name], previous.gatewayClasses[key.name])
        case .gateway: return same(store.gateways[key], previous.gateways[key])
        case .httpRoute: return same(store.httpRoutes[key], previous.httpRoutes[key])
        case .backendTLSPolicy: return same(store.backendTLSPolicies[key], previous.backendTLSPolicies[key])
        case .referenceGrant: return same(store.referenceGrants[key], previous.referenceGrants[key])
        case .secret: return same(store.secrets[key], previous.secrets[key])
        case .configMap: return same(store.configMaps[key], previous.configMaps[key])
        case .service: return same(store.services[key], previous.services[key])
        case .endpointSlice: return same(store.endpointSlices[key], previous.endpointSlices[key])
        case .nginxProxy: return same(store.nginxProxies[key], previous.nginxProxies[key])
        }
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
