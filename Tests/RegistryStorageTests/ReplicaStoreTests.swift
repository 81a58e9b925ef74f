import Foundation
import RegistryCore
import RegistryCrypto
import RegistryStorage
import RegistryTestSupport
import Testing

@Suite("Replica store")
final class ReplicaStoreTests {
    let wall: UInt64 = 1_732_000_000_000
    var rng = SeededRandom(seed: 42)

    func newID() -> RecordID { RecordID.v7(unixMilliseconds: wall, using: &rng) }

    @Test("a registration is stored, read back, found by blind index, and counted")
    func registerAndRead() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        let id = newID()
        let sets = try store.commit([Build.registration(id, ["given_name": "Oksana", "family_name": "Kovalenko", "birth_date": "1984-07-02"])], wallMilliseconds: wall)
        #expect(sets.count == 1 && sets[0].count == 3 && sets[0].firstSeq == 1)
        let view = try #require(try store.record(id))
        #expect(view.text("given_name") == "Oksana")
        #expect(view.text("birth_date") == "1984-07-02")
        #expect(try store.records(matching: IndexTerm(kind: "family", text: "kovalenko")) == [id])
        #expect(try store.records(matching: IndexTerm(kind: "family", text: "shevchenko")).isEmpty)
        let summary = try store.summary()
        #expect(summary.records == 1 && summary.byStatus == ["reported": 1])
        #expect(try store.versionVector[store.identity.replicaID] == 3)
    }

    @Test("no personal value is readable anywhere in the replica's files")
    func noPlaintextOnDisk() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        let secrets = ["Volodymyrivna", "Zaporizhzhia", "FE1234567", "Шевченко", "Hrytsenko"]
        let id = newID()
        try store.commit([Build.registration(id, ["patronymic": secrets[0], "birth_place": secrets[1], "family_name": secrets[4]])], wallMilliseconds: wall)
        try store.commit([RecordEdit(record: id, operations: [
            .add(Build.field("documents"), .object(["type": "PASSPORT", "number": secrets[2]])),
            .add(Build.field("aliases"), .text(secrets[3])),
        ])], wallMilliseconds: wall + 1)
        #expect(try store.record(id)?.text("patronymic") == secrets[0])
        let bytes = dir.allBytes()
        #expect(bytes.count > 10_000)
        for secret in secrets {
            #expect(!bytes.contains(bytes: Array(secret.utf8)), "plaintext found on disk")
            #expect(!bytes.contains(bytes: Array(secret.lowercased().utf8)), "lower-cased plaintext found on disk")
        }
        // The check itself can fail: an unsealed meta value is found.
        try store.setSetting("probe", "PlaintextProbe")
        #expect(dir.allBytes().contains(bytes: Array("PlaintextProbe".utf8)))
    }

    @Test("opening with the wrong key, a foreign database or a non-SQLite file gives a typed error")
    func openErrors() throws {
        let dir = TemporaryDirectory()
        let keys = StorageKeys(master: .generate())
        _ = try Build.store(in: dir, keys: keys)
        #expect(throws: StorageError(.wrongKey, "the key does not open this replica")) {
            try ReplicaStore.open(at: dir.file("replica.sqlite"), keys: StorageKeys(master: .generate()))
        }
        #expect(try ReplicaStore.open(at: dir.file("replica.sqlite"), keys: keys).identity.state == "NL")
        #expect(throws: StorageError.self) { try Build.store(in: dir, keys: keys) }  // refuses to overwrite

        let foreign = dir.file("foreign.sqlite")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3; c=sqlite3.connect('\(foreign)'); c.execute('create table t(x)'); c.commit()"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(expectCode(.notAReplica) { try ReplicaStore.open(at: foreign, keys: keys) })

        let junk = dir.file("junk.sqlite")
        _ = FileManager.default.createFile(atPath: junk, contents: Data(repeating: 0x42, count: 8192))
        #expect(expectCode(.notAReplica) { try ReplicaStore.open(at: junk, keys: keys) })
        #expect(expectCode(.notFound) { try ReplicaStore.open(at: dir.file("missing.sqlite"), keys: keys) })
    }

    @Test("a tampered change-set body is detected when read")
    func tamperDetected() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        let id = newID()
        try store.commit([Build.registration(id, ["given_name": "Taras"])], wallMilliseconds: wall)
        let path = dir.file("replica.sqlite")
        let flip = Process()
        flip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        flip.arguments = ["python3", "-c", """
            import sqlite3; c=sqlite3.connect('\(path)'); b=bytearray(c.execute('select body from changeblock').fetchone()[0]); b[-1]^=1
            c.execute('update changeblock set body=?', (bytes(b),)); c.commit()
            """]
        try flip.run()
        flip.waitUntilExit()
        #expect(flip.terminationStatus == 0)
        #expect(expectCode(.tampered) { try store.record(id) })
    }

    @Test("change sets applied at a peer give the same records; re-sent batches are no-ops")
    func applyAtPeer() throws {
        let dir = TemporaryDirectory()
        let site = try Build.store(in: dir, name: "site.sqlite")
        let central = try Build.store(in: dir, name: "central.sqlite", role: .central)
        let ids = (0..<20).map { _ in newID() }
        let sets = try site.commit(ids.enumerated().map { Build.registration($1, ["given_name": "Name\($0)", "family_name": "Family\($0 % 3)"]) }, wallMilliseconds: wall)
        let outcome = try central.apply(sets, wallMilliseconds: wall)
        #expect(outcome.applied == 20 && outcome.changes == 40 && outcome.alreadyKnown == 0)
        let again = try central.apply(sets, wallMilliseconds: wall)
        #expect(again.applied == 0 && again.alreadyKnown == 20)
        for id in ids { #expect(try central.record(id) == site.record(id)) }
        #expect(try central.versionVector[site.identity.replicaID] == 40)
        #expect(try central.records(matching: IndexTerm(kind: "family", text: "family1")).count == 7)
        // What the central node would send back: exactly the site's change sets.
        #expect(try central.changeSets(from: site.identity.replicaID, after: 0) == sets)
        #expect(try central.changeSets(from: site.identity.replicaID, after: 38).count == 1)
    }

    @Test("a batch with a gap, an invalid change or a clock far ahead is refused whole")
    func refusedBatches() throws {
        let dir = TemporaryDirectory()
        let site = try Build.store(in: dir, name: "site.sqlite")
        let central = try Build.store(in: dir, name: "central.sqlite", role: .central)
        let sets = try site.commit((0..<3).map { Build.registration(newID(), ["given_name": "N\($0)"]) }, wallMilliseconds: wall)
        #expect(expectCode(.gap) { try central.apply([sets[0], sets[2]], wallMilliseconds: wall) })
        #expect(try central.summary().records == 0, "the valid first set must not be applied either")
        let bad = ChangeSet(origin: sets[1].origin, firstSeq: sets[1].firstSeq, hlc: sets[1].hlc, entity: .registration, record: sets[1].record,
                            content: .fields([FieldChange(Build.field("documents"), .append(.text("x")))]))
        #expect(expectCode(.invalidChange) { try central.apply([sets[0], bad], wallMilliseconds: wall) })
        #expect(try central.summary().records == 0)
        #expect(expectCode(.clockSkew) { try central.apply(sets, wallMilliseconds: wall - 3_600_000) })
        #expect(try central.summary().records == 0)
        #expect(try central.apply(sets, wallMilliseconds: wall).applied == 3)
    }

    @Test("erasure wipes values from disk and a late edit from a peer does not resurrect the record")
    func erasure() throws {
        let dir = TemporaryDirectory()
        let a = try Build.store(in: dir, name: "a.sqlite")
        let b = try Build.store(in: dir, name: "b.sqlite")
        let id = newID()
        let created = try a.commit([Build.registration(id, ["family_name": "Bondarenko", "given_name": "Iryna"])], wallMilliseconds: wall)
        try b.apply(created, wallMilliseconds: wall)
        let late = try b.commit([Build.registration(id, ["given_name": "Irina"])], wallMilliseconds: wall + 5)
        let erased = try a.commit([.erasure(of: id)], wallMilliseconds: wall + 1)
        try a.apply(late, wallMilliseconds: wall + 10)
        try b.apply(erased, wallMilliseconds: wall + 10)
        for store in [a, b] {
            let view = try #require(try store.record(id))
            #expect(view.isErased && view.fields.isEmpty)
            #expect(try store.records(matching: IndexTerm(kind: "family", text: "bondarenko")).isEmpty)
            #expect(try store.summary().erased == 1)
        }
        // The dots survive (sync stays gap-free) but carry nothing.
        #expect(try a.changeSets(from: a.identity.replicaID, after: 0).map(\.count) == [2, 1])
        #expect(try a.changeSets(from: b.identity.replicaID, after: 0).first?.content == .redacted(count: 1))
        for secret in ["Bondarenko", "Iryna", "Irina"] {
            #expect(!dir.allBytes().contains(bytes: Array(secret.utf8)))
        }
    }

    @Test("erasing one record of a shared log block wipes only its values; neighbours and sync stay whole")
    func erasureInSharedBlock() throws {
        let dir = TemporaryDirectory()
        let a = try Build.store(in: dir, name: "a.sqlite")
        let ids = (0..<10).map { _ in newID() }
        // One transaction: all ten change sets land in one sealed block.
        _ = try a.commitAll([ids.enumerated().map { Build.registration($1, ["given_name": "Given\($0)x", "family_name": "Family\($0)y"]) }], wallMilliseconds: wall)
        try a.commit([.erasure(of: ids[3])], wallMilliseconds: wall + 1)
        for (index, id) in ids.enumerated() where index != 3 {
            #expect(try a.record(id)?.text("given_name") == "Given\(index)x")
        }
        #expect(try a.record(ids[3])?.isErased == true)
        #expect(!dir.allBytes().contains(bytes: Array("Family3y".utf8)))
        // A peer receives the same log: ten change sets (one redacted) and the erasure, gap-free.
        let sent = try a.changeSets(from: a.identity.replicaID, after: 0)
        #expect(sent.count == 11 && sent[3].content == .redacted(count: sent[3].count))
        // Paging from inside the block starts at the right change set.
        #expect(try a.changeSets(from: a.identity.replicaID, after: sent[5].lastSeq).first == sent[6])
        let b = try Build.store(in: dir, name: "b.sqlite")
        try b.apply(sent, wallMilliseconds: wall + 2)
        #expect(try b.record(ids[9])?.text("family_name") == "Family9y")
        #expect(try b.record(ids[3])?.isErased == true)
    }

    @Test("chunks written while the next is prepared: later chunks edit and erase records of earlier ones, before and after they are written")
    func overlappedChunks() throws {
        let dir = TemporaryDirectory()
        let ids = (0..<9).map { _ in newID() }
        func create(_ index: Int) -> RecordEdit { Build.registration(ids[index], ["given_name": "Given\(index)x", "family_name": "Family\(index)y"]) }
        let family = Build.field("family_name"), given = Build.field("given_name")
        let chunks: [[RecordEdit]] = [
            [create(0), create(1), create(2)],
            // Edits of records of the chunk before (still being prepared when this chunk is minted).
            [create(3), RecordEdit(record: ids[0], operations: [.set(family, .text("Renamed0"))]), .erasure(of: ids[1])],
            [create(4), RecordEdit(record: ids[3], operations: [.set(given, .text("Later3"))]), create(5)],
            // Edits of records written two chunks ago (already on disk).
            [RecordEdit(record: ids[2], operations: [.set(family, .text("Renamed2"))]), create(6)],
        ]
        let overlapped = try Build.store(in: dir, name: "overlapped.sqlite")
        #expect(try overlapped.commitAll(chunks, wallMilliseconds: wall) == 11)
        let single = try Build.store(in: dir, name: "single.sqlite")
        for chunk in chunks { try single.commit(chunk, wallMilliseconds: wall) }
        for store in [overlapped, single] {
            #expect(try store.record(ids[0])?.text("family_name") == "Renamed0")
            #expect(try store.record(ids[1])?.isErased == true)
            #expect(try store.record(ids[2])?.text("family_name") == "Renamed2")
            #expect(try store.record(ids[3])?.text("given_name") == "Later3")
            #expect(try store.records(matching: IndexTerm(kind: "family", text: "renamed0")) == [ids[0]])
            #expect(try store.records(matching: IndexTerm(kind: "family", text: "family0y")).isEmpty)
            #expect(try store.records(matching: IndexTerm(kind: "family", text: "family1y")).isEmpty)
            #expect(try store.records(matching: IndexTerm(kind: "family", text: "family6y")) == [ids[6]])
            #expect(try store.summary().records == 6)
            #expect(try store.summary().erased == 1)
        }
        // The same log either way (seqs, records and contents; only the replica ids differ).
        let a = try overlapped.changeSets(from: overlapped.identity.replicaID, after: 0)
        let b = try single.changeSets(from: single.identity.replicaID, after: 0)
        #expect(a.map(\.record) == b.map(\.record))
        #expect(a.map(\.firstSeq) == b.map(\.firstSeq))
        func contents(_ sets: [ChangeSet], of store: ReplicaStore) -> [String] {
            sets.map { String(describing: $0.content).replacingOccurrences(of: store.identity.replicaID.description, with: "me") }
        }
        #expect(contents(a, of: overlapped) == contents(b, of: single))
        // A second import into the now non-empty replica looks its records up instead.
        #expect(try overlapped.commitAll([[create(7)], [RecordEdit(record: ids[7], operations: [.set(family, .text("Renamed7"))]), create(8)]], wallMilliseconds: wall + 1) == 3)
        #expect(try overlapped.record(ids[7])?.text("family_name") == "Renamed7")
        #expect(try overlapped.summary().records == 8)
    }

    @Test("random chunks of creations, edits and erasures: one overlapped commitAll ends where chunk-by-chunk commits end (seed printed)")
    func overlappedChunksProperty() throws {
        for round in 0..<4 {
            let seed = UInt64.random(in: 1...UInt64.max)
            print("overlappedChunksProperty round \(round) seed \(seed)")
            var random = SeededRandom(seed: seed)
            let dir = TemporaryDirectory()
            // Half the rounds start from a replica that already holds records (ids are then looked up).
            let overlapped = try Build.store(in: dir, name: "overlapped.sqlite"), single = try Build.store(in: dir, name: "single.sqlite")
            var ids: [RecordID] = []
            var erased: Set<RecordID> = []
            if round % 2 == 1 {
                let first = (0..<5).map { _ in RecordID.v7(unixMilliseconds: wall, using: &random) }
                let seedEdits = first.enumerated().map { Build.registration($1, ["given_name": "Seed\($0)", "family_name": "Stored\($0)"]) }
                try overlapped.commit(seedEdits, wallMilliseconds: wall)
                try single.commit(seedEdits, wallMilliseconds: wall)
                ids = first
            }
            var chunks: [[RecordEdit]] = []
            for _ in 0..<(3 + Int(random.next() % 8)) {
                var chunk: [RecordEdit] = []
                let allNew = random.next() % 3 == 0  // chunks of new records only are minted on another core
                for _ in 0..<(1 + Int(random.next() % 12)) {
                    let live = ids.filter { !erased.contains($0) }
                    switch allNew || live.isEmpty ? 0 : random.next() % 4 {
                    case 0, 1:
                        let id = RecordID.v7(unixMilliseconds: wall, using: &random)
                        chunk.append(Build.registration(id, ["given_name": "Given\(ids.count)", "family_name": "Family\(random.next() % 7)"]))
                        ids.append(id)
                    case 2:
                        let id = live[Int(random.next() % UInt64(live.count))]
                        chunk.append(RecordEdit(record: id, operations: [.set(Build.field("family_name"), .text("Edited\(random.next() % 5)"))]))
                    default:
                        let id = live[Int(random.next() % UInt64(live.count))]
                        chunk.append(.erasure(of: id))
                        erased.insert(id)
                    }
                }
                chunks.append(chunk)
            }
            _ = try overlapped.commitAll(chunks, wallMilliseconds: wall + 1)
            for chunk in chunks { try single.commit(chunk, wallMilliseconds: wall + 1) }
            for id in ids {
                let a = try overlapped.record(id), b = try single.record(id)
                #expect(a?.isErased == b?.isErased && a?.text("family_name") == b?.text("family_name") && a?.text("given_name") == b?.text("given_name"), "seed \(seed)")
            }
            for name in (0..<7).map({ "family\($0)" }) + (0..<5).map({ "edited\($0)" }) + (0..<5).map({ "stored\($0)" }) {
                let term = IndexTerm(kind: "family", text: name)
                #expect(Set(try overlapped.records(matching: term)) == Set(try single.records(matching: term)), "seed \(seed), \(name)")
            }
            #expect(try overlapped.summary().records == single.summary().records && overlapped.summary().erased == single.summary().erased, "seed \(seed)")
            let a = try overlapped.changeSets(from: overlapped.identity.replicaID, after: 0)
            let b = try single.changeSets(from: single.identity.replicaID, after: 0)
            #expect(a.map(\.firstSeq) == b.map(\.firstSeq) && a.map(\.record) == b.map(\.record), "seed \(seed)")
            #expect(try overlapped.versionVector[overlapped.identity.replicaID] == single.versionVector[single.identity.replicaID], "seed \(seed)")
        }
    }

    @Test("a log block moved to another place in the log is refused as tampered")
    func movedBlockDetected() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        let first = newID(), second = newID()
        try store.commit([Build.registration(first, ["given_name": "Taras"])], wallMilliseconds: wall)
        try store.commit([Build.registration(second, ["given_name": "Ivan"])], wallMilliseconds: wall + 1)
        let path = dir.file("replica.sqlite")
        let swap = Process()
        swap.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        swap.arguments = ["python3", "-c", """
            import sqlite3; c=sqlite3.connect('\(path)'); rows=c.execute('select key, body from changeblock order by key').fetchall()
            c.execute('update changeblock set body=? where key=?', (rows[0][1], rows[1][0])); c.commit()
            """]
        try swap.run()
        swap.waitUntilExit()
        #expect(swap.terminationStatus == 0)
        #expect(try store.record(first)?.text("given_name") == "Taras")
        #expect(expectCode(.tampered) { try store.record(second) })
    }

    @Test("stores agree with the in-memory reference model under random edits and exchange")
    func agreesWithModel() throws {
        let seed = SeededRandom.seedFromEnvironment(default: 9_001)
        print("agreesWithModel seed \(seed) (replay with REGSYNC_SEED=\(seed))")
        var rng = SeededRandom(seed: seed)
        let dir = TemporaryDirectory()
        let stores = try (0..<3).map { try Build.store(in: dir, name: "r\($0).sqlite") }
        var model = InMemoryReplica(id: ReplicaID(high: 0, low: 99))
        let records = (0..<4).map { _ in RecordID.v7(unixMilliseconds: wall, using: &rng) }
        let given = Build.field("given_name"), docs = Build.field("documents"), events = Build.field("status_events")
        for step in 0..<120 {
            let store = stores[Int(rng.next() % 3)]
            let record = records[Int(rng.next() % 4)]
            let edit: RecordEdit
            switch rng.next() % 10 {
            case 0: edit = .erasure(of: record)
            case 1, 2: edit = RecordEdit(record: record, operations: [.add(docs, .text("DOC\(rng.next() % 3)"))])
            case 3: edit = RecordEdit(record: record, operations: [.remove(docs, .text("DOC\(rng.next() % 3)"))])
            case 4: edit = RecordEdit(record: record, operations: [.append(events, .object(["status": "pending", "date": "2025-01-0\(1 + rng.next() % 9)"]))])
            default: edit = RecordEdit(record: record, operations: [.set(given, .text(["Petro", "Petr", "Петро"][Int(rng.next() % 3)]))])
            }
            let result = Result { () throws(StorageError) in try store.commit([edit], wallMilliseconds: wall + UInt64(step)) }
            switch result {
            case .success(let sets): for set in sets { model.receive(set) }
            case .failure(let error) where error.code == .notFound: continue  // editing an erased record: refused
            case .failure(let error): throw error
            }
            if rng.next() % 4 == 0 { try exchange(stores) }
        }
        try exchange(stores)
        let vector = try stores[0].versionVector
        for store in stores {
            #expect(try store.versionVector == vector, "seed \(seed)")
            for record in records {
                #expect(try store.record(record) == model.view(record), "seed \(seed) record \(record)")
            }
        }
    }

    /// Full pairwise exchange of what each store misses, as sync will do it.
    func exchange(_ stores: [ReplicaStore]) throws {
        for _ in 0..<2 {
            for source in stores {
                for target in stores where target !== source {
                    let known = try target.versionVector
                    for origin in try source.versionVector.counters.keys {
                        let missing = try source.changeSets(from: origin, after: known[origin])
                        try target.apply(missing, wallMilliseconds: wall + 1_000)
                    }
                }
            }
        }
    }
}

/// True when `body` throws a ``StorageError`` with `code`.
func expectCode<T>(_ code: StorageError.Code, _ body: () throws -> T) -> Bool {
    do {
        _ = try body()
        return false
    } catch let error as StorageError {
        return error.code == code
    } catch {
        return false
    }
}
