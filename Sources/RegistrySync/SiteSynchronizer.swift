public import Foundation
public import Logging
public import RegistryCore
public import RegistryProtocol
import RegistryStorage

/// Carries one sealed envelope to the central node and brings its answer back.
public protocol SyncTransport: Sendable {
    func exchange(_ envelope: [UInt8]) async throws(SyncError) -> [UInt8]
}

/// What one sync round moved.
public struct SyncReport: Sendable, Equatable, Codable {
    public var changesSent = 0
    public var changesReceived = 0
    public var skipped = 0
    public var roundTrips = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var milliseconds = 0
    public init() {}
}

/// A site's side of sync: drives the protocol's session state machine over a transport, applying
/// each received batch in one transaction. A break anywhere loses at most the batch in flight; the
/// next round resumes from what the central node acknowledged.
public final class SiteSynchronizer: Sendable {
    public let node: SyncNode
    let transport: any SyncTransport
    let metrics: SyncMetrics
    let maxBatchBytes: Int
    let wallClock: @Sendable () -> UInt64
    let logger: Logger

    public init(node: SyncNode, transport: any SyncTransport, metrics: SyncMetrics = SyncMetrics(), maxBatchBytes: Int = 256 * 1024,
                wallClock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
                logger: Logger = Logger(label: "regsync.site")) {
        self.node = node
        self.transport = transport
        self.metrics = metrics
        self.maxBatchBytes = maxBatchBytes
        self.wallClock = wallClock
        self.logger = logger
    }

    /// One round: hello, upload what the central node misses, pull what this site misses.
    public func syncOnce() async throws(SyncError) -> SyncReport {
        let started = Date()
        let central = try node.central()
        let channel = try node.channel(to: central.info, asClient: true)
        let me = node.identity.replicaID
        var session = SyncSession(
            configuration: sessionConfiguration(), localOrigin: me,
            localVector: try syncStorage { () throws(StorageError) in try node.store.versionVector }, wallClockMilliseconds: wallClock())
        var report = SyncReport()
        var actions = session.start()
        metrics.sessions("central").increment()
        do {
            while !actions.isEmpty {
                let action = actions.removeFirst()
                switch action {
                case .send(let message):
                    let counter = try syncStorage { () throws(StorageError) in try node.store.reserveCounter(for: central.info.node.replicaID, floor: counterFloor()) }
                    let envelope = channel.seal(message, counter: counter)
                    report.bytesSent += envelope.count
                    let answer = try await transport.exchange(envelope)
                    report.bytesReceived += answer.count
                    report.roundTrips += 1
                    let last = try syncStorage { () throws(StorageError) in try node.store.peer(central.info.node.replicaID)?.counterReceived ?? 0 }
                    let opened: (message: Message, counter: UInt64)
                    do { opened = try channel.open(answer, lastCounter: last) } catch { throw SyncError(error) }
                    try syncStorage { () throws(StorageError) in try node.store.acceptCounter(opened.counter, from: central.info.node.replicaID) }
                    try observe(opened.message, central: central.info)
                    actions += session.receive(opened.message)
                case .upload(let afterSeq, let maxBytes):
                    let sets = try syncStorage { () throws(StorageError) in try node.store.changeSets(from: me, after: afterSeq, maxBytes: min(maxBytes, maxBatchBytes)) }
                    report.changesSent += sets.reduce(0) { $0 + $1.count }
                    var through = VersionVector()
                    if let last = sets.last { through.advance(me, to: last.lastSeq) }
                    actions += session.uploadReady(Batch(changeSets: sets, skips: [], through: through))
                case .apply(let batch):
                    let outcome = try syncStorage { () throws(StorageError) in
                        try node.store.apply(batch.changeSets, skips: batch.skips, wallMilliseconds: wallClock())
                    }
                    report.changesReceived += outcome.changes
                    report.skipped += outcome.skipped
                    actions += session.applied(newVector: try syncStorage { () throws(StorageError) in try node.store.versionVector })
                case .finished:
                    actions = []
                case .failed(let error):
                    throw SyncError(error)
                }
            }
        } catch let error as SyncError {
            metrics.failures("central").increment()
            throw error
        } catch {
            metrics.failures("central").increment()
            throw SyncError(.io, "\(type(of: error))")
        }
        metrics.changesSent("central").increment(by: Int64(report.changesSent))
        metrics.changesReceived("central").increment(by: Int64(report.changesReceived))
        metrics.bytesSent.increment(by: Int64(report.bytesSent))
        metrics.bytesReceived.increment(by: Int64(report.bytesReceived))
        report.milliseconds = Int(Date().timeIntervalSince(started) * 1000)
        logger.info("sync round done", metadata: ["sent": "\(report.changesSent)", "received": "\(report.changesReceived)", "round_trips": "\(report.roundTrips)"])
        return report
    }

    /// Side effects of answers: acknowledgements advance what the central node holds of ours;
    /// a welcome carries the revocation list.
    private func observe(_ message: Message, central: PeerInfo) throws(SyncError) {
        let me = node.identity.replicaID
        switch message {
        case .welcome(let welcome):
            try syncStorage { () throws(StorageError) in try node.store.setAcknowledged(welcome.vector[me], by: central.node.replicaID) }
            if let list = welcome.revocations { try node.adopt(list, from: central) }
        case .ack(let ack):
            try syncStorage { () throws(StorageError) in try node.store.setAcknowledged(ack.vector[me], by: central.node.replicaID) }
        default:
            break
        }
    }

    func sessionConfiguration() -> SessionConfiguration {
        var configuration = SessionConfiguration(siteID: node.identity.siteID, role: node.identity.role.rawValue, state: node.identity.state)
        configuration.maxBatchBytes = maxBatchBytes
        return configuration
    }
}
