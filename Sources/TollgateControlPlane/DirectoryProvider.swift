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
    /// Content hash of each object, with the hash of the file it came from when it was computed.
    private var objectHashes: [ObjectKey: (file: String, fileHash: String, hash: String)] = [:]
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
        var hashes: [ObjectKey: (file: String, fileHash: String, hash: String)] = [:]
        let keys = Set(result.store.allKeys)
        // Objects from unchanged files keep their hash: only edited files cost re-hashing, on all cores.
        var origins: [ObjectKey: (file: String, fileHash: String)] = [:]
        var stale: [ObjectKey] = []
        for key in keys {
            let file = result.sources[key]?.file ?? ""
            let fileHash = live[file]?.hash ?? ""
            origins[key] = (file, fileHash)
            if let old = objectHashes[key], old.file == file, old.fileHash == fileHash { continue }
            stale.append(key)
        }
        let store = result.store
        let fresh = Dictionary(uniqueKeysWithValues: zip(stale, Parallel.map(stale) { Self.contentHash($0, in: store) }))
        for key in keys {
            let (file, fileHash) = origins[key]!
            let h = fresh[key] ?? objectHashes[key]!.hash
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
