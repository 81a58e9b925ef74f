public import Foundation
import RegistryCore
public import RegistryProtocol
import RegistryStorage

/// What importing a bundle did.
public struct BundleReport: Sendable, Equatable, Codable {
    public var changesApplied = 0
    public var skipped = 0
    /// Envelopes already seen (a bundle imported twice, or after the same data came over HTTP): harmless no-ops.
    public var alreadyImported = 0
    public var acknowledgedSeq: UInt64?
}

extension SiteSynchronizer {
    /// Writes everything the central node has not acknowledged, with a hello, as a bundle.
    public static func exportBundle(node: SyncNode, maxBatchBytes: Int = 4 << 20, now: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) throws(SyncError) -> (bytes: [UInt8], changes: Int) {
        let central = try node.central()
        let channel = try node.channel(to: central.info, asClient: true)
        let me = node.identity.replicaID
        let vector = try syncStorage { () throws(StorageError) in try node.store.versionVector }
        func seal(_ message: Message) throws(SyncError) -> [UInt8] {
            channel.seal(message, counter: try syncStorage { () throws(StorageError) in try node.store.reserveCounter(for: central.info.node.replicaID, floor: counterFloor()) })
        }
        let configuration = SessionConfiguration(siteID: node.identity.siteID, role: node.identity.role.rawValue, state: node.identity.state)
        var envelopes = [try seal(.hello(Hello(
            protocolVersion: configuration.protocolVersion, schemaFingerprint: Schema.fingerprint, role: configuration.role, siteID: configuration.siteID,
            state: configuration.state, wallClockMilliseconds: now, vector: vector)))]
        var after = central.state.ackedSeq
        var changes = 0
        while true {
            let sets = try syncStorage { () throws(StorageError) in try node.store.changeSets(from: me, after: after, maxBytes: maxBatchBytes) }
            guard let last = sets.last else { break }
            var through = VersionVector()
            through.advance(me, to: last.lastSeq)
            envelopes.append(try seal(.batch(Batch(changeSets: sets, skips: [], through: through))))
            changes += sets.reduce(0) { $0 + $1.count }
            after = last.lastSeq
        }
        return (BundleFile.encode(envelopes), changes)
    }

    /// Imports a receipt bundle from the central node: advances the acknowledged vector and applies
    /// the site's data it carries. Replayed or older receipts are harmless no-ops.
    public static func importReceipt(node: SyncNode, _ bytes: [UInt8], now: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) throws(SyncError) -> BundleReport {
        let central = try node.central()
        let channel = try node.channel(to: central.info, asClient: true)
        var report = BundleReport()
        for envelope in try decodeBundle(bytes) {
            let last = try syncStorage { () throws(StorageError) in try node.store.peer(central.info.node.replicaID)?.counterReceived ?? 0 }
            let opened: (message: Message, counter: UInt64)
            do { opened = try channel.open(envelope, lastCounter: last) } catch {
                if error.code == .replayed { report.alreadyImported += 1; continue }
                throw SyncError(error)
            }
            try syncStorage { () throws(StorageError) in try node.store.acceptCounter(opened.counter, from: central.info.node.replicaID) }
            guard case .receipt(let receipt) = opened.message else { continue }
            let me = node.identity.replicaID
            try syncStorage { () throws(StorageError) in try node.store.setAcknowledged(receipt.vector[me], by: central.info.node.replicaID) }
            report.acknowledgedSeq = receipt.vector[me]
            if let batch = receipt.batch {
                // Receipts are cumulative: what this replica already has is skipped by `apply`.
                let outcome = try syncStorage { () throws(StorageError) in
                    try node.store.apply(batch.changeSets, skips: batch.skips, wallMilliseconds: now)
                }
                report.changesApplied += outcome.changes
                report.skipped += outcome.skipped
            }
        }
        return report
    }
}

extension CentralResponder {
    /// Imports a site's bundle: each envelope goes through the same checks as over HTTP; then a sealed
    /// receipt bundle is written for the courier to carry back (the central node's vector, plus what
    /// the site misses in its scope). Importing twice, out of order, or after HTTP is harmless.
    public func importBundle(_ bytes: [UInt8]) throws(SyncError) -> (report: BundleReport, receipt: [UInt8]) {
        var report = BundleReport()
        var sender: ReplicaID?
        var siteVector = VersionVector()
        for envelope in try decodeBundle(bytes) {
            let header: EnvelopeHeader
            do { header = try EnvelopeHeader.parse(envelope) } catch { throw SyncError(error) }
            sender = header.sender
            let reply = handle(envelope)
            guard reply.isSealed else {
                throw SyncError(.rejected, "the central node refused the bundle: \(String(decoding: reply.body, as: UTF8.self))")
            }
            if case .hello(let hello)? = reply.request { siteVector = hello.vector }
            report.changesApplied += reply.changesReceived
            if let rejection = reply.rejection {
                if rejection.code == .replayed { report.alreadyImported += 1; continue }
                throw SyncError(.rejected, rejection.detail, rejection: rejection.code)
            }
        }
        guard let sender, let peer = try node.peer(sender) else { throw SyncError(.invalidInput, "empty bundle") }
        let channel = try node.channel(to: peer.info, asClient: false)
        let vector = try syncStorage { () throws(StorageError) in try node.store.versionVector }
        let batch = try feed(for: peer.info, site: peer.info.siteID, after: siteVector, maxBytes: 64 << 20)
        let counter = try syncStorage { () throws(StorageError) in try node.store.reserveCounter(for: sender, floor: counterFloor()) }
        let receipt = channel.seal(.receipt(Receipt(vector: vector, batch: batch)), counter: counter)
        report.acknowledgedSeq = vector[sender]
        return (report, BundleFile.encode([receipt]))
    }
}

func decodeBundle(_ bytes: [UInt8]) throws(SyncError) -> [[UInt8]] {
    do { return try BundleFile.decode(bytes) } catch { throw SyncError(error) }
}
