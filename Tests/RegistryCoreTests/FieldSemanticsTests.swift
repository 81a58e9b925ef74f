import RegistryCore
import RegistryTestSupport
import Testing

@Suite("Field kinds")
struct FieldSemanticsTests {
    let record = RecordID(high: 0x0190_0000_0000_7abc, low: 0x8000_0000_0000_0001)
    let given = Scenario.givenName

    @Test("concurrent identity edits both survive as a conflict; a later write resolves it")
    func multiValueConflict() {
        var a = InMemoryReplica(id: ReplicaID(high: 1, low: 0))
        var b = InMemoryReplica(id: ReplicaID(high: 2, low: 0))
        let created = a.write(.registration, record, [FieldChange(given, .assign(.text("Oleksandr"), supersedes: []))], wall: 100)
        b.receive(created)
        let fromA = a.write(.registration, record, [FieldChange(given, .assign(.text("Olexandr"), supersedes: a.liveDots(record, given)))], wall: 200)
        let fromB = b.write(.registration, record, [FieldChange(given, .assign(.text("Aleksandr"), supersedes: b.liveDots(record, given)))], wall: 150)
        a.receive(fromB)
        b.receive(fromA)
        let view = a.view(record)!
        #expect(view["given_name"]?.values == [.text("Aleksandr"), .text("Olexandr")])
        #expect(view.conflicts.map(\.name) == ["given_name"])
        #expect(b.view(record) == view)

        let resolved = b.write(.registration, record, [FieldChange(given, .assign(.text("Oleksandr"), supersedes: b.liveDots(record, given)))], wall: 300)
        a.receive(resolved)
        #expect(a.view(record)?["given_name"]?.values == [.text("Oleksandr")])
        #expect(a.view(record)?.conflicts.isEmpty == true)
    }

    @Test("last writer wins by clock, then by replica")
    func lastWriterWins() {
        let phone = Scenario.phone
        var a = InMemoryReplica(id: ReplicaID(high: 1, low: 0))
        var b = InMemoryReplica(id: ReplicaID(high: 2, low: 0))
        let early = a.write(.registration, record, [FieldChange(phone, .assign(.text("early"), supersedes: []))], wall: 100)
        let late = b.write(.registration, record, [FieldChange(phone, .assign(.text("late"), supersedes: []))], wall: 200)
        a.receive(late)
        b.receive(early)
        #expect(a.view(record)?.text("phone") == "late")
        #expect(b.view(record)?.text("phone") == "late")
    }

    @Test("a set add concurrent with a remove of the same element wins")
    func addWins() {
        let docs = Scenario.documents
        let passport = Value.object(["type": "PASSPORT", "number": "FE123456"])
        var a = InMemoryReplica(id: ReplicaID(high: 1, low: 0))
        var b = InMemoryReplica(id: ReplicaID(high: 2, low: 0))
        b.receive(a.write(.registration, record, [FieldChange(docs, .add(passport))], wall: 100))
        let removal = a.write(.registration, record, [FieldChange(docs, .remove(observed: a.liveDots(record, docs)))], wall: 200)
        let readd = b.write(.registration, record, [FieldChange(docs, .add(passport))], wall: 150)
        a.receive(readd)
        b.receive(removal)
        #expect(a.view(record)?["documents"]?.values == [passport])
        #expect(b.view(record)?["documents"]?.values == [passport])
    }

    @Test("an erased record is never resurrected by a late change, and its values are gone")
    func erasureIsFinal() {
        var a = InMemoryReplica(id: ReplicaID(high: 1, low: 0))
        var b = InMemoryReplica(id: ReplicaID(high: 2, low: 0))
        let created = a.write(.registration, record, [FieldChange(given, .assign(.text("Mariia"), supersedes: []))], wall: 100)
        b.receive(created)
        let lateEdit = b.write(.registration, record, [FieldChange(given, .assign(.text("Maria"), supersedes: b.liveDots(record, given)))], wall: 500)
        let erasure = a.erase(.registration, record, wall: 200)
        a.receive(lateEdit)
        b.receive(erasure)
        for replica in [a, b] {
            #expect(replica.records[record]?.isErased == true)
            #expect(replica.view(record)?.fields.isEmpty == true)
            #expect(replica.values[record] == nil)
        }
        #expect(a.records == b.records)
    }

    @Test("schema validation refuses unknown fields and operations of the wrong kind")
    func validation() {
        let origin = ReplicaID(high: 1, low: 1)
        func set(_ changes: [FieldChange]) -> ChangeSet {
            ChangeSet(origin: origin, firstSeq: 1, hlc: HLCTimestamp(milliseconds: 1, counter: 0), entity: .registration, record: record, content: .fields(changes))
        }
        #expect(throws: CoreError.self) { try set([FieldChange(FieldID(rawValue: 999), .add(.text("x")))]).validate() }
        #expect(throws: CoreError.self) { try set([FieldChange(given, .add(.text("x")))]).validate() }
        #expect(throws: CoreError.self) { try set([FieldChange(Scenario.phone, .assign(.text("x"), supersedes: [Dot(origin: origin, seq: 1)]))]).validate() }
        #expect(throws: CoreError.self) { try set([]).validate() }
        #expect(throws: Never.self) { try set([FieldChange(given, .assign(.text("x"), supersedes: []))]).validate() }
    }
}
