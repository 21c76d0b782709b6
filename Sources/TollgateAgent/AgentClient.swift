#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TollgateFiles
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import TollgateProto
import TollgateSnapshot

/// The agent's side of the stream: says hello with what is live on disk, applies every snapshot
/// it receives through the `ConfigApplier` (coalescing to the newest), answers with a result,
/// and reconnects with backoff when the stream ends.
public struct AgentClient: Sendable {
    public let gateway: String
    public let agentID: String
    public let controller: ControllerAddress
    public let tls: AgentTLS?
    public let dryRun: Bool
    public let applier: ConfigApplier
    /// Whether NGINX serves; reported after the hello and on every change.
    public let serving: ServingState?
    let logger: Logger

    public init(gateway: String, agentID: String, controller: ControllerAddress, tls: AgentTLS?, dryRun: Bool,
                applier: ConfigApplier, serving: ServingState? = nil, logger: Logger = Logger(label: "tollgate.agent")) {
        self.gateway = gateway; self.agentID = agentID; self.controller = controller
        self.tls = tls; self.dryRun = dryRun; self.applier = applier; self.serving = serving; self.logger = logger
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var backoff: Duration = .milliseconds(100)
        // After a splice that did not fit the files on disk, one stream without splices: the
        // controller then sends whole files.
        var acceptSplices = true
        while !Task.isCancelled {
            let start = ContinuousClock.now
            let accepting = acceptSplices
            acceptSplices = true
            do {
                try await runOnce(acceptSplices: accepting)
                logger.info("stream to \(controller) ended; reconnecting")
            } catch is CancellationError {
                return
            } catch where SpliceMismatch.isCause(of: error) {
                acceptSplices = false
                logger.warning("stream to \(controller): \(error); reconnecting for whole files")
            } catch {
                logger.warning("stream to \(controller) failed: \(error); reconnecting")
            }
            if ContinuousClock.now - start > .seconds(5) { backoff = .milliseconds(100) }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    func transport() throws -> HTTP2ClientTransport.Posix {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.connection.keepalive = .init(time: AgentKeepalive.interval, timeout: AgentKeepalive.timeout, allowWithoutCalls: true)
        switch controller {
        case .unix(let path):
            return try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext, config: config)
        case .tcp(let host, let port):
            guard let tls = tls?.reloaded() else { throw AgentError("https:// controllers need --tls-cert, --tls-key and --tls-ca (mutual TLS only)") }
            let security = HTTP2ClientTransport.Posix.TransportSecurity.mTLS(
                certificateChain: [.bytes(Array(tls.certificatePEM.utf8), format: .pem)],
                privateKey: .bytes(Array(tls.keyPEM.utf8), format: .pem)
            ) { $0.trustRoots = .certificates([.bytes(Array(tls.caPEM.utf8), format: .pem)]) }
            // An IP literal must not be sent as the TLS server name (SNI cannot carry IP addresses);
            // the certificate is still verified against the address.
            let target: any ResolvableTarget
            if host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) {
                target = .ipv4(host: host, port: port)
            } else if host.contains(":") {
                target = .ipv6(host: host.trimmed(where: { $0 == "[" || $0 == "]" }), port: port)
            } else {
                target = .dns(host: host, port: port)
            }
            return try HTTP2ClientTransport.Posix(target: target, transportSecurity: security, config: config)
        }
    }

    /// One stream: hello, then snapshots until the stream ends.
    func runOnce(acceptSplices: Bool = true) async throws {
        let live = try await applier.liveState()
        var hello = Tollgate_V1_Hello()
        hello.gateway = gateway
        hello.agentID = agentID
        hello.dryRun = dryRun
        hello.acceptsSplices = acceptSplices
        hello.appliedVersion = live?.version ?? 0
        hello.appliedDigest = live?.recordedDigest ?? ""
        hello.fileHashes = live?.fileHashes ?? [:]
        hello.nginxVersion = (try? await applier.binary.version()) ?? ""
        let (outbox, out) = AsyncStream<Tollgate_V1_AgentMessage>.makeStream()
        for message in Self.helloMessages(hello) { out.yield(message) }
        let healthTask = serving.map { state in
            Task {
                for await v in await state.watch() {
                    var h = Tollgate_V1_Health()
                    h.serving = v.serving
                    h.reason = Self.cut(v.reason, Self.maxMessageBytes)
                    var m = Tollgate_V1_AgentMessage()
                    m.health = h
                    out.yield(m)
                }
            }
        }
        defer { healthTask?.cancel() }
        let applier = self.applier, logger = self.logger, dryRun = self.dryRun
        try await withGRPCClient(transport: try transport()) { client in
            let service = Tollgate_V1_AgentService.Client(wrapping: client)
            try await service.connect { writer in
                for await message in outbox { try await writer.write(message) }
            } onResponse: { response in
                defer { out.finish() }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var assembler = SnapshotAssembler()
                    for try await message in response.messages {
                        guard case .snapshot(let part)? = message.kind else { continue }
                        // A big version arrives in parts; apply it once it is whole.
                        guard let snap = try assembler.add(part) else { continue }
                        logger.info("received version \(snap.version) (\(snap.full ? "full" : "delta"): \(snap.upserts.count) upserts, \(snap.removals.count) removals) — \(snap.trigger)")
                        let files: FileSet
                        let claimed: [String: String]
                        do { (files, claimed) = try Self.reconstruct(snap, root: applier.root) } catch {
                            // The delta does not fit what is on disk: start over with a fresh hello.
                            logger.warning("cannot use version \(snap.version): \(error); reconnecting")
                            throw error
                        }
                        group.addTask {
                            let outcome = await applier.submit(ApplyRequest(version: snap.version, digest: snap.digest, files: files, fileHashes: claimed, dryRun: dryRun))
                            guard let result = Self.result(outcome) else { return }
                            logger.info("version \(snap.version): \(result.outcome)\(result.message.isEmpty ? "" : " — " + result.message) (\(outcome.steps))")
                            var m = Tollgate_V1_AgentMessage()
                            m.result = result
                            out.yield(m)
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    /// The full file set of a snapshot — its upserts, or the live tree with the delta applied — and
    /// the sha256 each file must have: the controller's for upserts, the live tree's for the rest.
    ///
    /// A spliced upsert is rebuilt from the live file at its path (`rebuild`); when that file is
    /// not the splice's base, or the result not the file the controller hashed, nothing of the
    /// version is used (`SpliceMismatch`).
    static func reconstruct(_ snap: Tollgate_V1_Snapshot, root: ConfigRoot) throws -> (FileSet, [String: String]) {
        var base = FileSet()
        var live: LiveState?
        if !snap.full {
            guard let l = try root.liveState() else { throw AgentError("delta for version \(snap.version) but nothing is live") }
            guard l.version == snap.baseVersion else {
                throw AgentError("delta for version \(snap.version) is based on version \(snap.baseVersion), but version \(l.version) is live")
            }
            base = try TreeReader.fileSet(of: l.directory)
            base.files = base.files.filter { !Delta.isAgentOwned($0.key) && $0.key != ".tollgate-version" }
            live = l
        }
        var upserts: [String: RenderedFile] = [:]
        var claimed: [String: String] = [:]
        for u in snap.upserts {
            guard PathSafety.isSafe(u.path) else { throw AgentError("snapshot path \"\(u.path)\" leaves the config root") }
            let contents = u.hasSplice ? try rebuild(u, from: base.files[u.path]?.contents, full: snap.full) : u.contents
            upserts[u.path] = RenderedFile(contents: contents, mode: UInt16(truncatingIfNeeded: u.mode))
            claimed[u.path] = u.sha256
        }
        guard let live else { return (FileSet(files: upserts), claimed) }
        let files = Delta.apply(upserts: upserts, removals: snap.removals, to: base)
        for path in files.files.keys where claimed[path] == nil { claimed[path] = live.fileHashes[path] }
        return (files, claimed)
    }

    /// The whole file of a spliced upsert: runs of `base` (the live file at its path) between the
    /// upsert's contents, checked against the splice's base sha256 before and the
    /// upsert's sha256 after.
    static func rebuild(_ u: Tollgate_V1_FileUpsert, from base: Data?, full: Bool) throws(SpliceMismatch) -> Data {
        guard !full else { throw SpliceMismatch(path: u.path, reason: "a full version cannot carry a splice") }
        guard let base else { throw SpliceMismatch(path: u.path, reason: "no live file to splice") }
        guard RenderedFile(data: base).sha256 == u.splice.baseSha256 else {
            throw SpliceMismatch(path: u.path, reason: "the live file is not the splice's base")
        }
        var copies: [Splice.Copy] = []
        var total = u.contents.count
        for r in u.splice.runs {
            guard let before = Int(exactly: r.literalBefore), let offset = Int(exactly: r.baseOffset), let length = Int(exactly: r.length) else {
                throw SpliceMismatch(path: u.path, reason: "a run does not fit the live file")
            }
            total += min(length, SnapshotAssembler.maxBytes)
            guard total <= SnapshotAssembler.maxBytes else {
                throw SpliceMismatch(path: u.path, reason: "the spliced file would be larger than \(SnapshotAssembler.maxBytes) bytes")
            }
            copies.append(Splice.Copy(literalBefore: before, baseOffset: offset, length: length))
        }
        guard let rebuilt = Splice(baseSHA256: u.splice.baseSha256, copies: copies, literal: u.contents).apply(to: base)
        else { throw SpliceMismatch(path: u.path, reason: "a run does not fit the live file") }
        guard RenderedFile(data: rebuilt).sha256 == u.sha256 else {
            throw SpliceMismatch(path: u.path, reason: "the spliced file does not have the sha256 the controller sent")
        }
        return rebuilt
    }

    /// Most file hashes in one stream message; the rest follow in FileHashes continuations.
    static let hashesPerMessage = 5000

    /// The hello, split so that no message is large whatever the number of files on disk.
    public static func helloMessages(_ hello: Tollgate_V1_Hello) -> [Tollgate_V1_AgentMessage] {
        let paths = hello.fileHashes.keys.sorted()
        var chunks: [[String]] = stride(from: 0, to: paths.count, by: hashesPerMessage).map {
            Array(paths[$0..<min($0 + hashesPerMessage, paths.count)])
        }
        if chunks.isEmpty { chunks = [[]] }
        var first = hello
        first.fileHashes = Dictionary(uniqueKeysWithValues: chunks[0].map { ($0, hello.fileHashes[$0] ?? "") })
        first.moreFileHashes = chunks.count > 1
        var out: [Tollgate_V1_AgentMessage] = []
        var m = Tollgate_V1_AgentMessage()
        m.hello = first
        out.append(m)
        for (i, chunk) in chunks.enumerated().dropFirst() {
            var part = Tollgate_V1_FileHashes()
            part.fileHashes = Dictionary(uniqueKeysWithValues: chunk.map { ($0, hello.fileHashes[$0] ?? "") })
            part.more = i < chunks.count - 1
            var pm = Tollgate_V1_AgentMessage()
            pm.fileHashes = part
            out.append(pm)
        }
        return out
    }

    /// Longest rejection message and dry-run diff sent back (the rest is cut, saying so), so a
    /// result never approaches the message size limit.
    static let maxMessageBytes = 64 << 10
    static let maxDiffBytes = 1 << 20

    static func cut(_ s: String, _ limit: Int) -> String {
        guard s.utf8.count > limit else { return s }
        return String(decoding: s.utf8.prefix(limit), as: UTF8.self) + "\n… (cut at \(limit) bytes of \(s.utf8.count))"
    }

    static func result(_ o: ApplyOutcome) -> Tollgate_V1_ApplyResult? {
        var r = Tollgate_V1_ApplyResult()
        r.version = o.version
        r.digest = o.digest
        r.applyDurationMicros = UInt64(max(0, o.duration.components.seconds * 1_000_000 + o.duration.components.attoseconds / 1_000_000_000_000))
        switch o.result {
        case .applied: r.outcome = .applied
        case .rejected(let m):
            r.outcome = .rejected
            r.message = cut(m, maxMessageBytes)
            if let port = NginxErrorLine.unbindablePort(in: m) { r.unbindablePorts = [UInt32(port)] }
        case .dryRunOK(let d): r.outcome = .dryRunOk; r.diff = cut(d, maxDiffBytes)
        case .dryRunRejected(let m, let d): r.outcome = .dryRunRejected; r.message = cut(m, maxMessageBytes); r.diff = cut(d, maxDiffBytes)
        case .superseded: return nil
        }
        return r
    }
}

/// A spliced upsert that cannot be rebuilt from the files on disk: the version is not used, and
/// the agent reconnects once without splices so that the controller sends whole files.
public struct SpliceMismatch: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot splice \(path): \(reason)" }

    /// True when `error` is a mismatch, or an RPC error caused by one (a stream handler's error
    /// may come back wrapped).
    static func isCause(of error: any Error) -> Bool {
        error is SpliceMismatch || (error as? RPCError)?.cause is SpliceMismatch
    }
}
