import PropertyBased
import RegistryCore
@testable import RegistryProtocol
import RegistryTestSupport
import Testing

@Suite("Properties and server helpers")
struct PropertyTests {
    @Test("Deflate round-trips any bytes")
    func deflateRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 0...4096)) { bytes throws in
            #expect(try Deflate.decompress(Deflate.compress(bytes), limit: bytes.count) == bytes)
        }
    }

    @Test("any bytes as a payload of any type: decoded or refused, never a crash")
    func decodeAnything() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...512), Gen.uint8(in: 1...7)) { bytes, type throws in
            if let message = try? Message.decode(type: MessageType(rawValue: type)!, payload: bytes) {
                // Whatever decodes re-encodes to something that decodes to the same message.
                #expect(try Message.decode(type: message.type, payload: message.encodedPayload()) == message)
            }
        }
    }

    @Test("any bytes after a valid header: refused with a typed error, never a crash")
    func openAnything() async {
        let header = Array(EnvelopeTests.sample.prefix(EnvelopeHeader.byteCount))
        await propertyCheck(count: 150, input: Gen.uint8().array(of: 0...400)) { tail in
            #expect(throws: ProtocolError.self) { _ = try Fixtures.centralChannel.open(header + tail, lastCounter: 0) }
        }
    }

    @Test("hello fields of any text round-trip")
    func helloText() async {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 0...200), Gen.uint64()) { bytes, clock throws in
            let text = String(decoding: bytes, as: UTF8.self)
            let hello = Hello(
                protocolVersion: 1, schemaFingerprint: clock, role: "site", siteID: String(text.prefix(60)), state: "NL",
                wallClockMilliseconds: clock, vector: VersionVector([Fixtures.siteID: clock]))
            #expect(try Message.decode(type: .hello, payload: Message.hello(hello).encodedPayload()) == .hello(hello))
        }
    }

    @Test("PeerDirectory: picks the channel by sender; refuses unenrolled, revoked and misaddressed")
    func peerDirectory() throws {
        let directory = try PeerDirectory(local: Fixtures.central, peers: [Fixtures.site.peer], revocations: nil)
        let envelope = Fixtures.siteChannel.seal(.ack(Ack(vector: VersionVector())), counter: 3)
        let opened = try directory.open(envelope) { _ in 2 }
        #expect(opened.sender == Fixtures.siteID && opened.counter == 3)

        let fromOther = try Channel(local: Fixtures.other, peer: Fixtures.central.peer, localIsClient: true)
        #expect(throws: ProtocolError(.notEnrolled, "sender \(Fixtures.otherID) is not enrolled here")) {
            _ = try directory.channel(for: fromOther.seal(.ack(Ack(vector: VersionVector())), counter: 1))
        }
        let list = RevocationList.sign(
            issuer: Fixtures.central, version: 1,
            entries: [.init(replicaID: Fixtures.siteID, serial: 1, revokedAt: "2026-01-01T00:00:00Z", reason: "stolen")])
        let guarded = try PeerDirectory(local: Fixtures.central, peers: [Fixtures.site.peer], revocations: list)
        #expect(throws: ProtocolError(.revokedSender, "sender \(Fixtures.siteID) is revoked")) { _ = try guarded.channel(for: envelope) }
        let toOther = try Channel(local: Fixtures.site, peer: Fixtures.other.peer, localIsClient: true)
        #expect(throws: ProtocolError.self) { _ = try directory.channel(for: toOther.seal(.ack(Ack(vector: VersionVector())), counter: 1)) }
    }

    @Test("nextCounter increases, and jumps to the clock after a restore")
    func counters() {
        #expect(Envelope.nextCounter(after: 5, wallClockMilliseconds: 0) == 6)
        #expect(Envelope.nextCounter(after: 5, wallClockMilliseconds: 2) == 2000)
        let big = Envelope.nextCounter(after: 0, wallClockMilliseconds: Fixtures.now)
        #expect(Envelope.nextCounter(after: big, wallClockMilliseconds: Fixtures.now) == big + 1)
    }

    @Test("Batch.answering: scope, skips, bound, and no holes")
    func answering() throws {
        var rng = SeededRandom(seed: 12)
        var a = InMemoryReplica(id: Fixtures.otherID)
        let sets = Fixtures.registrations(10, on: &a, rng: &rng)  // 9 dots each
        let server = VersionVector([Fixtures.otherID: 90])
        let all: (ReplicaID, UInt64) -> [ChangeSet] = { origin, after in sets.filter { $0.origin == origin && $0.lastSeq > after } }
        // Even-indexed change sets in scope, odd ones skipped.
        let inScope: (ChangeSet) -> Bool = { ($0.firstSeq / 9) % 2 == 0 }
        var vector = VersionVector()
        var rounds = 0
        while true {
            let batch = Batch.answering(Pull(vector: vector, maxBytes: 600), serverVector: server, changeSets: all, inScope: inScope)
            if batch.isEmpty { break }
            #expect(batch.encodedSize <= 600 || batch.changeSets.count == 1)
            #expect(batch.changeSets.allSatisfy(inScope))
            vector = try batch.resultingVector(from: vector)
            #expect(vector == batch.through.union(vector))
            rounds += 1
        }
        #expect(vector == server)
        #expect(rounds >= 2)
    }
}
