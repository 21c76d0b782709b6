import Foundation
import Logging

/// Leader election on a `coordination.k8s.io/v1` Lease with client-go's semantics.
///
/// A candidate takes the Lease when it is absent, released (no holder), or expired — judged by
/// how long *this* process has seen the same record unchanged, never by the remote clock — and
/// then renews it every `retryPeriod`. A leader whose renewal has not succeeded within
/// `renewDeadline` stops leading at once and becomes a candidate again. Writes carry the
/// Lease's resourceVersion, so of two racing candidates one gets 409 and stays a follower.
/// Cancelling ``run(onStartedLeading:onStoppedLeading:)`` stops leading, then releases a Lease
/// that still names this candidate (`releaseOnCancel`) so another can take over without waiting
/// for expiry.
public actor LeaderElector {
    public nonisolated let config: LeaderElectionConfig
    /// `true` when leadership starts, `false` when it ends; finishes when `run` returns.
    public nonisolated let leadership: AsyncStream<Bool>

    private let client: KubeClient
    private let logger: Logger
    private let continuation: AsyncStream<Bool>.Continuation
    /// Whether this candidate leads now.
    public private(set) var isLeader = false
    /// The last record read or written, and when this process first saw it.
    private var observed: (record: LeaseRecord, at: ContinuousClock.Instant)?
    private var failures: FailureLog
    private var started = false

    public init(client: KubeClient, config: LeaderElectionConfig, logger: Logger = Logger(label: "tollgate.kube.leader")) {
        self.client = client
        self.config = config
        var logger = logger
        logger[metadataKey: "lease"] = "\(config.leaseNamespace)/\(config.leaseName)"
        logger[metadataKey: "identity"] = "\(config.identity)"
        self.logger = logger
        self.failures = FailureLog(logger: logger)
        (leadership, continuation) = AsyncStream.makeStream(of: Bool.self)
    }

    /// Competes for the Lease until the calling task is cancelled: acquire, renew while leading,
    /// back to competing after losing. The callbacks run on leadership changes and should return
    /// quickly. On cancellation it stops leading, then releases the Lease if it still names this
    /// candidate (`releaseOnCancel`).
    /// Call once.
    public func run(
        onStartedLeading: @Sendable () -> Void = {},
        onStoppedLeading: @Sendable () -> Void = {}
    ) async {
        guard !started else {
            logger.error("LeaderElector.run() called more than once; the second call does nothing")
            return
        }
        started = true
        defer { continuation.finish() }
        while !Task.isCancelled {
            guard await acquire() else { break }
            setLeader(true)
            onStartedLeading()
            let cancelled = await renewWhileLeading()
            // Stop acting as leader before anyone else can take over.
            setLeader(false)
            onStoppedLeading()
            if cancelled { break }
        }
        if config.releaseOnCancel {
            // Also after a lost renewal: the Lease may still name us (client-go does the same).
            await releaseUncancelled()
        }
    }

    /// Tries every `retryPeriod` (jittered) until the Lease is ours; false when cancelled first.
    private func acquire() async -> Bool {
        while !Task.isCancelled {
            if await tryAcquireOrRenew(timeout: config.renewDeadline) {
                logger.info("acquired the lease")
                return true
            }
            let jittered = config.retryPeriod * (1 + 0.2 * Double.random(in: 0..<1))
            do { try await Task.sleep(for: jittered) } catch { return false }
        }
        return false
    }

    /// Renews every `retryPeriod`; returns true when cancelled, false when leadership was lost
    /// because no renewal succeeded within `renewDeadline`.
    private func renewWhileLeading() async -> Bool {
        let clock = ContinuousClock()
        while true {
            let deadline = clock.now + config.renewDeadline
            var renewed = false
            while !renewed {
                if Task.isCancelled { return true }
                let remaining = deadline - clock.now
                if remaining <= .zero { break }
                renewed = await tryAcquireOrRenew(timeout: remaining)
                if renewed || clock.now >= deadline { break }
                do { try await Task.sleep(for: min(config.retryPeriod, deadline - clock.now)) } catch { return true }
            }
            if !renewed {
                logger.warning("failed to renew the lease within the renew deadline; no longer leading", metadata: [
                    "renewDeadline": "\(config.renewDeadline)",
                ])
                return false
            }
            do { try await Task.sleep(for: config.retryPeriod) } catch { return true }
        }
    }

    /// One attempt, as client-go's `tryAcquireOrRenew`: create the Lease when absent; otherwise
    /// take or renew it unless another holder's record is still fresh to us.
    private func tryAcquireOrRenew(timeout: Duration) async -> Bool {
        let now = Date()
        let nowText = LeaseRecord.microTime(now)
        let mine = LeaseRecord(
            holderIdentity: config.identity, leaseDurationSeconds: config.leaseDurationSeconds,
            acquireTime: nowText, renewTime: nowText, leaseTransitions: 0)
        do {
            guard let lease = try await client.get(
                .lease, namespace: config.leaseNamespace, name: config.leaseName, timeout: timeout)
            else {
                let body = try mine.newLease(name: config.leaseName, namespace: config.leaseNamespace)
                _ = try await client.create(.lease, namespace: config.leaseNamespace, json: body, timeout: timeout)
                observed = (mine, ContinuousClock.now)
                failures.succeeded("lease acquire or renew")
                return true
            }
            let record = try LeaseRecord(lease: lease)
            if observed?.record != record {
                observed = (record, ContinuousClock.now)
            }
            let holder = record.holderIdentity ?? ""
            if !holder.isEmpty, holder != config.identity, let observed,
               ContinuousClock.now < observed.at + .seconds(record.leaseDurationSeconds ?? 0) {
                failures.succeeded("lease acquire or renew")
                return false
            }
            var next = mine
            if holder == config.identity {
                next.acquireTime = record.acquireTime ?? nowText
                next.leaseTransitions = record.leaseTransitions ?? 0
            } else {
                next.leaseTransitions = (record.leaseTransitions ?? 0) + 1
            }
            let body = try next.replacing(in: lease)
            _ = try await client.replace(
                .lease, namespace: config.leaseNamespace, name: config.leaseName, json: body, timeout: timeout)
            observed = (next, ContinuousClock.now)
            failures.succeeded("lease acquire or renew")
            return true
        } catch let error as KubeError where error.code == .conflict || error.code == .alreadyExists {
            logger.debug("lost a race for the lease", metadata: ["error": "\(error)"])
            return false
        } catch is CancellationError {
            return false
        } catch {
            failures.failed("lease acquire or renew", error)
            return false
        }
    }

    /// Gives the Lease up, as client-go's release: no holder, a 1 s duration, renew time now.
    /// Runs in a fresh task so the cancellation that ended `run` does not cancel the request.
    private func releaseUncancelled() async {
        await Task { await self.release() }.value
    }

    private func release() async {
        guard let observed, observed.record.holderIdentity == config.identity else { return }
        let nowText = LeaseRecord.microTime(Date())
        let released = LeaseRecord(
            holderIdentity: "", leaseDurationSeconds: 1, acquireTime: nowText, renewTime: nowText,
            leaseTransitions: observed.record.leaseTransitions ?? 0)
        // A renewal cancelled in flight may still land first and make our write conflict: read again.
        for attempt in 1...3 {
            do {
                guard let lease = try await client.get(
                    .lease, namespace: config.leaseNamespace, name: config.leaseName, timeout: config.renewDeadline),
                      try LeaseRecord(lease: lease).holderIdentity == config.identity
                else { return }
                let body = try released.replacing(in: lease)
                _ = try await client.replace(
                    .lease, namespace: config.leaseNamespace, name: config.leaseName, json: body, timeout: config.renewDeadline)
                self.observed = (released, ContinuousClock.now)
                logger.info("released the lease")
                return
            } catch let error as KubeError where error.code == .conflict && attempt < 3 {
                continue
            } catch {
                logger.warning("could not release the lease; others take over when it expires", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    private func setLeader(_ leading: Bool) {
        guard isLeader != leading else { return }
        isLeader = leading
        continuation.yield(leading)
    }
}
