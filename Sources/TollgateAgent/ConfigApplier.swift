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
import TollgateSnapshot

/// Applies snapshots to the config root and NGINX, atomically and provably:
///
/// 1. verify paths (relative, inside the root, not agent-owned), per-file sha256 and the digest;
/// 2. write the full tree (plus `agent/version.conf`) into `versions/.staging-*` — a file identical
///    to the live tree's (bytes and mode) is hard-linked instead of written (`TreeStager.write`);
/// 3. fsync its files and directories (`TreeStager.makeDurable`): nothing is swapped in before
///    its bytes are on disk. When no master this agent supervises is running (the first start,
///    or attach mode, where the master's error log is not ours to read), `nginx -t` checks the
///    staged tree meanwhile and a failure rejects it here, with NGINX's own line;
/// 4. rename it to `versions/V-DIGEST12` and swap `current` by renaming a new symlink over it;
/// 5. reload the master (or start it, the first time in spawn mode) and poll the version probe
///    until it answers the new version. A running master validates the new configuration
///    itself as it reloads: when the configuration does not load (a directive NGINX refuses, a
///    certificate it cannot read, a port it cannot bind), the master logs `[emerg]` and keeps
///    serving the previous configuration with its running workers — so a separate `nginx -t`,
///    which parses everything a second time (for 150 TLS servers: as long as the reload), would
///    only add its own duration to every change;
/// 6. on any failure after the swap: swap back; reload only if the master no longer serves
///    exactly the previous version (a refused configuration leaves it serving); wait for the
///    probe to answer the previous version; report `rejected` with the reason (NGINX's
///    `[emerg]` line, paths relative to the tree).
///
/// A crash between 4 and the end of 6 leaves an unproven tree live: `recover` reloads it, and
/// when it does not load, swaps back to the previous version directory and serves that.
///
/// A dry run does 1–3 (always with `nginx -t`) on a staging directory that is deleted
/// afterwards, plus a diff against the live tree; it never swaps and never signals NGINX.
///
/// Requests are serialized. `apply` runs every request it is given, in call order; `submit`
/// coalesces: while one request is being applied, only the newest waiting request is kept and
/// every older waiting one is answered `.superseded(byVersion:)` without being applied.
public actor ConfigApplier {
    public nonisolated let root: ConfigRoot
    public nonisolated let nginx: NginxProcess
    public nonisolated let binary: NginxBinary
    /// How long the probe may take to answer a new version after a reload.
    public nonisolated let probeTimeout: Duration
    /// How many version directories to keep (the live one included).
    public nonisolated let keepVersions: Int

    private var busy = false
    private var lockWaiters: [CheckedContinuation<Void, Never>] = []
    private var pending: (request: ApplyRequest, continuation: CheckedContinuation<ApplyOutcome, Never>)?
    private var draining = false
    /// When the newest request was submitted.
    private var lastArrival: ContinuousClock.Instant?
    /// A request that arrived while another was being applied waits until none has arrived for
    /// `burstPause`, at most `burstLimit` after that apply ended: versions that keep coming cost
    /// one reload per pause, not one per version. A request arriving when idle never waits.
    private let burstPause = Duration.milliseconds(150)
    private let burstLimit = Duration.seconds(1)

    private var probe: VersionProbe { VersionProbe(socketPath: root.probeSocket) }
    /// How long the probe must answer only the new version before an apply counts as served.
    private let settle = Duration.milliseconds(300)

    public init(root: ConfigRoot, nginx: NginxProcess, binary: NginxBinary = NginxBinary(),
                probeTimeout: Duration = .seconds(10), keepVersions: Int = 3) {
        self.root = root; self.nginx = nginx; self.binary = binary
        self.probeTimeout = probeTimeout; self.keepVersions = max(keepVersions, 2)
    }

    /// What is live on disk (what the hello reports).
    public func liveState() throws -> LiveState? { try root.liveState() }

    /// Call once at agent start: removes what a crash left behind (staging directories, trees
    /// without a version record, temporary symlinks) and, in spawn mode with `startNginx`, makes
    /// NGINX serve the live version: it adopts the master a killed agent left running when that
    /// master belongs to this root and its probe answers (traffic never stops), reloading it when
    /// it still serves the previous version (killed between swap and reload); else it starts NGINX
    /// on the live version and waits for the probe. Returns the live state.
    public func recover(startNginx: Bool = true) async throws -> LiveState? {
        await lock(); defer { unlock() }
        try root.recover()
        guard let live = try root.liveState() else { return nil }
        if startNginx, case .spawn = nginx.mode, await !nginx.isRunning {
            let probe = self.probe, version = live.version, digest = live.recordedDigest
            if await nginx.adoptLeftoverMaster(confirm: { _ in await Self.answers(probe) }) {
                if await Self.servesOnly(probe, version: version, digest: digest) == nil { return live }
                // The previous agent was killed between the swap and the end of the reload: the
                // adopted master still serves (part of) the previous version. Reload it (traffic
                // never stops); a tree the master refuses is swapped back (`fallBack`).
                if let failure = await activate(version: live.version, digest: live.recordedDigest) {
                    return try await fallBack(from: live, because: failure)
                }
                return live
            }
            if let failure = await activate(version: live.version, digest: live.recordedDigest) {
                return try await fallBack(from: live, because: failure)
            }
        }
        return live
    }

    /// The live version does not load (a crash left an unproven tree live, see the type's
    /// documentation): swaps `current` back to the previous version directory, serves it and
    /// removes the failed tree. Throws when there is no previous version or it fails too.
    private func fallBack(from live: LiveState, because failure: String) async throws -> LiveState? {
        let message = "cannot serve the live version \(live.version): \(failure)"
        guard let failed = root.liveDirectoryName(), let previous = root.previousVersionDirectory(before: live.version),
              let record = VersionRecord.read(inDirectory: root.versionDirectory(previous)) else {
            throw AgentError(message)
        }
        do {
            try DurableFiles.replaceSymlink(root.currentLink, target: "versions/\(previous)")
        } catch {
            throw AgentError("\(message); cannot swap back to version \(record.version): \(error)")
        }
        if let again = await serveAgain(version: record.version, digest: record.digest) {
            throw AgentError("\(message); version \(record.version) before it failed too: \(again)")
        }
        DurableFiles.removeTree(root.versionDirectory(failed))
        try? DurableFiles.syncDirectory(root.versionsDirectory)
        recoveryNotes.append("\(message); swapped back to version \(record.version), which NGINX serves")
        return try root.liveState()
    }

    /// What `recover` had to undo (for the agent's log), oldest first; read and cleared by
    /// `takeRecoveryNotes`.
    private var recoveryNotes: [String] = []

    /// What `recover` undid since the last call, e.g. a live version that did not load.
    public func takeRecoveryNotes() -> [String] {
        defer { recoveryNotes = [] }
        return recoveryNotes
    }

    /// nil when the master's version probe answers at all (it serves a version of this root).
    private static func answers(_ probe: VersionProbe) async -> String? {
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(50)) }
            if await probe.query(timeout: .milliseconds(500)) != nil { return nil }
        }
        return "its version probe does not answer"
    }

    /// nil when the probe answers `version digest` three times in a row (no worker of another
    /// version still accepts), else why not.
    private static func servesOnly(_ probe: VersionProbe, version: UInt64, digest: String) async -> String? {
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(50)) }
            guard let answer = await probe.query(timeout: .milliseconds(500)) else {
                return "its version probe does not answer"
            }
            guard answer.version == version, answer.digest == digest else {
                return "it serves version \(answer.version) \(answer.digest.prefix(12)), but version \(version) \(digest.prefix(12)) is live on disk"
            }
        }
        return nil
    }

    /// Applies one request now (after any running one finishes). See the type's documentation.
    public func apply(version: UInt64, digest: String, files: FileSet, fileHashes: [String: String]? = nil,
                      dryRun: Bool = false) async -> ApplyOutcome {
        await apply(ApplyRequest(version: version, digest: digest, files: files, fileHashes: fileHashes, dryRun: dryRun))
    }

    /// Applies one request now (after any running one finishes).
    public func apply(_ request: ApplyRequest) async -> ApplyOutcome {
        await lock(); defer { unlock() }
        let clock = ContinuousClock()
        let start = clock.now
        steps = []
        stepStart = start
        let result = await run(request)
        var outcome = ApplyOutcome(version: request.version, digest: request.digest, result: result, duration: clock.now - start)
        outcome.steps = steps.joined(separator: ", ")
        return outcome
    }

    /// Queues a request with coalescing: if another request is waiting, it is answered
    /// `.superseded(byVersion: request.version)` and never applied; this one waits for the
    /// current apply (if any) and then runs — during a burst (it arrived while another was being
    /// applied), once submissions pause for `burstPause` or `burstLimit` has passed.
    public func submit(_ request: ApplyRequest) async -> ApplyOutcome {
        lastArrival = ContinuousClock.now
        if let older = pending {
            older.continuation.resume(returning: ApplyOutcome(version: older.request.version, digest: older.request.digest,
                                                              result: .superseded(byVersion: request.version), duration: .zero))
            pending = nil
        }
        return await withCheckedContinuation { c in
            pending = (request, c)
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        var previousEnd: ContinuousClock.Instant?
        while pending != nil {
            if let previousEnd { await waitForPause(since: previousEnd) }
            guard let next = pending else { break }
            pending = nil
            let outcome = await apply(next.request)
            next.continuation.resume(returning: outcome)
            previousEnd = ContinuousClock.now
        }
        draining = false
    }

    /// Waits until no request has arrived for `burstPause`, or `burstLimit` after `end`.
    private func waitForPause(since end: ContinuousClock.Instant) async {
        let limit = end + burstLimit
        while let last = lastArrival {
            let until = min(last + burstPause, limit)
            guard ContinuousClock.now < until else { return }
            try? await Task.sleep(until: until, clock: .continuous)
        }
    }

    // MARK: - Serialization

    private func lock() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { lockWaiters.append($0) }
    }

    private func unlock() {
        if lockWaiters.isEmpty { busy = false } else { lockWaiters.removeFirst().resume() }
    }

    // MARK: - The steps

    /// The steps of the running apply so far, with their durations (`ApplyOutcome.steps`).
    private var steps: [String] = []
    private var stepStart = ContinuousClock.now

    /// Ends a step of the running apply: `name` took the time since the previous step ended.
    private func step(_ name: String) {
        let now = ContinuousClock.now
        let d = (now - stepStart).components
        steps.append("\(name) \(d.seconds * 1000 + d.attoseconds / 1_000_000_000_000_000) ms")
        stepStart = now
    }

    /// `TreeStager.makeDurable`: nil once every file and directory of the tree is on disk, else why not.
    private nonisolated static func makeDurable(_ tree: TreeStager.Written) async -> String? {
        do { try await TreeStager.makeDurable(tree); return nil } catch { return "\(error)" }
    }

    private func run(_ request: ApplyRequest) async -> ApplyResult {
        let dry = request.dryRun
        func reject(_ message: String, diff: String = "") -> ApplyResult {
            dry ? .dryRunRejected(message: message, diff: diff) : .rejected(message: message)
        }
        // 1. Verify before anything is written.
        if let problem = FileSetVerifier.problem(files: request.files, digest: request.digest, claimedHashes: request.fileHashes) {
            return reject(problem)
        }
        step("verify \(request.files.files.count) files")
        do { try root.prepare(); try root.recover() } catch { return reject("cannot prepare the config root: \(error)") }

        let liveName = root.liveDirectoryName()
        let liveRecord = liveName.flatMap { VersionRecord.read(inDirectory: root.versionDirectory($0)) }
        var diff = ""
        if dry {
            let liveFiles = liveName.flatMap { try? TreeReader.fileSet(of: root.versionDirectory($0)) } ?? FileSet()
            diff = UnifiedDiff.files(from: liveFiles, to: request.files, redactKeys: true)
        } else if liveRecord == VersionRecord(version: request.version, digest: request.digest) {
            // Already live: prove it is served (starting NGINX if it is not running), never reload.
            if let a = await probe.query(), a.version == request.version, a.digest == request.digest { return .applied }
            if let failure = await activate(version: request.version, digest: request.digest) { return .rejected(message: failure) }
            return .applied
        }

        // 2. Stage: write the tree (made durable in step 3).
        let staging = root.versionDirectory(".staging-\(UUID().uuidString.prefix(12))")
        let probeFile = RenderedFile(probe.include(version: request.version, digest: request.digest), mode: 0o644)
        let written: TreeStager.Written
        do {
            written = try TreeStager.write(request.files, extra: [VersionProbe.includePath: probeFile],
                                           record: VersionRecord(version: request.version, digest: request.digest), into: staging,
                                           reusing: liveName.map(root.versionDirectory))
        } catch {
            DurableFiles.removeTree(staging)
            return reject("cannot stage version \(request.version): \(error)", diff: diff)
        }
        step("write \(written.files.count + written.linked) files" + (written.linked > 0 ? " (\(written.linked) linked to the live tree's)" : ""))

        // 3. fsync the written tree (a dry run's is deleted: no fsync); `nginx -t` meanwhile,
        //    unless the reload of a master we supervise validates it (see the type's documentation).
        async let durable: String? = dry ? nil : Self.makeDurable(written)
        var verdict: String?
        let preflight = await needsPreflight(dry: dry)
        if preflight {
            do {
                verdict = try await binary.test(configFile: PathText.join(staging, FileSet.mainConfig),
                                                prefix: root.runtimeDirectory, errorLog: root.errorLog, displayRoot: staging)
            } catch {
                verdict = "cannot run nginx -t: \(error)"
            }
            step("nginx -t")
        }
        let syncProblem = await durable
        if !dry { step(preflight ? "fsync (beyond nginx -t)" : "fsync") }
        if dry || verdict != nil || syncProblem != nil {
            DurableFiles.removeTree(staging)
            if let verdict { return reject(verdict, diff: diff) }
            if let syncProblem { return reject("cannot stage version \(request.version): \(syncProblem)", diff: diff) }
            return .dryRunOK(diff: diff)
        }

        // 4. Rename into place and swap `current`.
        let name = ConfigRoot.versionDirectoryName(version: request.version, digest: request.digest)
        let target = root.versionDirectory(name)
        do {
            if name == liveName { throw AgentError("version directory \(name) is live with another record") }
            DurableFiles.removeTree(target)
            try DurableFiles.moveAtomically(staging, to: target)
            try DurableFiles.syncDirectory(root.versionsDirectory)
            try DurableFiles.replaceSymlink(root.currentLink, target: "versions/\(name)")
        } catch {
            DurableFiles.removeTree(staging)
            if root.liveDirectoryName() != name { DurableFiles.removeTree(target) }
            return .rejected(message: "cannot install version \(request.version): \(error)")
        }
        step("swap")

        // 5. Reload and prove.
        guard let failure = await activate(version: request.version, digest: request.digest) else {
            step("reload until served (\(lastProof))")
            root.prune(keepingNewest: keepVersions, alsoKeep: liveName)
            return .applied
        }

        // 6. Roll back.
        var message = failure
        if let liveName, let liveRecord {
            do {
                try DurableFiles.replaceSymlink(root.currentLink, target: "versions/\(liveName)")
                if let again = await serveAgain(version: liveRecord.version, digest: liveRecord.digest) {
                    message += "; rollback to version \(liveRecord.version) failed too: \(again)"
                }
            } catch {
                message += "; rollback to version \(liveRecord.version) failed too: \(error)"
            }
        } else {
            // Nothing was live before: leave nothing live, and no NGINX serving the failed tree.
            unlink(root.currentLink)
            try? DurableFiles.syncDirectory(root.path)
            if case .spawn = nginx.mode { await nginx.stop(timeout: .seconds(5)) }
        }
        DurableFiles.removeTree(target)
        try? DurableFiles.syncDirectory(root.versionsDirectory)
        return .rejected(message: message)
    }

    /// After `current` was swapped back to a version NGINX served before: nil once it serves it
    /// again, else why not. A master that refused the newer configuration still serves the previous
    /// one with its running workers, and then nothing is reloaded; otherwise `activate`.
    private func serveAgain(version: UInt64, digest: String) async -> String? {
        if await Self.servesOnly(probe, version: version, digest: digest) == nil { return nil }
        return await activate(version: version, digest: digest)
    }

    /// How the last successful `activate` knew only the new version is served (for the steps).
    private var lastProof = ""

    /// True when step 3 runs `nginx -t`: a dry run, or no supervised master whose reload (and
    /// error log) would tell.
    private func needsPreflight(dry: Bool) async -> Bool {
        if dry { return true }
        guard case .spawn = nginx.mode else { return true }
        return await !nginx.isRunning
    }

    /// NGINX's line with the paths of the live tree made relative to it (`http.conf:8`), as
    /// `nginx -t` on a staged tree reports them.
    private func relativeToTree(_ line: String) -> String {
        line.replacing(root.currentLink + "/", with: "")
    }

    /// Makes NGINX load `current` (SIGHUP, or the first start in spawn mode) and waits until the
    /// probe answers `version`/`digest`. nil on success, else the reason: the first `[emerg]` line
    /// NGINX logged for the reload, its start error, or a timeout.
    private func activate(version: UInt64, digest: String) async -> String? {
        let cursor = LogCursor(atEndOf: root.errorLog)
        // The workers that accept now: once each has exited or is shutting down and the probe
        // answers the new version, only new workers accept. nil: `/proc` cannot tell, so the
        // probe must answer only the new version for `settle` instead.
        var retiring: RetiringWorkers?
        if await nginx.isRunning {
            retiring = await nginx.masterPid.flatMap(RetiringWorkers.accepting(ofMaster:))
            do { try await nginx.reload() } catch { return "cannot reload NGINX: \(error)" }
        } else if case .spawn = nginx.mode {
            retiring = .starting
            do { try await nginx.start() } catch { return relativeToTree("\(error)") }
        } else {
            return "NGINX is not running (no live master in its pid file)"
        }
        let clock = ContinuousClock()
        let end = clock.now + probeTimeout
        var last: VersionProbe.Answer?
        var servingSince: ContinuousClock.Instant?
        while true {
            if let a = await probe.query(timeout: .milliseconds(500)) {
                last = a
                if a.version == version && a.digest == digest {
                    // New workers answer; old ones keep accepting until the master tells them to
                    // quit (~100 ms after starting the new ones). Once every old worker is gone or
                    // shutting down, an answer of the new version proves the new workers serve
                    // every new connection; without that knowledge, only answers of the new
                    // version for `settle` do.
                    if let retiring, retiring.allRetired,
                       let again = await probe.query(timeout: .milliseconds(500)), again.version == version, again.digest == digest {
                        lastProof = retiring.workers.isEmpty ? "first workers" : "\(retiring.workers.count) old workers retired"
                        return nil
                    }
                    let since = servingSince ?? clock.now
                    servingSince = since
                    if clock.now - since >= settle {
                        lastProof = "\(settle) settled"
                        return nil
                    }
                } else {
                    servingSince = nil
                }
            }
            let logged = cursor.appended()
            if let line = NginxErrorLine.first(in: logged, levels: ["[emerg]"]) {
                // The master keeps its old configuration; let it finish (bind() retries for ~2.5 s)
                // before touching `current` again.
                await waitUntilQuiet(cursor, atMost: .seconds(8))
                return relativeToTree(line)
            }
            if await !nginx.isRunning {
                return NginxErrorLine.first(in: logged).map(relativeToTree) ?? "NGINX exited while loading version \(version)"
            }
            // At the deadline, a version that is already answering gets a little longer to prove
            // it has settled: a process starved of CPU (a throttled container) must not reject a
            // version NGINX is serving.
            if clock.now >= end && (servingSince == nil || clock.now >= end + .seconds(5)) {
                return "NGINX did not serve version \(version) within \(probeTimeout) (probe answered \(last.map(\.description) ?? "nothing"))"
            }
            try? await Task.sleep(for: .milliseconds(retiring == nil ? 50 : 20))
        }
    }

    /// Waits until the log has not grown for a second (or `atMost`).
    private func waitUntilQuiet(_ cursor: LogCursor, atMost limit: Duration) async {
        let clock = ContinuousClock()
        let end = clock.now + limit
        var size = cursor.currentSize()
        var quietSince = clock.now
        while clock.now < end {
            try? await Task.sleep(for: .milliseconds(100))
            let now = cursor.currentSize()
            if now != size { size = now; quietSince = clock.now } else if clock.now - quietSince >= .seconds(1) { return }
        }
    }
}
