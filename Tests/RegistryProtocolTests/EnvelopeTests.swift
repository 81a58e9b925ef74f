import RegistryCore
import RegistryCrypto
@testable import RegistryProtocol
import RegistryTestSupport
import Testing

@Suite("Envelope and messages")
struct EnvelopeTests {
    static func sampleMessages() -> [Message] {
        var rng = SeededRandom(seed: 7)
        var replica = Fixtures.replica(Fixtures.siteID)
        let changeSets = Fixtures.registrations(5, on: &replica, rng: &rng)
        let vector = VersionVector([Fixtures.siteID: 45, Fixtures.centralID: 3])
        let batch = Batch(
            changeSets: changeSets, skips: [SkipRange(origin: Fixtures.otherID, firstSeq: 1, lastSeq: 10)],
            through: VersionVector([Fixtures.siteID: 45, Fixtures.otherID: 10]))
        let revocations = RevocationList.sign(
            issuer: Fixtures.central, version: 3,
            entries: [.init(replicaID: Fixtures.otherID, serial: 9, revokedAt: "2026-01-02T03:04:05Z", reason: "laptop stolen")])
        return [
            .hello(
                Hello(
                    protocolVersion: 1, schemaFingerprint: Schema.fingerprint, role: "site", siteID: "NL-TA-01", state: "NL",
                    wallClockMilliseconds: Fixtures.now, vector: vector)),
            .welcome(Welcome(protocolVersion: 1, schemaFingerprint: Schema.fingerprint, wallClockMilliseconds: Fixtures.now, vector: vector)),
            .welcome(
                Welcome(
                    protocolVersion: 1, schemaFingerprint: 42, wallClockMilliseconds: 0, vector: VersionVector(), revocations: revocations)),
            .batch(batch),
            .batch(Batch()),
            .ack(Ack(vector: vector)),
            .ack(Ack(vector: VersionVector())),
            .pull(Pull(vector: vector, maxBytes: 262_144)),
            .reject(Rejection(code: .busy, detail: "try later", retryAfterSeconds: 30)),
            .reject(Rejection(code: .clockSkew, detail: "ahead", retryAfterSeconds: nil)),
            .receipt(Receipt(vector: vector, batch: batch)),
            .receipt(Receipt(vector: vector)),
        ]
    }

    @Test("every message round-trips through its payload encoding")
    func payloadRoundTrip() throws {
        for message in Self.sampleMessages() {
            let payload = message.encodedPayload()
            #expect(try Message.decode(type: message.type, payload: payload) == message)
        }
    }

    @Test("every message round-trips through a sealed envelope, in both directions")
    func envelopeRoundTrip() throws {
        var counter: UInt64 = 0
        for message in Self.sampleMessages() {
            counter += 1
            let up = Fixtures.siteChannel.seal(message, counter: counter)
            let opened = try Fixtures.centralChannel.open(up, lastCounter: counter - 1)
            #expect(opened.message == message)
            #expect(opened.counter == counter)
            let down = Fixtures.centralChannel.seal(message, counter: counter)
            #expect(try Fixtures.siteChannel.open(down, lastCounter: 0).message == message)
        }
    }

    @Test("large payloads are deflated, small ones are not, and both open")
    func compressionOnOff() throws {
        let small = Message.ack(Ack(vector: VersionVector([Fixtures.siteID: 1])))
        let sealedSmall = Fixtures.siteChannel.seal(small, counter: 1)
        #expect(try EnvelopeHeader.parse(sealedSmall).isCompressed == false)
        #expect(sealedSmall.count == Envelope.overhead + small.encodedPayload().count)

        var rng = SeededRandom(seed: 1)
        var replica = Fixtures.replica(Fixtures.siteID)
        let big = Message.batch(Batch(changeSets: Fixtures.registrations(50, on: &replica, rng: &rng)))
        let sealedBig = Fixtures.siteChannel.seal(big, counter: 2)
        let header = try EnvelopeHeader.parse(sealedBig)
        #expect(header.isCompressed)
        #expect(sealedBig.count < big.encodedPayload().count)
        #expect(try Fixtures.centralChannel.open(sealedBig, lastCounter: 1).message == big)

        // Incompressible payload over the threshold: sent as is.
        var noise: [UInt8] = []
        for _ in 0..<100 { noise.append(contentsOf: withUnsafeBytes(of: rng.next()) { Array($0) }) }
        let random = Message.reject(Rejection(code: .internal, detail: Hex.encode(noise)))
        let sealedRandom = Fixtures.siteChannel.seal(random, counter: 3)
        #expect(try Fixtures.centralChannel.open(sealedRandom, lastCounter: 2).message == random)
    }

    @Test("header layout: 52 bytes at fixed offsets")
    func headerLayout() throws {
        let envelope = Fixtures.siteChannel.seal(.ack(Ack(vector: VersionVector())), counter: 0x0102_0304_0506_0708)
        #expect(Array(envelope[0..<4]) == Array("RSYN".utf8))
        #expect(envelope[4] == 1)
        #expect(envelope[5] == MessageType.ack.rawValue)
        #expect(envelope[6] == 0 && envelope[7] == 0)
        #expect(Array(envelope[8..<24]) == Fixtures.siteID.bytes)
        #expect(Array(envelope[24..<40]) == Fixtures.centralID.bytes)
        #expect(Array(envelope[40..<48]) == [1, 2, 3, 4, 5, 6, 7, 8])
        let header = try EnvelopeHeader.parse(envelope)
        #expect(header.encoded() == Array(envelope[0..<52]))
        #expect(header.envelopeByteCount == envelope.count)
        #expect(header.length == 1 + 16)
    }

    // MARK: Rejections

    static func expectRejection(
        _ code: RejectionCode, _ envelope: [UInt8], channel: Channel = Fixtures.centralChannel, lastCounter: UInt64 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(throws: ProtocolError.self, sourceLocation: sourceLocation) {
            _ = try channel.open(envelope, lastCounter: lastCounter)
        }
        do {
            _ = try channel.open(envelope, lastCounter: lastCounter)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    static let sample = Fixtures.siteChannel.seal(.pull(Pull(vector: VersionVector([Fixtures.siteID: 3]), maxBytes: 1000)), counter: 5)

    @Test("truncated at every length")
    func truncatedEverywhere() {
        for length in 0..<Self.sample.count {
            Self.expectRejection(.truncated, Array(Self.sample.prefix(length)))
        }
    }

    @Test("bad magic, unsupported version, unknown type, reserved bits, trailing bytes")
    func headerFields() {
        var envelope = Self.sample
        envelope[0] = UInt8(ascii: "X")
        Self.expectRejection(.badMagic, envelope)
        envelope = Self.sample
        envelope[4] = 2
        Self.expectRejection(.unsupportedVersion, envelope)
        for type: UInt8 in [0, 8, 255] {
            envelope = Self.sample
            envelope[5] = type
            Self.expectRejection(.unknownType, envelope)
        }
        envelope = Self.sample
        envelope[6] = 0x80
        Self.expectRejection(.malformed, envelope)
        envelope = Self.sample
        envelope[7] = 1
        Self.expectRejection(.malformed, envelope)
        Self.expectRejection(.malformed, Self.sample + [0])
    }

    @Test("oversize: length field over the limit, or a buffer over 8 MiB")
    func oversize() {
        var envelope = Self.sample
        let huge = UInt32(Envelope.maxEnvelopeBytes)
        envelope.replaceSubrange(48..<52, with: [UInt8(huge >> 24), UInt8(huge >> 16 & 0xFF), UInt8(huge >> 8 & 0xFF), UInt8(huge & 0xFF)])
        Self.expectRejection(.oversize, envelope)
        Self.expectRejection(.oversize, [UInt8](repeating: 0, count: Envelope.maxEnvelopeBytes + 1))
    }

    @Test("misaddressed, unknown sender, revoked sender")
    func addressing() throws {
        // Sealed by the site for the "other" node: the central node is not the recipient.
        let toOther = try Channel(local: Fixtures.site, peer: Fixtures.other.peer, localIsClient: true)
        Self.expectRejection(.misaddressed, toOther.seal(.ack(Ack(vector: VersionVector())), counter: 1))
        // Sent to the central node by "other", on the channel with the site.
        let fromOther = try Channel(local: Fixtures.other, peer: Fixtures.central.peer, localIsClient: true)
        Self.expectRejection(.unknownSender, fromOther.seal(.ack(Ack(vector: VersionVector())), counter: 1))
        // Revoked.
        let list = RevocationList.sign(
            issuer: Fixtures.central, version: 1,
            entries: [.init(replicaID: Fixtures.siteID, serial: 1, revokedAt: "2026-01-01T00:00:00Z", reason: "stolen")])
        let guarded = try Channel(local: Fixtures.central, peer: Fixtures.site.peer, localIsClient: false, revocations: list)
        Self.expectRejection(.revokedSender, Self.sample, channel: guarded)
    }

    @Test("a flipped bit anywhere is refused; after the header it is always bad_signature")
    func bitFlips() {
        let envelope = Self.sample
        let headerCodes: Set<RejectionCode> = [
            .badMagic, .unsupportedVersion, .unknownType, .malformed, .misaddressed, .unknownSender, .badSignature, .oversize, .truncated,
        ]
        for index in 0..<envelope.count {
            for bit in 0..<8 {
                var flipped = envelope
                flipped[index] ^= 1 << bit
                do {
                    _ = try Fixtures.centralChannel.open(flipped, lastCounter: 0)
                    Issue.record("flip at byte \(index) bit \(bit) was accepted")
                } catch {
                    if index >= EnvelopeHeader.byteCount {
                        #expect(error.code == .badSignature, "byte \(index) bit \(bit): \(error)")
                    } else {
                        #expect(headerCodes.contains(error.code), "byte \(index) bit \(bit): \(error)")
                    }
                }
            }
        }
    }

    @Test("signed by the sender but sealed under another key: tampered")
    func tampered() throws {
        // Same replica id and signing key as the site, but another key-exchange key: the signature
        // verifies, the AEAD does not open.
        let impostor = LocalNode(replicaID: Fixtures.siteID, signing: Fixtures.site.signing, keyExchange: Fixtures.other.keyExchange)
        let channel = try Channel(local: impostor, peer: Fixtures.central.peer, localIsClient: true)
        Self.expectRejection(.tampered, channel.seal(.ack(Ack(vector: VersionVector())), counter: 1))
    }

    @Test("replayed: a counter at or below the last accepted")
    func replayed() throws {
        Self.expectRejection(.replayed, Self.sample, lastCounter: 5)
        Self.expectRejection(.replayed, Self.sample, lastCounter: 9)
        _ = try Fixtures.centralChannel.open(Self.sample, lastCounter: 4)
    }

    @Test("decompression bomb is refused with oversize; corrupt deflate with malformed")
    func bomb() throws {
        let zeros = [UInt8](repeating: 0, count: Envelope.maxPayloadBytes + 1)
        let bomb = Deflate.compress(zeros)
        #expect(bomb.count < 64 * 1024)
        let envelope = Fixtures.siteChannel.sealRaw(type: .batch, flags: Envelope.compressedFlag, payload: bomb, counter: 1, nonce: nil)
        Self.expectRejection(.oversize, envelope)
        let garbage = Fixtures.siteChannel.sealRaw(type: .batch, flags: Envelope.compressedFlag, payload: [0xFF, 0xFF, 0xFF], counter: 1, nonce: nil)
        Self.expectRejection(.malformed, garbage)
    }

    @Test("an authentic envelope whose payload does not decode: malformed")
    func malformedPayload() {
        let envelope = Fixtures.siteChannel.sealRaw(type: .pull, flags: 0, payload: [0x05, 0x01], counter: 1, nonce: nil)
        Self.expectRejection(.malformed, envelope)
        let trailing = Fixtures.siteChannel.sealRaw(type: .ack, flags: 0, payload: [0x00, 0x00], counter: 1, nonce: nil)
        Self.expectRejection(.malformed, trailing)
    }

    @Test("payload decoders refuse every truncation of every message without crashing")
    func decoderTruncation() {
        for message in Self.sampleMessages() {
            let payload = message.encodedPayload()
            for length in 0..<payload.count {
                #expect(throws: ProtocolError.self) { _ = try Message.decode(type: message.type, payload: Array(payload.prefix(length))) }
            }
        }
    }

    @Test("random payload bytes never crash a decoder")
    func decoderFuzz() {
        var rng = SeededRandom(seed: SeededRandom.seedFromEnvironment(default: 99))
        let base = Self.sampleMessages()
        for round in 0..<3000 {
            let message = base[round % base.count]
            var payload = message.encodedPayload()
            guard !payload.isEmpty else { continue }
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                payload[Int(rng.next() % UInt64(payload.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? Message.decode(type: message.type, payload: payload)
        }
    }

    @Test("Deflate round-trips and honours its limit exactly")
    func deflate() throws {
        let text = Array(String(repeating: "Shevchenko Olena 1985-03-12 ", count: 200).utf8)
        let packed = Deflate.compress(text)
        #expect(packed.count < text.count / 10)
        #expect(try Deflate.decompress(packed, limit: text.count) == text)
        #expect(throws: CoreError(.oversize, "payload inflates past \(text.count - 1) bytes")) {
            _ = try Deflate.decompress(packed, limit: text.count - 1)
        }
        #expect(try Deflate.decompress(Deflate.compress([]), limit: 0) == [])
        #expect(throws: CoreError.self) { _ = try Deflate.decompress(Array(packed.dropLast(3)), limit: 1 << 20) }
    }

    @Test("bundle files: framing round-trips and refuses damage")
    func bundles() throws {
        let envelopes = [Self.sample, Fixtures.siteChannel.seal(.ack(Ack(vector: VersionVector())), counter: 6)]
        let file = BundleFile.encode(envelopes)
        #expect(Array(file.prefix(5)) == Array("RSBN".utf8) + [1])
        #expect(try BundleFile.decode(file) == envelopes)
        #expect(try BundleFile.decode(BundleFile.encode([])) == [])
        #expect(throws: ProtocolError.self) { _ = try BundleFile.decode(Array(file.dropLast())) }
        var bad = file
        bad[0] = 0
        #expect(throws: ProtocolError(.badMagic, "bundle does not start with RSBN")) { _ = try BundleFile.decode(bad) }
    }
}
