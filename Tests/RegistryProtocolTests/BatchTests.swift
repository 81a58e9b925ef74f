import RegistryCore
@testable import RegistryProtocol
import RegistryTestSupport
import Testing

@Suite("Batch encoding")
struct BatchTests {
    /// Change sets from `origins` replicas, interleaved, with erasures, redactions and foreign dots.
    static func mixed(origins: Int, perOrigin: Int, seed: UInt64) -> [ChangeSet] {
        var rng = SeededRandom(seed: seed)
        var replicas = (0..<origins).map { _ in InMemoryReplica(id: .random(using: &rng)) }
        var all: [ChangeSet] = []
        for round in 0..<perOrigin {
            for index in replicas.indices {
                let wall = Fixtures.now + UInt64(round) * 1000 + UInt64(rng.next() % 5000)
                switch rng.next() % 6 {
                case 0:
                    let record = RecordID.v7(unixMilliseconds: wall, using: &rng)
                    all.append(replicas[index].erase(.household, record, wall: wall))
                case 1:
                    let record = RecordID.v7(unixMilliseconds: wall, using: &rng)
                    let foreign = Dot(origin: replicas[(index + 1) % replicas.count].id, seq: rng.next() % 1000 + 1)
                    let own = Dot(origin: replicas[index].id, seq: rng.next() % 10 + 1)
                    all.append(
                        replicas[index].write(
                            .registration, record,
                            [
                                FieldChange(Build.field("family_name"), .assign(.text("Kovalenko"), supersedes: [foreign, own])),
                                FieldChange(Build.field("aliases"), .remove(observed: [foreign])),
                                FieldChange(Build.field("phone"), .assign(nil, supersedes: [])),
                                FieldChange(Build.field("unaccompanied_minor"), .assign(.bool(rng.next() % 2 == 0), supersedes: [])),
                            ], wall: wall))
                case 2:
                    let record = RecordID.v7(unixMilliseconds: wall, using: &rng)
                    let written = replicas[index].write(
                        .registration, record, [FieldChange(Build.field("notes"), .assign(.int(-Int64(rng.next() % 99)), supersedes: []))],
                        wall: wall)
                    all.append(written.redacted)
                default:
                    all.append(contentsOf: Fixtures.registrations(1, on: &replicas[index], rng: &rng, wall: wall))
                }
            }
        }
        return all
    }

    @Test("a batch of many origins round-trips exactly, skips and through included")
    func manyOrigins() throws {
        let changeSets = Self.mixed(origins: 40, perOrigin: 6, seed: 11)
        var through = VersionVector()
        for changeSet in changeSets { through.advance(changeSet.origin, to: changeSet.lastSeq) }
        let skips = [
            SkipRange(origin: Fixtures.otherID, firstSeq: 1, lastSeq: 1),
            SkipRange(origin: Fixtures.centralID, firstSeq: 5, lastSeq: 900),
        ]
        through.advance(Fixtures.otherID, to: 1)
        let batch = Batch(changeSets: changeSets, skips: skips, through: through)
        let payload = Message.batch(batch).encodedPayload()
        #expect(payload.count == batch.encodedSize)
        #expect(try Message.decode(type: .batch, payload: payload) == .batch(batch))
        // And through an envelope.
        let sealed = Fixtures.siteChannel.seal(.batch(batch), counter: 1)
        #expect(try Fixtures.centralChannel.open(sealed, lastCounter: 0).message == .batch(batch))
    }

    @Test("change sets out of seq order and clocks going backwards still round-trip")
    func unordered() throws {
        let changeSets = Array(Self.mixed(origins: 3, perOrigin: 5, seed: 3).reversed())
        let batch = Batch(changeSets: changeSets)
        #expect(try Message.decode(type: .batch, payload: Message.batch(batch).encodedPayload()) == .batch(batch))
    }

    @Test("the dictionary and deltas make a change set much smaller than its standalone encoding")
    func compact() {
        var rng = SeededRandom(seed: 5)
        var replica = Fixtures.replica(Fixtures.siteID)
        let changeSets = Fixtures.registrations(200, on: &replica, rng: &rng)
        let standalone = changeSets.map { ChangeSetCodec.encode($0).count }.reduce(0, +)
        let inBatch = Batch.encodedSize(of: changeSets)
        // Origin (16) and clock (8) shrink to about 1 + 3 bytes each.
        #expect(inBatch < standalone - changeSets.count * 18)
    }

    @Test("wire bytes per registration against gzip-6 of JSON Lines (reported, loose bound)")
    func wireBytesPerRegistration() {
        var rng = SeededRandom(seed: 5)
        var replica = Fixtures.replica(Fixtures.siteID)
        let changeSets = Fixtures.registrations(500, on: &replica, rng: &rng)
        var builder = Batch.Builder(maxBytes: 256 * 1024)
        for changeSet in changeSets {
            let added = builder.add(changeSet)
            #expect(added)
        }
        let envelope = Fixtures.siteChannel.seal(.batch(builder.build(through: VersionVector())), counter: 1)
        let perRegistration = Double(envelope.count) / Double(changeSets.count)
        print("wire bytes per registration (500 in one envelope): \(perRegistration)")
        #expect(perRegistration < 120)
    }

    @Test("Builder never passes its bound, except for one oversized first change set")
    func builderBound() {
        let changeSets = Self.mixed(origins: 7, perOrigin: 30, seed: 21)
        for maxBytes in [1, 200, 1000, 4096, 20_000] {
            var remaining = changeSets[...]
            while !remaining.isEmpty {
                var builder = Batch.Builder(maxBytes: maxBytes)
                while let next = remaining.first, builder.add(next) { remaining = remaining.dropFirst() }
                let batch = builder.build(through: VersionVector())
                #expect(!batch.changeSets.isEmpty)
                #expect(batch.encodedSize <= builder.encodedSize)
                #expect(batch.changeSets.count == 1 || batch.encodedSize <= maxBytes)
            }
        }
    }

    @Test("resultingVector: contiguous continuation, gaps, skips, false claims, invalid changes")
    func resultingVector() throws {
        var rng = SeededRandom(seed: 8)
        var replica = Fixtures.replica(Fixtures.siteID)
        let changeSets = Fixtures.registrations(3, on: &replica, rng: &rng)  // seqs 1-9, 10-18, 19-27
        let start = VersionVector([Fixtures.siteID: 9])
        let ok = Batch(changeSets: Array(changeSets[1...]), skips: [SkipRange(origin: Fixtures.otherID, firstSeq: 1, lastSeq: 4)])
        #expect(try ok.resultingVector(from: start) == VersionVector([Fixtures.siteID: 27, Fixtures.otherID: 4]))
        // Repeats are no-ops.
        #expect(try Batch(changeSets: changeSets).resultingVector(from: VersionVector([Fixtures.siteID: 27])) == VersionVector([Fixtures.siteID: 27]))
        // Gap.
        #expect(throws: ProtocolError.self) { _ = try Batch(changeSets: [changeSets[2]]).resultingVector(from: start) }
        do { _ = try Batch(changeSets: [changeSets[2]]).resultingVector(from: start) } catch { #expect(error.code == .gap) }
        // A skip that does not start where the receiver is.
        do {
            _ = try Batch(skips: [SkipRange(origin: Fixtures.otherID, firstSeq: 2, lastSeq: 4)]).resultingVector(from: start)
            Issue.record("gap accepted")
        } catch { #expect(error.code == .gap) }
        // `through` claiming more than brought.
        do {
            _ = try Batch(changeSets: [changeSets[1]], through: VersionVector([Fixtures.siteID: 27])).resultingVector(from: start)
            Issue.record("false claim accepted")
        } catch { #expect(error.code == .gap) }
        // Invalid change: an lww field with supersedes.
        let invalid = ChangeSet(
            origin: Fixtures.siteID, firstSeq: 10, hlc: HLCTimestamp(milliseconds: Fixtures.now, counter: 0), entity: .registration,
            record: RecordID(high: 1, low: 2),
            content: .fields([FieldChange(Build.field("phone"), .assign(.text("x"), supersedes: [Dot(origin: Fixtures.siteID, seq: 1)]))]))
        do { _ = try Batch(changeSets: [invalid]).resultingVector(from: start); Issue.record("invalid accepted") } catch {
            #expect(error.code == .invalidChange)
        }
    }

    @Test("clock skew: a change set stamped too far ahead is refused")
    func clockSkew() throws {
        var rng = SeededRandom(seed: 9)
        var replica = Fixtures.replica(Fixtures.siteID)
        let batch = Batch(changeSets: Fixtures.registrations(2, on: &replica, rng: &rng, wall: Fixtures.now + 3_600_000))
        try batch.checkClocks(wallClockMilliseconds: Fixtures.now + 3_660_000, maxSkewMilliseconds: 0)
        do {
            try batch.checkClocks(wallClockMilliseconds: Fixtures.now, maxSkewMilliseconds: 600_000)
            Issue.record("skew accepted")
        } catch { #expect(error.code == .clockSkew) }
    }

    @Test("hostile counts and indexes are refused without allocating")
    func hostile() {
        // Origin count claims 2^40 origins.
        var writer = ByteWriter()
        writer.varint(1 << 40)
        #expect(throws: ProtocolError.self) { _ = try Message.decode(type: .batch, payload: writer.bytes) }
        // Origin index out of range in a skip.
        writer = ByteWriter()
        writer.varint(0)
        writer.varint(0)
        writer.varint(1)
        writer.varint(3)
        writer.varint(1)
        writer.varint(1)
        writer.varint(0)
        #expect(throws: ProtocolError.self) { _ = try Message.decode(type: .batch, payload: writer.bytes) }
        // A seq near 2^64 (would overflow lastSeq).
        var rng = SeededRandom(seed: 1)
        var replica = Fixtures.replica(Fixtures.siteID)
        let changeSet = Fixtures.registrations(1, on: &replica, rng: &rng)[0]
        let huge = ChangeSet(
            origin: changeSet.origin, firstSeq: UInt64.max - 3, hlc: changeSet.hlc, entity: changeSet.entity, record: changeSet.record,
            content: .redacted(count: 1))
        #expect(throws: ProtocolError.self) { _ = try Message.decode(type: .batch, payload: Message.batch(Batch(changeSets: [huge])).encodedPayload()) }
    }
}
