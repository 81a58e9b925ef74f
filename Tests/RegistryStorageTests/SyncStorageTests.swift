import Foundation
import RegistryCore
import RegistryStorage
import RegistryTestSupport
import Testing

@Suite("Replica store: what sync needs")
final class SyncStorageTests {
    let wall: UInt64 = 1_732_000_000_000
    var rng = SeededRandom(seed: 7)
    func newID() -> RecordID { RecordID.v7(unixMilliseconds: wall, using: &rng) }

    @Test("the central node's feed sends a site its own records and skips the rest, gap-free")
    func scopedFeed() throws {
        let dir = TemporaryDirectory()
        let siteA = try Build.store(in: dir, name: "a.sqlite")
        let siteB = try Build.store(in: dir, name: "b.sqlite")
        let central = try Build.store(in: dir, name: "c.sqlite", role: .central)
        func register(_ store: ReplicaStore, _ site: String, _ count: Int) throws -> [ChangeSet] {
            try store.commit((0..<count).map { i in Build.registration(newID(), ["given_name": "N\(i)", "site_id": site]) }, wallMilliseconds: wall)
        }
        let fromA = try register(siteA, "A", 5)
        let fromB = try register(siteB, "B", 7)
        try central.apply(fromA + fromB, wallMilliseconds: wall)
        // The central node corrects one of A's records and one of B's.
        let edits = try central.commit([
            Build.registration(fromA[0].record, ["family_name": "Corrected"]),
            Build.registration(fromB[0].record, ["family_name": "Corrected"]),
        ], wallMilliseconds: wall + 1)
        #expect(edits.count == 2)

        var vector = try siteA.versionVector
        var received: [ChangeSet] = []
        var skipped: [SeqRange] = []
        // Small budgets force several rounds, as a slow link would.
        for _ in 0..<20 {
            let (sets, skips) = try central.feed(forSite: "A", after: vector, excluding: [siteA.identity.replicaID], maxBytes: 150)
            if sets.isEmpty && skips.isEmpty { break }
            try siteA.apply(sets, skips: skips, wallMilliseconds: wall + 2)
            received += sets
            skipped += skips
            vector = try siteA.versionVector
        }
        #expect(received.map(\.record) == [fromA[0].record], "only the central edit of A's own record travels")
        #expect(skipped.allSatisfy { $0.origin == siteB.identity.replicaID || $0.origin == central.identity.replicaID })
        #expect(try siteA.versionVector == central.versionVector, "skips keep A's vector equal to the central node's")
        #expect(try siteA.record(fromA[0].record)?.text("family_name") == "Corrected")
        #expect(try siteA.record(fromB[0].record) == nil, "B's registrations never reach A")
        #expect(try siteA.summary().records == 5)
    }

    @Test("a registration moved to another site reaches it whole: its history, skipped there before, is back-filled")
    func movedRecordBackfilled() throws {
        let dir = TemporaryDirectory()
        let siteA = try Build.store(in: dir, name: "a.sqlite")
        let siteB = try Build.store(in: dir, name: "b.sqlite")
        let central = try Build.store(in: dir, name: "c.sqlite", role: .central)
        let moving = newID(), stayingA = newID(), atB = newID()
        // At A: a registration made in two transactions, and another that stays.
        var fromA = try siteA.commit([
            Build.registration(moving, ["given_name": "Olena", "site_id": "A"]),
            Build.registration(stayingA, ["given_name": "Petro", "site_id": "A"]),
        ], wallMilliseconds: wall)
        fromA += try siteA.commit([Build.registration(moving, ["family_name": "Bondarenko"])], wallMilliseconds: wall + 1)
        let fromB = try siteB.commit([Build.registration(atB, ["given_name": "Taras", "site_id": "B"])], wallMilliseconds: wall)
        try central.apply(fromA + fromB, wallMilliseconds: wall + 2)
        // The central node corrects B's record, then A's moving one, then B's again: one central
        // block at B with a gap where the correction of A's record sits.
        for (id, name) in [(atB, "Shevchenko"), (moving, "Bondarenko-Kovalenko"), (atB, "Shevchenko-Melnyk")] {
            try central.commit([Build.registration(id, ["family_name": name])], wallMilliseconds: wall + 3)
        }
        var lastBatches: [([ChangeSet], [SeqRange])] = []
        func syncB() throws -> Int {
            var applied = 0
            lastBatches = []
            for _ in 0..<20 {
                let (sets, skips) = try central.feed(forSite: "B", after: try siteB.versionVector, excluding: [siteB.identity.replicaID], maxBytes: 1 << 20)
                if sets.isEmpty && skips.isEmpty { break }
                applied += try siteB.apply(sets, skips: skips, wallMilliseconds: wall + 5).applied
                lastBatches.append((sets, skips))
            }
            return applied
        }
        _ = try syncB()
        #expect(try siteB.record(moving) == nil, "not B's yet")
        #expect(try siteB.record(atB)?.text("family_name") == "Shevchenko-Melnyk")

        // A hands the registration over to B; the change reaches the central node, then B.
        let handover = try siteA.commit([Build.registration(moving, ["site_id": "B"])], wallMilliseconds: wall + 6)
        try central.apply(handover, wallMilliseconds: wall + 7)
        #expect(try syncB() == 4, "A's two change sets and the central correction, skipped at B before, plus the hand-over")
        let moved = try #require(try siteB.record(moving))
        #expect(moved.text("given_name") == "Olena")
        #expect(moved.text("family_name") == "Bondarenko-Kovalenko")
        #expect(moved.text("site_id") == "B")
        #expect(try siteB.record(stayingA) == nil, "A's other registration stays out of B's scope")
        #expect(try siteB.record(atB)?.text("family_name") == "Shevchenko-Melnyk", "the central block that took the back-filled change still reads")
        #expect(try siteB.versionVector == central.versionVector)
        // A re-sent batch changes nothing, and then there is nothing more to send.
        let moveBatches = lastBatches
        #expect(moveBatches.count == 1)
        for (sets, skips) in moveBatches { #expect(try siteB.apply(sets, skips: skips, wallMilliseconds: wall + 8).applied == 0) }
        #expect(try syncB() == 0)
        #expect(try siteB.changeSets(from: central.identity.replicaID, after: 0).count == 3)
    }

    @Test("a skip past a gap is refused; known skips are no-ops")
    func skipRules() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        let other = ReplicaID(high: 42, low: 42)
        #expect(throws: StorageError.self) { try store.apply([], skips: [SeqRange(origin: other, firstSeq: 3, lastSeq: 9)], wallMilliseconds: wall) }
        #expect(try store.apply([], skips: [SeqRange(origin: other, firstSeq: 1, lastSeq: 9)], wallMilliseconds: wall).skipped == 9)
        #expect(try store.apply([], skips: [SeqRange(origin: other, firstSeq: 1, lastSeq: 9)], wallMilliseconds: wall).skipped == 0)
        #expect(try store.versionVector[other] == 9)
    }

    @Test("message counters are durable, strictly increasing, and a replay is refused")
    func counters() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        let peer = ReplicaID(high: 1, low: 2)
        #expect(throws: StorageError.self) { try store.reserveCounter(for: peer) }
        try store.savePeer(peer, info: Array("keys".utf8))
        #expect(try store.reserveCounter(for: peer) == 1)
        #expect(try store.reserveCounter(for: peer) == 2)
        try store.acceptCounter(5, from: peer)
        #expect(throws: StorageError.self) { try store.acceptCounter(5, from: peer) }
        #expect(throws: StorageError.self) { try store.acceptCounter(4, from: peer) }
        try store.acceptCounter(6, from: peer)
        try store.setAcknowledged(10, by: peer)
        try store.setAcknowledged(3, by: peer)
        try store.savePeer(peer, info: Array("new keys".utf8))
        let state = try #require(try store.peer(peer))
        #expect(state.counterSent == 2 && state.counterReceived == 6 && state.ackedSeq == 10 && state.info == Array("new keys".utf8))
    }

    @Test("quarantined payloads are kept, in order, and never applied")
    func quarantine() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        try store.quarantine(source: "site NL-X", reason: "revoked_sender", payload: [1, 2, 3], wallMilliseconds: wall)
        try store.quarantine(source: "site NL-X", reason: "revoked_sender", payload: [4], wallMilliseconds: wall + 1)
        let entries = try store.quarantined()
        #expect(entries.map(\.payload) == [[1, 2, 3], [4]])
        #expect(try store.summary().records == 0)
    }
}
