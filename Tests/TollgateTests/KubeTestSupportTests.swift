import Foundation
import KubeAPIServerDouble
import Logging
import Synchronization
import Testing
import class TollgateKube.KubeClient
import struct TollgateKube.KubeConfig

// Shared by the Kube*Tests that talk to a server. Only this file imports the double, whose
// `ResourceType` and `JSONValue` share names with TollgateKube's; the tests see the wrapper below.

/// A running API server double and what the tests do to it, in the tests' vocabulary.
final class KubeTestServer: Sendable {
    let double: KubeAPIServerDouble
    let directory: URL

    /// Which API types the double serves.
    enum Catalogue: Sendable {
        /// Everything Tollgate uses.
        case all
        /// Without BackendTLSPolicy (CRD not installed) and with ReferenceGrant at v1beta1 only.
        case olderGatewayAPI
    }

    private init(double: KubeAPIServerDouble, directory: URL) {
        self.double = double
        self.directory = directory
    }

    /// Starts a double on a random loopback port.
    static func start(
        _ catalogue: Catalogue = .all, bookmarkInterval: Duration = .milliseconds(200)
    ) async throws -> KubeTestServer {
        var resources = ResourceType.tollgateDefaults
        if case .olderGatewayAPI = catalogue {
            resources.removeAll { $0.kind == "BackendTLSPolicy" }
            resources = resources.map { $0.kind == "ReferenceGrant" ? $0.serving(versions: ["v1beta1"]) : $0 }
        }
        let double = KubeAPIServerDouble(resources: resources, bookmarkInterval: bookmarkInterval)
        try await double.start()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kube-double-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return KubeTestServer(double: double, directory: directory)
    }

    /// The double's kubeconfig, loaded the way Tollgate loads one.
    func config(token: String? = nil) throws -> KubeConfig {
        let path = directory.appendingPathComponent("kubeconfig-\(UUID().uuidString)").path
        try double.writeKubeconfig(to: path, token: token)
        return try KubeConfig.load(kubeconfigPath: path, environment: [:])
    }

    /// A client from the double's kubeconfig.
    func client(token: String? = nil, logger: Logger = Logger(label: "test.kube")) throws -> KubeClient {
        try KubeClient(config: config(token: token), requestTimeout: .seconds(10), logger: logger)
    }

    var token: String { double.token }

    func stop() async {
        try? await double.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Faults

    func dropWatches() { double.dropWatches() }
    func compact() { double.compact() }
    func clearFailures() { double.clearFailures() }
    func restart() async throws {
        let port = double.port
        try await double.stop()
        try await double.start(port: port)
    }

    /// Fails requests whose path contains `pathContaining` (and that are or are not watches).
    func failRequests(status: Int, count: Int?, pathContaining: String, watches: Bool? = nil) {
        double.failRequests(status: status, count: count) { request in
            request.path.contains(pathContaining) && (watches == nil || request.isWatch == watches)
        }
    }

    // MARK: Request log

    /// One answered request: method, path, query, status.
    struct Logged: Sendable, CustomStringConvertible {
        var method: String
        var path: String
        var query: [String: String]
        var status: Int
        var isWatch: Bool
        var description: String { "\(method) \(path) \(query) → \(status)" }
    }

    var requests: [Logged] {
        double.requestLog.map {
            Logged(method: $0.method, path: $0.path, query: $0.query, status: $0.status, isWatch: $0.isWatch)
        }
    }

    func clearRequests() { double.clearRequestLog() }

    // MARK: Direct store access (no HTTP), for writes "by someone else"

    /// Sets a label on an object straight in the store (a concurrent writer).
    func setLabel(apiVersion: String, kind: String, namespace: String?, name: String, key: String, value: String) throws {
        guard var object = double.get(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name) else {
            throw KubeTestFailure("no \(kind) \(name)")
        }
        var metadata = object["metadata"]?.objectValue ?? [:]
        var labels = metadata["labels"]?.objectValue ?? [:]
        labels[key] = .string(value)
        metadata["labels"] = .object(labels)
        object["metadata"] = .object(metadata)
        try double.update(object)
    }

    /// Deletes an object straight in the store.
    func delete(apiVersion: String, kind: String, namespace: String?, name: String) throws {
        try double.delete(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name)
    }

    /// Creates a Namespace straight in the store.
    func createNamespace(_ name: String) throws {
        try double.create(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    /// Creates a ConfigMap straight in the store.
    func createConfigMap(namespace: String, name: String, labels: [String: String] = [:]) throws {
        let labelValues = labels.mapValues { JSONValue.string($0) }
        try double.create([
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["namespace": .string(namespace), "name": .string(name), "labels": .object(labelValues)],
            "data": ["k": "v"],
        ])
    }
}

struct KubeTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh double and a client, stopping both afterwards.
func withKubeServer<T>(
    _ catalogue: KubeTestServer.Catalogue = .all, logger: Logger = Logger(label: "test.kube"),
    _ body: (KubeTestServer, KubeClient) async throws -> T
) async throws -> T {
    let server = try await KubeTestServer.start(catalogue)
    let client: KubeClient
    do {
        client = try server.client(logger: logger)
    } catch {
        await server.stop()
        throw error
    }
    do {
        let result = try await body(server, client)
        try? await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

/// Waits until `condition` holds, checking every 20 ms; fails the test after `timeout`.
/// The timeout only bounds a broken test: no assertion depends on how long anything took.
func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(20),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what())", sourceLocation: sourceLocation)
    throw KubeTestFailure("timed out waiting for \(what())")
}

/// Records what a logger was told, for assertions on warnings.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    /// A logger whose records land here (and nowhere else).
    func logger(_ label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    var all: [Entry] { entries.withLock { $0 } }

    func at(_ level: Logger.Level) -> [Entry] { all.filter { $0.level == level } }

    fileprivate func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            for (key, value) in event.metadata ?? [:] { merged[key] = value }
            capture.append(Entry(
                level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
