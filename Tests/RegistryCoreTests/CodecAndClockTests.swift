import RegistryCore
import RegistryTestSupport
import Testing

@Suite("Codec, clock and identifiers")
struct CodecAndClockTests {
    @Test("change sets survive an encode/decode round trip")
    func roundTrip() throws {
        let seed = SeededRandom.seedFromEnvironment(default: 77)
        print("roundTrip seed \(seed)")
        var rng = SeededRandom(seed: seed)
        var replica = InMemoryReplica(id: ReplicaID(high: 5, low: 5))
        var other = InMemoryReplica(id: ReplicaID(high: 6, low: 6))
        for step in 0..<300 {
            let set = step.isMultiple(of: 3)
                ? Scenario.randomEdit(&other, wall: UInt64(step), rng: &rng)
                : Scenario.randomEdit(&replica, wall: UInt64(step), rng: &rng)
            replica.receive(set)
            other.receive(set)
            #expect(try ChangeSetCodec.decode(ChangeSetCodec.encode(set)) == set, "seed \(seed) step \(step)")
            #expect(try ChangeSetCodec.decode(ChangeSetCodec.encode(set.redacted)) == set.redacted)
        }
        let text = Value.object(["number": "ЕК123456", "type": "PASSPORT"])
        var writer = ByteWriter()
        ValueCodec.write(text, to: &writer)
        ValueCodec.write(.int(-42), to: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(try ValueCodec.read(from: &reader) == text)
        #expect(try ValueCodec.read(from: &reader) == .int(-42))
    }

    @Test("every truncation of an encoded change set is refused with a typed error")
    func truncation() {
        let set = ChangeSet(
            origin: ReplicaID(high: 1, low: 2), firstSeq: 3, hlc: HLCTimestamp(milliseconds: 5, counter: 1),
            entity: .registration, record: RecordID(high: 7, low: 8),
            content: .fields([FieldChange(Scenario.givenName, .assign(.text("Юлія"), supersedes: [Dot(origin: ReplicaID(high: 9, low: 9), seq: 1)]))]))
        let bytes = ChangeSetCodec.encode(set)
        for length in 0..<bytes.count {
            #expect(throws: CoreError.self) { try ChangeSetCodec.decode(Array(bytes.prefix(length))) }
        }
        var unknownEntity = bytes
        unknownEntity[16 + 1 + 8] = 99
        #expect(throws: CoreError.self) { try ChangeSetCodec.decode(unknownEntity) }
        #expect(throws: CoreError.self) { try ChangeSetCodec.decode(bytes + [0]) }
    }

    @Test("the clock is monotonic, survives a counter overflow and refuses stamps far ahead")
    func clock() throws {
        var clock = HybridLogicalClock(maxSkewMilliseconds: 60_000)
        let first = clock.tick(wallMilliseconds: 1_000)
        let second = clock.tick(wallMilliseconds: 900)  // wall clock stepped back
        #expect(second > first)
        #expect(second.milliseconds == 1_000 && second.counter == 1)
        try clock.receive(HLCTimestamp(milliseconds: 50_000, counter: 3), wallMilliseconds: 1_000)
        #expect(clock.tick(wallMilliseconds: 1_000) == HLCTimestamp(milliseconds: 50_000, counter: 4))
        #expect(throws: ClockSkewError.self) { try clock.receive(HLCTimestamp(milliseconds: 200_000, counter: 0), wallMilliseconds: 1_000) }
        #expect(clock.last.milliseconds == 50_000, "a refused stamp must not move the clock")
        var saturated = HybridLogicalClock(last: HLCTimestamp(milliseconds: 10, counter: .max))
        #expect(saturated.tick(wallMilliseconds: 5) == HLCTimestamp(milliseconds: 11, counter: 0))
    }

    @Test("UUIDv7 identifiers carry their time, version and variant, and parse back")
    func identifiers() {
        var rng = SeededRandom(seed: 1)
        let id = Identifier128.v7(unixMilliseconds: 1_732_000_000_000, using: &rng)
        let text = id.description
        #expect(text.count == 36)
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        #expect(Identifier128(text) == id)
        #expect(Identifier128(text.uppercased()) == id)
        #expect(id.unixMilliseconds == 1_732_000_000_000)
        #expect(Identifier128("not-a-uuid") == nil)
        let later = Identifier128.v7(unixMilliseconds: 1_732_000_000_001, using: &rng)
        #expect(id < later, "v7 ids sort by creation time")
    }

    @Test("partial dates parse full, month and year precision and refuse impossible dates")
    func partialDates() {
        #expect(PartialDate("1985-03-14")?.description == "1985-03-14")
        #expect(PartialDate("1985-03")?.day == nil)
        #expect(PartialDate("1985")?.month == nil)
        #expect(PartialDate("1985-02-30") == nil)
        #expect(PartialDate("2024-02-29") != nil)
        #expect(PartialDate("14.03.1985") == nil)
        #expect(PartialDate("85-03-14") == nil)
    }

    @Test("version vectors advance, never go back, and compare")
    func versionVector() {
        let a = ReplicaID(high: 1, low: 1), b = ReplicaID(high: 2, low: 2)
        var vector = VersionVector()
        vector.advance(a, to: 5)
        vector.advance(a, to: 3)
        #expect(vector[a] == 5)
        #expect(vector.contains(Dot(origin: a, seq: 5)) && !vector.contains(Dot(origin: a, seq: 6)))
        let other = VersionVector([b: 2])
        #expect(!vector.isCovered(by: other))
        #expect(vector.isCovered(by: vector.union(other)) && other.isCovered(by: vector.union(other)))
    }
}
