import Foundation
import RegistryCore
import RegistryProtocol
import RegistryReplica
import RegistryStorage
import RegistrySync
import RegistryTestSupport
import Testing

@Suite("Sync: enrolment, refusals, bundles, metrics", .serialized)
struct SyncBehaviourTests {
    @Test("one round moves a site's registrations up and the central node's corrections back")
    func roundTrip() async throws {
        let harness = try Harness(sites: 2)
        try harness.register(at: harness.sites[0], count: 30, seed: 1)
        try harness.register(at: harness.sites[1], count: 20, seed: 2)
        let transport = InMemoryTransport(responder: harness.responder)
        let first = try await SiteSynchronizer(node: harness.sites[0], transport: transport).syncOnce()
        #expect(first.changesSent > 0 && first.changesReceived == 0)
        let second = try await SiteSynchronizer(node: harness.sites[1], transport: transport).syncOnce()
        #expect(second.skipped > 0, "site 1 skips site 0's records: they are not homed there")
        let again = try await SiteSynchronizer(node: harness.sites[0], transport: transport).syncOnce()
        #expect(again.changesSent == 0 && again.changesReceived == 0)
        #expect(try harness.convergenceProblems().isEmpty)
        let acked = try #require(try harness.sites[0].peer(harness.central.identity.replicaID)).state.ackedSeq
        #expect(acked == (try harness.sites[0].store.versionVector[harness.sites[0].identity.replicaID]))
        let exposition = harness.metrics.exposition()
        #expect(exposition.contains("regsync_changes_received_total{peer=\"NL-SITE-0\"}"))
        #expect(exposition.contains("regsync_site_lag_changes"))
    }

    @Test("a registration handed over to another site reaches it whole, over the sync protocol")
    func handOver() async throws {
        let harness = try Harness(sites: 2)
        let (from, to) = (harness.sites[0], harness.sites[1])
        let transport = InMemoryTransport(responder: harness.responder)
        let id = try from.registry.register(RegistrationInput(["given_name": "Olena", "family_name": "Kovalenko", "birth_date": "1984-05-02", "site_id": from.identity.siteID]))
        try from.registry.edit(id, RegistrationInput(["birth_place": "Kharkiv"]))
        _ = try await SiteSynchronizer(node: from, transport: transport).syncOnce()
        _ = try await SiteSynchronizer(node: to, transport: transport).syncOnce()
        #expect(try to.registry.show(id) == nil, "not homed at the second site yet")

        try from.registry.edit(id, RegistrationInput(["site_id": to.identity.siteID]))
        _ = try await SiteSynchronizer(node: from, transport: transport).syncOnce()
        let received = try await SiteSynchronizer(node: to, transport: transport).syncOnce()
        #expect(received.changesReceived > 0)
        let row = try #require(try to.registry.show(id))
        #expect(row.columns["given_name"] == "Olena" && row.columns["family_name"] == "Kovalenko")
        #expect(row.columns["birth_place"] == "Kharkiv" && row.columns["site_id"] == to.identity.siteID)
        #expect(try to.store.versionVector == harness.central.store.versionVector)
        let again = try await SiteSynchronizer(node: to, transport: transport).syncOnce()
        #expect(again.changesReceived == 0)
    }

    @Test("an unknown node is refused without a channel; a node enrolled elsewhere too")
    func unknownSender() async throws {
        let harness = try Harness(sites: 1)
        let other = try Harness(sites: 1)
        // A site of another central node points at ours.
        let stranger = SiteSynchronizer(node: other.sites[0], transport: InMemoryTransport(responder: harness.responder))
        do {
            _ = try await stranger.syncOnce()
            Issue.record("a stranger synced")
        } catch {
            #expect(error.code == .rejected)
        }
        #expect(try harness.central.registry.statusReport().summary.records == 0)
    }

    @Test("a revoked site is refused and what it sends is quarantined, not applied, not lost")
    func revokedSite() async throws {
        let harness = try Harness(sites: 2)
        let transport = InMemoryTransport(responder: harness.responder)
        try harness.register(at: harness.sites[0], count: 5, seed: 3)
        _ = try await SiteSynchronizer(node: harness.sites[0], transport: transport).syncOnce()
        let list = try harness.central.revoke(siteID: harness.sites[0].identity.siteID, reason: "laptop stolen")
        #expect(list.version == 1 && list.isRevoked(harness.sites[0].identity.replicaID))
        try harness.register(at: harness.sites[0], count: 7, seed: 4)
        do {
            _ = try await SiteSynchronizer(node: harness.sites[0], transport: transport).syncOnce()
            Issue.record("a revoked site synced")
        } catch {
            #expect(error.rejection == .revokedSender)
        }
        #expect(try harness.central.registry.statusReport().summary.records == 5)
        #expect(try harness.central.store.quarantined().map(\.reason) == ["revoked_sender"])
        // The other site learns of the revocation at its next sync.
        _ = try await SiteSynchronizer(node: harness.sites[1], transport: transport).syncOnce()
        #expect(try harness.sites[1].revocations()?.isRevoked(harness.sites[0].identity.replicaID) == true)
    }

    @Test("a site whose clock runs far ahead is refused; its changes stay queued and go once the clock is right")
    func clockSkew() async throws {
        let harness = try Harness(sites: 1)
        let site = harness.sites[0]
        let future = Date().addingTimeInterval(3 * 3600)
        _ = try site.registry.register(RegistrationInput(["given_name": "Future", "family_name": "Clock"]), now: future)
        let transport = InMemoryTransport(responder: harness.responder)
        do {
            _ = try await SiteSynchronizer(node: site, transport: transport).syncOnce()
            Issue.record("changes stamped hours ahead were accepted")
        } catch {
            #expect(error.rejection == .clockSkew)
        }
        #expect(try harness.central.registry.statusReport().summary.records == 0)
        #expect(try site.registry.statusReport().summary.records == 1, "the site keeps its registration")
        // With the central node's clock caught up (here: a responder that reads the future), they go.
        let later = CentralResponder(node: harness.central, metrics: harness.metrics, wallClock: { UInt64(future.timeIntervalSince1970 * 1000) })
        let report = try await SiteSynchronizer(node: site, transport: InMemoryTransport(responder: later)).syncOnce()
        #expect(report.changesSent > 0)
        #expect(try harness.central.registry.statusReport().summary.records == 1)
    }

    @Test("tampered and replayed envelopes are refused with typed codes and change nothing")
    func tamperAndReplay() async throws {
        let harness = try Harness(sites: 1)
        try harness.register(at: harness.sites[0], count: 3, seed: 5)
        let recorder = RecordingTransport(inner: InMemoryTransport(responder: harness.responder))
        _ = try await SiteSynchronizer(node: harness.sites[0], transport: recorder).syncOnce()
        let records = try harness.central.registry.statusReport().summary.records
        let sent = recorder.sent
        #expect(sent.count >= 3)
        // Replaying every envelope of the session: each is refused as replayed.
        for envelope in sent {
            let reply = harness.responder.handle(envelope)
            #expect(reply.rejection?.code == .replayed)
        }
        // Flipping a byte of the batch envelope's ciphertext: refused, nothing applied.
        var tampered = sent[1]
        tampered[80] ^= 0x01
        let reply = harness.responder.handle(tampered)
        #expect([RejectionCode.tampered, .badSignature].contains(reply.rejection?.code))
        #expect(try harness.central.registry.statusReport().summary.records == records)
        #expect(harness.responder.handle(Array(sent[0].prefix(30))).status == 400)
    }

    @Test("bundles carried by hand: applied once; twice, out of order or after HTTP is harmless; the receipt acknowledges")
    func bundles() async throws {
        let harness = try Harness(sites: 1)
        let site = harness.sites[0]
        try harness.register(at: site, count: 12, seed: 6)
        let first = try SiteSynchronizer.exportBundle(node: site)
        try harness.register(at: site, count: 8, seed: 7)
        let second = try SiteSynchronizer.exportBundle(node: site)
        #expect(second.changes > first.changes, "a bundle carries everything not yet acknowledged")

        let (reportB, receiptB) = try harness.responder.importBundle(second.bytes)
        #expect(reportB.changesApplied == second.changes)
        let (reportA, _) = try harness.responder.importBundle(first.bytes)  // older bundle, arriving late
        #expect(reportA.changesApplied == 0 && reportA.alreadyImported > 0)
        let (again, _) = try harness.responder.importBundle(second.bytes)
        #expect(again.changesApplied == 0)
        #expect(try harness.central.registry.statusReport().summary.records == 20)

        let receipt = try SiteSynchronizer.importReceipt(node: site, receiptB)
        #expect(receipt.acknowledgedSeq == (try site.store.versionVector[site.identity.replicaID]))
        #expect(try SiteSynchronizer.importReceipt(node: site, receiptB).alreadyImported == 1)
        let empty = try SiteSynchronizer.exportBundle(node: site)
        #expect(empty.changes == 0, "after the receipt nothing is left to carry")
        // HTTP after bundles: nothing to move.
        let report = try await SiteSynchronizer(node: site, transport: InMemoryTransport(responder: harness.responder)).syncOnce()
        #expect(report.changesSent == 0)
        #expect(try harness.convergenceProblems().isEmpty)
    }

    @Test("a certificate issued to another node, or a tampered one, is not installed")
    func certificates() throws {
        let harness = try Harness(sites: 1)
        let newcomer = try Registry.initialize(directory: NodeDirectory(harness.dir.file("newcomer")), role: .site, state: "NL", siteID: "NL-NEW", passphrase: passphrase, cost: .minimum)
        let node = SyncNode(registry: newcomer)
        let certificate = try harness.central.sign(try harness.sites[0].enrollmentRequest(), url: nil)
        #expect(throws: SyncError.self) { try node.install(certificate) }
        let other = try Harness(sites: 0)
        let foreign = try Registry.initialize(directory: NodeDirectory(other.dir.file("be")), role: .site, state: "BE", siteID: "BE-1", passphrase: passphrase, cost: .minimum)
        #expect(throws: SyncError.self) { try harness.central.sign(try SyncNode(registry: foreign).enrollmentRequest(), url: nil) }
    }
}

/// Keeps a copy of every envelope sent.
final class RecordingTransport: SyncTransport, @unchecked Sendable {
    let inner: any SyncTransport
    private(set) var sent: [[UInt8]] = []
    init(inner: any SyncTransport) { self.inner = inner }
    func exchange(_ envelope: [UInt8]) async throws(SyncError) -> [UInt8] {
        sent.append(envelope)
        return try await inner.exchange(envelope)
    }
}
