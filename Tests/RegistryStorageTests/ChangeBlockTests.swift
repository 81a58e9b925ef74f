import RegistryCore
import RegistryCrypto
@testable import RegistryStorage
import RegistryTestSupport
import Testing

@Suite("Change-log blocks: encoding and sealing at rest")
struct ChangeBlockTests {
    static let origin = ReplicaID(high: 7, low: 7)
    static let key = SymmetricKey.generate()

    /// Change sets of one origin with gaps between them (skipped ranges), every kind of content, and
    /// clocks that do not only go up.
    static func sample() -> [ChangeSet] {
        var rng = SeededRandom(seed: 5)
        let given = Build.field("given_name"), docs = Build.field("documents")
        func set(_ first: UInt64, _ hlc: UInt64, _ content: ChangeSet.Content) -> ChangeSet {
            ChangeSet(origin: origin, firstSeq: first, hlc: HLCTimestamp(rawValue: hlc), entity: .registration,
                      record: .v7(unixMilliseconds: 1_732_000_000_000, using: &rng), content: content)
        }
        return [
            set(10, 5_000, .fields([FieldChange(given, .assign(.text("Олена"), supersedes: [])), FieldChange(docs, .add(.object(["type": "PASSPORT", "number": "FE123456"])))])),
            set(12, 5_001, .erase),
            set(20, 4_000, .redacted(count: 3)),
            set(23, 9_000, .fields([FieldChange(given, .assign(nil, supersedes: [Dot(origin: origin, seq: 10), Dot(origin: ReplicaID(high: 1, low: 2), seq: 4)])), FieldChange(docs, .remove(observed: [Dot(origin: origin, seq: 11)]))])),
        ]
    }

    @Test("a block round-trips its change sets, gaps and clocks included, and finds each by seq")
    func roundTrip() throws {
        let sets = Self.sample()
        let block = try OpenedBlock(origin: Self.origin, first: 10, last: 24, plaintext: ChangeBlock.encode(sets))
        #expect(try block.entries.indices.map { try block.changeSet(at: $0) } == sets)
        #expect(block.index(containing: 11) == 0 && block.index(containing: 21) == 2 && block.index(containing: 24) == 3)
        #expect(block.index(containing: 13) == nil, "a skipped seq is in no change set")
        #expect(block.index(containing: 9) == nil && block.index(containing: 25) == nil)
    }

    @Test("a sealed block opens only under its own key, origin and range; any changed byte is refused")
    func sealing() throws {
        let plaintext = ChangeBlock.encode(Self.sample())
        let sealed = ChangeBlock.seal(plaintext, origin: Self.origin, first: 10, last: 24, key: Self.key)
        #expect(sealed.first == ChangeBlock.deflatedTag || sealed.first == ChangeBlock.storedTag)
        #expect(try ChangeBlock.open(sealed, origin: Self.origin, first: 10, last: 24, key: Self.key) == plaintext)
        for (origin, first, last) in [(ReplicaID(high: 7, low: 8), UInt64(10), UInt64(24)), (Self.origin, 11, 24), (Self.origin, 10, 25)] {
            #expect(throws: StorageError(.tampered, "change block \(first)-\(last) of \(origin) failed authentication")) {
                _ = try ChangeBlock.open(sealed, origin: origin, first: first, last: last, key: Self.key)
            }
        }
        #expect(throws: StorageError.self) { _ = try ChangeBlock.open(sealed, origin: Self.origin, first: 10, last: 24, key: .generate()) }
        for position in [0, 1, 30, sealed.count - 1] {
            var flipped = sealed
            flipped[position] ^= 0x40
            #expect(throws: StorageError.self) { _ = try ChangeBlock.open(flipped, origin: Self.origin, first: 10, last: 24, key: Self.key) }
        }
        #expect(throws: StorageError.self) { _ = try ChangeBlock.open(Array(sealed.prefix(20)), origin: Self.origin, first: 10, last: 24, key: Self.key) }
    }

    @Test("authentic but malformed plaintext is refused as tampered: a bomb, an entry past the range, trailing bytes")
    func malformed() throws {
        let ad = ChangeBlock.additionalData(origin: Self.origin, first: 10, last: 24)
        let bomb = [ChangeBlock.deflatedTag] + AEAD.seal(Deflate.compress([UInt8](repeating: 0, count: ChangeBlock.inflateLimit + 1)), key: Self.key, additionalData: ad)
        #expect(throws: StorageError.self) { _ = try ChangeBlock.open(bomb, origin: Self.origin, first: 10, last: 24, key: Self.key) }
        let plaintext = ChangeBlock.encode(Self.sample())
        #expect(throws: StorageError.self) { _ = try OpenedBlock(origin: Self.origin, first: 10, last: 23, plaintext: plaintext) }
        #expect(throws: StorageError.self) { _ = try OpenedBlock(origin: Self.origin, first: 10, last: 24, plaintext: plaintext + [0]) }
        for length in [0, 1, 5, plaintext.count / 2] {
            #expect(throws: StorageError.self) { _ = try OpenedBlock(origin: Self.origin, first: 10, last: 24, plaintext: Array(plaintext.prefix(length))) }
        }
    }

    @Test("a many-record import compresses: the sealed log costs well under the plaintext")
    func compresses() throws {
        let dir = TemporaryDirectory()
        let store = try Build.store(in: dir)
        var rng = SeededRandom(seed: 11)
        let names = ["Olena", "Taras", "Iryna", "Mykola", "Oksana"], families = ["Shevchenko", "Bondarenko", "Kovalenko"]
        let edits = (0..<640).map { i in
            Build.registration(.v7(unixMilliseconds: 1_732_000_000_000, using: &rng), [
                "given_name": names[i % 5], "family_name": families[i % 3], "site_id": "NL-TA-01", "country": "NL", "birth_place": "Kharkiv",
            ])
        }
        let sets = try store.commit(edits, wallMilliseconds: 1_732_000_000_000)
        let plaintext = sets.map { ChangeBlock.encode([$0]).count }.reduce(0, +)
        let sealed = try store.readDB { db in try Int.fetchOne(db, sql: "SELECT SUM(LENGTH(body)) FROM changeblock") ?? 0 }
        let blocks = try store.readDB { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changeblock") ?? 0 }
        #expect(blocks == 640 / ChangeBlock.maxSets, "640 change sets in full blocks")
        #expect(Double(sealed) < 0.6 * Double(plaintext), "sealed \(sealed) B for \(plaintext) B of plaintext")
    }
}
