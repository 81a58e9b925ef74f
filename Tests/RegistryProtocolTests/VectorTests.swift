import Foundation
import RegistryCore
import RegistryCrypto
@testable import RegistryProtocol
import RegistryTestSupport
import Testing

/// Known-answer vectors for the envelope: `Protocol/vectors/protocol/envelopes.json`.
///
/// The file is committed data. `generate()` rewrites it (run with `REGSYNC_WRITE_VECTORS=1`); the
/// loading test must pass against the committed file, so a change to the wire format shows up as a
/// failing test, not as silently regenerated vectors.
@Suite("Protocol vectors")
struct VectorTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Protocol/vectors/protocol").standardized
    static let file = directory.appendingPathComponent("envelopes.json")

    static let nodes: [String: LocalNode] = ["site": Fixtures.site, "central": Fixtures.central, "other": Fixtures.other]

    static func channel(_ local: String, _ peer: String) -> Channel {
        try! Channel(local: nodes[local]!, peer: nodes[peer]!.peer, localIsClient: local == "site" || (local == "other" && peer == "central"))
    }

    // MARK: Loading

    @Test("every committed vector opens, or is refused, exactly as recorded")
    func committedVectors() throws {
        let data = try Data(contentsOf: Self.file)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        // The seeds in the file are the fixtures' seeds.
        let seeds = try #require(root["nodes"] as? [String: [String: String]])
        for (name, node) in Self.nodes {
            let recorded = try #require(seeds[name])
            #expect(recorded["replicaID"] == node.replicaID.description)
            #expect(recorded["signingPublicKey"] == Hex.encode(node.signing.publicKey.rawRepresentation))
            #expect(recorded["keyExchangePublicKey"] == Hex.encode(node.keyExchange.publicKey.rawRepresentation))
            #expect(recorded["signingSeed"] == node.signing.seed.withUnsafeBytes { Hex.encode(Array($0)) })
            #expect(recorded["keyExchangeSeed"] == node.keyExchange.seed.withUnsafeBytes { Hex.encode(Array($0)) })
        }
        let tests = try #require(root["tests"] as? [[String: Any]])
        #expect(tests.count >= 20)
        var valid = 0, invalid = 0
        for test in tests {
            let id = test["id"] as? Int ?? -1
            let opener = Self.channel(test["receiver"] as! String, test["channelPeer"] as! String)
            let envelope = try #require(Hex.decode(test["envelope"] as! String))
            let lastCounter = UInt64(test["lastCounter"] as! Int)
            switch test["result"] as! String {
            case "valid":
                valid += 1
                let opened = try opener.open(envelope, lastCounter: lastCounter)
                #expect(opened.counter == UInt64(test["counter"] as! Int), "vector \(id)")
                #expect(opened.message.type.name == test["type"] as? String, "vector \(id)")
                #expect(Hex.encode(opened.message.encodedPayload()) == test["payload"] as? String, "vector \(id)")
                let expected = try JSONSerialization.data(withJSONObject: test["message"]!, options: [.sortedKeys])
                let actual = try JSONSerialization.data(withJSONObject: Self.describe(opened.message), options: [.sortedKeys])
                #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "vector \(id)")
            case "invalid":
                invalid += 1
                let code = try #require(RejectionCode(rawValue: test["code"] as! String))
                do {
                    _ = try opener.open(envelope, lastCounter: lastCounter)
                    Issue.record("vector \(id) was accepted")
                } catch {
                    #expect(error.code == code, "vector \(id): \(error)")
                }
            case let other:
                Issue.record("vector \(id): unknown result \(other)")
            }
        }
        #expect(valid >= 8 && invalid >= 12)
    }

    // MARK: Generation

    @Test("generate the vector file", .enabled(if: ProcessInfo.processInfo.environment["REGSYNC_WRITE_VECTORS"] != nil))
    func generate() throws {
        var tests: [[String: Any]] = []
        var nextID = 1
        func nonce(_ id: Int) -> [UInt8] { [UInt8](repeating: UInt8(id), count: 24) }
        func seal(_ message: Message, from: String, to: String, counter: UInt64, id: Int) -> [UInt8] {
            let payload = message.encodedPayload()
            var flags: UInt8 = 0
            var body = payload
            if payload.count > Envelope.compressionThreshold {
                let deflated = Deflate.compress(payload)
                if deflated.count < payload.count {
                    body = deflated
                    flags = Envelope.compressedFlag
                }
            }
            return Self.channel(from, to).sealRaw(type: message.type, flags: flags, payload: body, counter: counter, nonce: nonce(id))
        }
        func valid(_ comment: String, _ message: Message, from: String, to: String, counter: UInt64, lastCounter: UInt64 = 0) {
            let envelope = seal(message, from: from, to: to, counter: counter, id: nextID)
            tests.append([
                "id": nextID, "comment": comment, "result": "valid", "sender": from, "receiver": to, "channelPeer": from,
                "lastCounter": lastCounter, "counter": counter, "type": message.type.name,
                "envelope": Hex.encode(envelope), "payload": Hex.encode(message.encodedPayload()),
                "compressed": try! EnvelopeHeader.parse(envelope).isCompressed, "message": Self.describe(message),
            ])
            nextID += 1
        }
        func invalid(_ comment: String, _ envelope: [UInt8], code: RejectionCode, receiver: String = "central", channelPeer: String = "site",
                     lastCounter: UInt64 = 0) {
            tests.append([
                "id": nextID, "comment": comment, "result": "invalid", "receiver": receiver, "channelPeer": channelPeer,
                "lastCounter": lastCounter, "envelope": Hex.encode(envelope), "code": code.rawValue,
            ])
            nextID += 1
        }

        // Valid messages.
        var rng = SeededRandom(seed: 2024)
        var replica = Fixtures.replica(Fixtures.siteID)
        let changeSets = Fixtures.registrations(12, on: &replica, rng: &rng)
        let vector = VersionVector([Fixtures.siteID: 108, Fixtures.otherID: 3])
        let revocations = RevocationList.sign(
            issuer: Fixtures.central, version: 1,
            entries: [.init(replicaID: Fixtures.otherID, serial: 3, revokedAt: "2023-11-14T00:00:00Z", reason: "laptop stolen")])
        valid("hello, site to central", .hello(Hello(protocolVersion: 1, schemaFingerprint: Schema.fingerprint, role: "site",
              siteID: "NL-TA-01", state: "NL", wallClockMilliseconds: Fixtures.now, vector: vector)), from: "site", to: "central", counter: 1)
        valid("welcome with a revocation list, central to site", .welcome(Welcome(protocolVersion: 1, schemaFingerprint: Schema.fingerprint,
              wallClockMilliseconds: Fixtures.now + 250, vector: VersionVector([Fixtures.siteID: 27]), revocations: revocations)),
              from: "central", to: "site", counter: 1)
        valid("welcome without revocations", .welcome(Welcome(protocolVersion: 1, schemaFingerprint: Schema.fingerprint,
              wallClockMilliseconds: Fixtures.now, vector: VersionVector())), from: "central", to: "site", counter: 2, lastCounter: 1)
        valid("batch of 12 registrations, deflated", .batch(Batch(changeSets: changeSets, through: VersionVector([Fixtures.siteID: 108]))),
              from: "site", to: "central", counter: 2, lastCounter: 1)
        valid("small batch (one change set, not deflated) with a skip",
              .batch(Batch(changeSets: [changeSets[0].redacted], skips: [SkipRange(origin: Fixtures.otherID, firstSeq: 1, lastSeq: 3)],
                           through: VersionVector([Fixtures.siteID: 9, Fixtures.otherID: 3]))),
              from: "central", to: "site", counter: 3, lastCounter: 2)
        valid("empty batch: end of download", .batch(Batch()), from: "central", to: "site", counter: 4, lastCounter: 3)
        valid("ack", .ack(Ack(vector: vector)), from: "central", to: "site", counter: 5, lastCounter: 4)
        valid("pull", .pull(Pull(vector: vector, maxBytes: 262_144)), from: "site", to: "central", counter: 3, lastCounter: 2)
        valid("reject busy with retry-after", .reject(Rejection(code: .busy, detail: "server busy", retryAfterSeconds: 60)),
              from: "central", to: "site", counter: 6, lastCounter: 5)
        valid("reject schema_mismatch", .reject(Rejection(code: .schemaMismatch, detail: "client schema 0000000000000001")),
              from: "central", to: "site", counter: 7, lastCounter: 6)
        valid("receipt with data", .receipt(Receipt(vector: vector, batch: Batch(changeSets: Array(changeSets.prefix(2))))),
              from: "central", to: "site", counter: 8, lastCounter: 7)
        valid("receipt without data", .receipt(Receipt(vector: vector)), from: "central", to: "site", counter: 9, lastCounter: 8)
        valid("a counter far above the last one is fine (gaps in counters are allowed)", .ack(Ack(vector: VersionVector())),
              from: "central", to: "site", counter: 1_000_000, lastCounter: 9)

        // Invalid envelopes, all opened by the central node on its channel with the site.
        let base = seal(.pull(Pull(vector: vector, maxBytes: 65_536)), from: "site", to: "central", counter: 5, id: 99)
        invalid("empty input", [], code: .truncated)
        invalid("truncated inside the header", Array(base.prefix(30)), code: .truncated)
        invalid("truncated inside the signature", Array(base.dropLast(1)), code: .truncated)
        invalid("truncated inside the ciphertext", Array(base.prefix(90)), code: .truncated)
        var bytes = base; bytes[0] = UInt8(ascii: "R") ^ 0x20
        invalid("bad magic", bytes, code: .badMagic)
        bytes = base; bytes[4] = 2
        invalid("unsupported version 2", bytes, code: .unsupportedVersion)
        bytes = base; bytes[5] = 9
        invalid("unknown message type 9", bytes, code: .unknownType)
        bytes = base; bytes[6] = 0x02
        invalid("unknown flag bit", bytes, code: .malformed)
        bytes = base; bytes.replaceSubrange(48..<52, with: [0x00, 0x80, 0x00, 0x00])
        invalid("length field of 8 MiB: oversize", bytes, code: .oversize)
        invalid("trailing byte after the signature", base + [0], code: .malformed)
        invalid("misaddressed: sealed by the site for another node",
                seal(.pull(Pull(vector: vector, maxBytes: 1)), from: "site", to: "other", counter: 1, id: 98), code: .misaddressed)
        invalid("unknown sender: another node writes to the central node on the site's channel",
                seal(.pull(Pull(vector: vector, maxBytes: 1)), from: "other", to: "central", counter: 1, id: 97), code: .unknownSender)
        bytes = base; bytes[44] ^= 0x01
        invalid("counter changed in the header", bytes, code: .badSignature)
        bytes = base; bytes[80] ^= 0x40
        invalid("ciphertext bit flipped", bytes, code: .badSignature)
        bytes = base; bytes[60] ^= 0x01
        invalid("nonce bit flipped", bytes, code: .badSignature)
        bytes = base; bytes[bytes.count - 1] ^= 0x80
        invalid("signature bit flipped", bytes, code: .badSignature)
        let impostor = try Channel(
            local: LocalNode(replicaID: Fixtures.siteID, signing: Fixtures.site.signing, keyExchange: Fixtures.other.keyExchange),
            peer: Fixtures.central.peer, localIsClient: true)
        invalid("signed by the site but sealed under another key-exchange key: tampered",
                impostor.sealRaw(type: .ack, flags: 0, payload: [0], counter: 1, nonce: nonce(96)), code: .tampered)
        invalid("replayed: counter 5 when 5 was already accepted", base, code: .replayed, lastCounter: 5)
        invalid("replayed: counter 5 when 7 was already accepted", base, code: .replayed, lastCounter: 7)
        let bomb = Deflate.compress([UInt8](repeating: 0, count: Envelope.maxPayloadBytes + 1))
        invalid("decompression bomb: 16 MiB + 1 of zeros",
                Self.channel("site", "central").sealRaw(type: .batch, flags: Envelope.compressedFlag, payload: bomb, counter: 1, nonce: nonce(95)),
                code: .oversize)
        invalid("authentic envelope, payload does not decode as a pull",
                Self.channel("site", "central").sealRaw(type: .pull, flags: 0, payload: [0x05], counter: 1, nonce: nonce(94)), code: .malformed)

        var nodes: [String: [String: String]] = [:]
        for (name, node) in Self.nodes {
            nodes[name] = [
                "replicaID": node.replicaID.description,
                "signingSeed": node.signing.seed.withUnsafeBytes { Hex.encode(Array($0)) },
                "keyExchangeSeed": node.keyExchange.seed.withUnsafeBytes { Hex.encode(Array($0)) },
                "signingPublicKey": Hex.encode(node.signing.publicKey.rawRepresentation),
                "keyExchangePublicKey": Hex.encode(node.keyExchange.publicKey.rawRepresentation),
            ]
        }
        let root: [String: Any] = [
            "description": "RegistrySync envelope vectors, protocol version 1 (Protocol/sync-protocol.md). Keys come from fixed seeds; "
                + "the site is the crypto_kx client, the central node the server. Valid vectors use a fixed nonce (24 bytes of the vector id) "
                + "so they are reproducible; real envelopes use random nonces. Each vector is opened by `receiver` on its channel with `channelPeer`, "
                + "given the last accepted counter `lastCounter`.",
            "schemaFingerprint": String(Schema.fingerprint, radix: 16),
            "nodes": nodes,
            "tests": tests,
        ]
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        try data.write(to: Self.file)
        print("wrote \(tests.count) vectors to \(Self.file.path)")
    }

    // MARK: A readable rendering of messages (compared by the loading test)

    static func describe(_ vector: VersionVector) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: vector.counters.map { ($0.key.description, Int($0.value)) })
    }

    static func describe(_ batch: Batch) -> [String: Any] {
        [
            "changeSets": batch.changeSets.map { changeSet -> [String: Any] in
                [
                    "origin": changeSet.origin.description, "firstSeq": Int(changeSet.firstSeq), "lastSeq": Int(changeSet.lastSeq),
                    "hlc": String(changeSet.hlc.rawValue), "entity": Int(changeSet.entity.rawValue), "record": changeSet.record.description,
                    "body": Hex.encode(ChangeSetCodec.encodeBody(changeSet.content, origin: changeSet.origin)),
                ]
            },
            "skips": batch.skips.map { ["origin": $0.origin.description, "firstSeq": Int($0.firstSeq), "lastSeq": Int($0.lastSeq)] },
            "through": describe(batch.through),
        ]
    }

    static func describe(_ message: Message) -> [String: Any] {
        switch message {
        case .hello(let hello):
            return [
                "protocolVersion": Int(hello.protocolVersion), "schemaFingerprint": String(hello.schemaFingerprint, radix: 16),
                "role": hello.role, "siteID": hello.siteID, "state": hello.state,
                "wallClockMilliseconds": Int(hello.wallClockMilliseconds), "vector": describe(hello.vector),
            ]
        case .welcome(let welcome):
            var out: [String: Any] = [
                "protocolVersion": Int(welcome.protocolVersion), "schemaFingerprint": String(welcome.schemaFingerprint, radix: 16),
                "wallClockMilliseconds": Int(welcome.wallClockMilliseconds), "vector": describe(welcome.vector),
            ]
            if let list = welcome.revocations {
                out["revocations"] = [
                    "issuer": list.issuer.description, "version": Int(list.version), "signature": Hex.encode(list.signature),
                    "entries": list.entries.map {
                        ["replicaID": $0.replicaID.description, "serial": Int($0.serial), "revokedAt": $0.revokedAt, "reason": $0.reason]
                    },
                ]
            }
            return out
        case .batch(let batch): return describe(batch)
        case .ack(let ack): return ["vector": describe(ack.vector)]
        case .pull(let pull): return ["vector": describe(pull.vector), "maxBytes": Int(pull.maxBytes)]
        case .reject(let rejection):
            var out: [String: Any] = ["code": rejection.code.rawValue, "detail": rejection.detail]
            if let retry = rejection.retryAfterSeconds { out["retryAfterSeconds"] = Int(retry) }
            return out
        case .receipt(let receipt):
            var out: [String: Any] = ["vector": describe(receipt.vector)]
            if let batch = receipt.batch { out["batch"] = describe(batch) }
            return out
        }
    }
}

extension MessageType {
    var name: String { String(describing: self) }
}
