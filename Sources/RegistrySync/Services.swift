public import Foundation
public import Logging
public import ServiceLifecycle
import RegistryStorage
import CMalloc
public import RegistryReplica

/// Retry timing while a link is down: exponential backoff with full jitter, capped.
public struct Backoff: Sendable {
    public let base: Double
    public let cap: Double
    public private(set) var failures = 0

    public init(base: Double = 2, cap: Double = 300) {
        self.base = base
        self.cap = cap
    }

    /// Seconds to wait after one more failure: uniform in [0, min(cap, base·2^failures)].
    public mutating func nextDelay(using rng: inout some RandomNumberGenerator) -> Double {
        let ceiling = min(cap, base * pow(2, Double(min(failures, 30))))
        failures += 1
        return Double.random(in: 0...ceiling, using: &rng)
    }

    public mutating func reset() { failures = 0 }
}

/// A site's sync loop: a round every `interval`, sooner after local changes, backing off while the
/// link is down. On shutdown it finishes the batch in flight (each batch is one transaction) and stops.
public struct SiteSyncService: Service {
    let synchronizer: SiteSynchronizer
    let interval: Double
    let changePollInterval: Double
    let logger: Logger

    public init(synchronizer: SiteSynchronizer, interval: Double = 60, changePollInterval: Double = 2, logger: Logger = Logger(label: "regsync.site")) {
        self.synchronizer = synchronizer
        self.interval = interval
        self.changePollInterval = changePollInterval
        self.logger = logger
    }

    public func run() async throws {
        var backoff = Backoff()
        var rng = SystemRandomNumberGenerator()
        let me = synchronizer.node.identity.replicaID
        var syncedThrough: UInt64 = 0
        var nextRound = Date()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let local = (try? synchronizer.node.store.versionVector[me]) ?? 0
            if Date() >= nextRound || local > syncedThrough {
                do {
                    let report = try await synchronizer.syncOnce()
                    syncedThrough = local
                    backoff.reset()
                    nextRound = Date().addingTimeInterval(interval)
                    logger.info("synced", metadata: ["sent": "\(report.changesSent)", "received": "\(report.changesReceived)", "ms": "\(report.milliseconds)"])
                    synchronizer.node.store.releaseMemory()
                    if report.changesSent + report.changesReceived > 0 { returnFreedHeap() }
                } catch {
                    let delay = backoff.nextDelay(using: &rng)
                    nextRound = Date().addingTimeInterval(delay)
                    syncedThrough = local  // do not hammer: wait for the backoff even if more changes come
                    if error.isTransient {
                        logger.warning("sync failed, retrying", metadata: ["error": "\(error.code.rawValue)", "retry_in_s": "\(Int(delay))"])
                    } else {
                        logger.error("sync refused; changes stay queued until a person fixes the cause", metadata: ["error": "\(error)"])
                    }
                }
            }
            let wait = max(0.05, min(changePollInterval, nextRound.timeIntervalSinceNow))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
        }
        logger.info("site sync loop stopped")
    }
}

/// Hands the heap a round freed back to the OS (glibc keeps it otherwise, per thread arena), so an
/// idle site stays small after a large round (SQLite's page cache is released just before). A no-op where the C library has no `malloc_trim`.
func returnFreedHeap() { _ = cmalloc_trim() }

/// At the central node: republishes the state's match index every `interval` seconds, so sites can
/// check new registrations against every registration of the state while offline.
public struct MatchIndexPublisher: Service {
    let registry: Registry
    let interval: Double
    let logger: Logger

    public init(registry: Registry, interval: Double = 300, logger: Logger = Logger(label: "regsync.central")) {
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let changed = try registry.publishMatchIndex()
                if changed > 0 { logger.info("match index published", metadata: ["entries_changed": "\(changed)"]) }
            } catch {
                logger.error("publishing the match index failed", metadata: ["error": "\(error.code.rawValue)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000)) }
        }
    }
}
