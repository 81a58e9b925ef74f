public import RegistryCore
public import RegistryCrypto

/// This node: its replica id and its two long-term secret keys.
public struct LocalNode: Sendable {
    public let replicaID: ReplicaID
    /// Ed25519: signs every envelope this node sends, and certificates / revocation lists when central.
    public let signing: SigningKey
    /// X25519 (`crypto_kx`): derives the AEAD keys shared with each peer.
    public let keyExchange: KeyExchangeKey

    public init(replicaID: ReplicaID, signing: SigningKey, keyExchange: KeyExchangeKey) {
        self.replicaID = replicaID
        self.signing = signing
        self.keyExchange = keyExchange
    }

    /// The public half, as peers know this node.
    public var peer: PeerNode {
        PeerNode(replicaID: replicaID, signing: signing.publicKey, keyExchange: keyExchange.publicKey)
    }
}

/// Another node as this one knows it: its replica id and public keys (from its certificate, or its
/// enrolment request on the central node).
///
/// JSON: `{"replicaID": "<uuid>", "signing": "<hex>", "keyExchange": "<hex>"}`.
public struct PeerNode: Sendable, Hashable, Codable {
    public let replicaID: ReplicaID
    public let signing: SigningPublicKey
    public let keyExchange: KeyExchangePublicKey

    public init(replicaID: ReplicaID, signing: SigningPublicKey, keyExchange: KeyExchangePublicKey) {
        self.replicaID = replicaID
        self.signing = signing
        self.keyExchange = keyExchange
    }

    private enum CodingKeys: String, CodingKey { case replicaID, signing, keyExchange }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        replicaID = try decodeReplicaID(container, .replicaID)
        signing = try container.decode(SigningPublicKey.self, forKey: .signing)
        keyExchange = try container.decode(KeyExchangePublicKey.self, forKey: .keyExchange)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(replicaID.description, forKey: .replicaID)
        try container.encode(signing, forKey: .signing)
        try container.encode(keyExchange, forKey: .keyExchange)
    }

    /// `id 16 ‖ signing 32 ‖ key exchange 32`: how a node appears inside signed structures.
    func write(to writer: inout ByteWriter) {
        writer.identifier(replicaID)
        writer.raw(signing.rawRepresentation)
        writer.raw(keyExchange.rawRepresentation)
    }
}

func decodeReplicaID<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> ReplicaID {
    let text = try container.decode(String.self, forKey: key)
    guard let id = ReplicaID(text) else {
        throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a replica id")
    }
    return id
}

/// Constants of the envelope format, version 1 (normative layout: `Protocol/sync-protocol.md`).
///
/// ```
/// offset 0    4        5      6      7         8        24          40        48        52      76         76+n      140+n
///        | "RSYN" | version | type | flags | reserved | sender 16 | recipient 16 | counter | length | nonce 24 | ciphertext n | signature 64 |
/// ```
public enum Envelope {
    public static let magic: [UInt8] = Array("RSYN".utf8)
    /// The envelope format this build writes and the only one it reads.
    public static let version: UInt8 = 1
    /// Header flag bit 0: the payload was raw-deflated before sealing.
    public static let compressedFlag: UInt8 = 0x01
    public static let nonceByteCount = 24
    public static let tagByteCount = 16
    public static let signatureByteCount = 64
    /// Header + nonce + tag + signature: what an envelope adds to its (compressed) payload.
    public static let overhead = EnvelopeHeader.byteCount + nonceByteCount + tagByteCount + signatureByteCount
    /// A whole envelope is at most 8 MiB.
    public static let maxEnvelopeBytes = 8 * 1024 * 1024
    /// A payload inflates to at most 16 MiB; more is a zip bomb.
    public static let maxPayloadBytes = 16 * 1024 * 1024
    /// Payloads longer than this are deflated (when that makes them smaller).
    public static let compressionThreshold = 256
}

/// The clear-text header of an envelope. It is the AEAD's additional data and covered by the
/// signature, so none of it can be changed in transit; it is in clear so that a receiver learns
/// the sender (to pick keys) and can refuse misaddressed, oversized or unknown envelopes before
/// any cryptography.
public struct EnvelopeHeader: Sendable, Equatable {
    /// 4 + 1 + 1 + 1 + 1 + 16 + 16 + 8 + 4 = 52 bytes.
    public static let byteCount = 52

    public let version: UInt8
    public let type: MessageType
    /// Bit 0: payload deflated. Other bits must be zero.
    public let flags: UInt8
    public let sender: ReplicaID
    public let recipient: ReplicaID
    /// Strictly increasing per (sender → recipient); the receiver refuses one at or below the last it accepted.
    public let counter: UInt64
    /// Ciphertext length, including the 16-byte AEAD tag.
    public let length: Int

    public init(
        version: UInt8 = Envelope.version, type: MessageType, flags: UInt8, sender: ReplicaID, recipient: ReplicaID,
        counter: UInt64, length: Int
    ) {
        self.version = version
        self.type = type
        self.flags = flags
        self.sender = sender
        self.recipient = recipient
        self.counter = counter
        self.length = length
    }

    public var isCompressed: Bool { flags & Envelope.compressedFlag != 0 }

    /// Size of the whole envelope this header announces.
    public var envelopeByteCount: Int {
        EnvelopeHeader.byteCount + Envelope.nonceByteCount + length + Envelope.signatureByteCount
    }

    /// The 52 header bytes.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: EnvelopeHeader.byteCount)
        writer.raw(Envelope.magic)
        writer.byte(version)
        writer.byte(type.rawValue)
        writer.byte(flags)
        writer.byte(0)
        writer.identifier(sender)
        writer.identifier(recipient)
        writer.fixed64(counter)
        let length = UInt32(clamping: length)
        for shift in [24, 16, 8, 0] { writer.byte(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        return writer.bytes
    }

    /// Reads the header of a whole envelope (not just its first 52 bytes: the length is checked
    /// against the actual size), without any cryptography: to learn the sender before choosing keys.
    ///
    /// Checks, in order: total size ≤ 8 MiB (`oversize`), at least a header (`truncated`), magic
    /// (`bad_magic`), version (`unsupported_version`), type (`unknown_type`), flags and reserved byte
    /// (`malformed`), the length field against the limit (`oversize`) and the actual size (`truncated`
    /// if shorter, `malformed` if longer).
    public static func parse(_ bytes: [UInt8]) throws(ProtocolError) -> EnvelopeHeader {
        guard bytes.count <= Envelope.maxEnvelopeBytes else {
            throw ProtocolError(.oversize, "envelope of \(bytes.count) bytes exceeds \(Envelope.maxEnvelopeBytes)")
        }
        guard bytes.count >= byteCount else {
            throw ProtocolError(.truncated, "envelope of \(bytes.count) bytes is shorter than its header")
        }
        guard Array(bytes[0..<4]) == Envelope.magic else { throw ProtocolError(.badMagic, "envelope does not start with RSYN") }
        guard bytes[4] == Envelope.version else { throw ProtocolError(.unsupportedVersion, "envelope version \(bytes[4])") }
        guard let type = MessageType(rawValue: bytes[5]) else { throw ProtocolError(.unknownType, "message type \(bytes[5])") }
        let flags = bytes[6]
        guard flags & ~Envelope.compressedFlag == 0 else { throw ProtocolError(.malformed, "unknown envelope flags \(flags)") }
        guard bytes[7] == 0 else { throw ProtocolError(.malformed, "reserved header byte is not zero") }
        var reader = ByteReader(Array(bytes[8..<byteCount]))
        let sender: ReplicaID, recipient: ReplicaID, counter: UInt64
        do throws(CoreError) {
            sender = try reader.identifier()
            recipient = try reader.identifier()
            counter = try reader.fixed64()
        } catch {
            throw ProtocolError(.truncated, "envelope header")
        }
        let length = Int(bytes[48]) << 24 | Int(bytes[49]) << 16 | Int(bytes[50]) << 8 | Int(bytes[51])
        let header = EnvelopeHeader(
            version: bytes[4], type: type, flags: flags, sender: sender, recipient: recipient, counter: counter, length: length)
        guard header.envelopeByteCount <= Envelope.maxEnvelopeBytes else {
            throw ProtocolError(.oversize, "ciphertext length \(length) exceeds the envelope limit")
        }
        guard length >= Envelope.tagByteCount else { throw ProtocolError(.malformed, "ciphertext length \(length) is shorter than a tag") }
        guard bytes.count >= header.envelopeByteCount else {
            throw ProtocolError(.truncated, "envelope of \(bytes.count) bytes, header announces \(header.envelopeByteCount)")
        }
        guard bytes.count == header.envelopeByteCount else {
            throw ProtocolError(.malformed, "\(bytes.count - header.envelopeByteCount) bytes after the signature")
        }
        return header
    }
}

/// Seals and opens envelopes between this node and one peer.
///
/// Keys: `crypto_kx` session keys between the two nodes' static X25519 keys (the site is the kx
/// *client*, the central node the *server*); a node seals with its `transmit` key and opens with its
/// `receive` key, so each direction has its own key. Nonces are random (24 bytes, XChaCha20), safe for
/// any number of messages under one static key.
///
/// Why sign **and** seal: the AEAD alone (with a shared key) proves only "one of the two of us";
/// the Ed25519 signature proves which node sent it, lets a receiver refuse a forged or damaged
/// envelope before decrypting, and lets a courier or relay holding a bundle be detected if it
/// edits anything. One signature per message (not per change) keeps merges fast.
///
/// The channel keeps no state: the caller persists the last accepted counter per peer (and the
/// next counter to send) — in the same transaction as the data the envelope brought.
public struct Channel: Sendable {
    public let localID: ReplicaID
    public let peer: PeerNode
    public let localIsClient: Bool
    /// When set, envelopes from a revoked sender are refused (`revoked_sender`) before anything else
    /// is checked about them but their address.
    public var revocations: RevocationList?
    private let signing: SigningKey
    private let keys: SessionKeys

    /// - Throws: ``RejectionCode/malformed`` when the peer's key-exchange key is unusable (a
    ///   low-order point), ``RejectionCode/internal`` when `local` and `peer` are the same replica.
    public init(local: LocalNode, peer: PeerNode, localIsClient: Bool) throws(ProtocolError) {
        try self.init(local: local, peer: peer, localIsClient: localIsClient, revocations: nil)
    }

    public init(local: LocalNode, peer: PeerNode, localIsClient: Bool, revocations: RevocationList?) throws(ProtocolError) {
        guard local.replicaID != peer.replicaID else { throw ProtocolError(.internal, "a channel needs two different replicas") }
        do throws(CryptoError) {
            keys = localIsClient
                ? try local.keyExchange.clientSessionKeys(serverPublicKey: peer.keyExchange)
                : try local.keyExchange.serverSessionKeys(clientPublicKey: peer.keyExchange)
        } catch {
            throw ProtocolError(.malformed, "key exchange with \(peer.replicaID) refused: \(error.code.rawValue)")
        }
        localID = local.replicaID
        self.peer = peer
        self.localIsClient = localIsClient
        self.revocations = revocations
        signing = local.signing
    }

    /// Seals `message` for the peer. The payload is deflated when it is longer than 256 bytes and
    /// deflating makes it smaller.
    ///
    /// The caller keeps payloads within the limits (8 MiB envelope, 16 MiB payload; batches are
    /// bounded far below, 256 KiB by default): the receiver refuses larger ones with `oversize`.
    public func seal(_ message: Message, counter: UInt64) -> [UInt8] {
        let payload = message.encodedPayload()
        var flags: UInt8 = 0
        var body = payload
        if payload.count > Envelope.compressionThreshold {
            let deflated = Deflate.compress(payload)
            if deflated.count < payload.count {
                body = deflated
                flags |= Envelope.compressedFlag
            }
        }
        return sealRaw(type: message.type, flags: flags, payload: body, counter: counter, nonce: nil)
    }

    /// Builds an envelope from an already encoded (and possibly compressed) payload. `nonce` is for
    /// reproducible test vectors only; nil draws a random one.
    func sealRaw(type: MessageType, flags: UInt8, payload: [UInt8], counter: UInt64, nonce: [UInt8]?) -> [UInt8] {
        let header = EnvelopeHeader(
            type: type, flags: flags, sender: localID, recipient: peer.replicaID, counter: counter,
            length: payload.count + Envelope.tagByteCount
        ).encoded()
        let sealed: [UInt8]
        if let nonce {
            sealed = try! AEAD.seal(payload, key: keys.transmit, nonce: nonce, additionalData: header)
        } else {
            sealed = AEAD.seal(payload, key: keys.transmit, additionalData: header)
        }
        var envelope = header
        envelope.reserveCapacity(header.count + sealed.count + Envelope.signatureByteCount)
        envelope.append(contentsOf: sealed)
        envelope.append(contentsOf: signing.signature(for: envelope))
        return envelope
    }

    /// Opens an envelope from the peer.
    ///
    /// Checks, in order: everything of ``EnvelopeHeader/parse(_:)`` (size, truncation, magic, version,
    /// type), recipient is this node (`misaddressed`), sender is the peer (`unknown_sender`) and not
    /// revoked (`revoked_sender`), the signature (`bad_signature`), the AEAD (`tampered`), the counter
    /// is above `lastCounter` (`replayed` — checked only once the counter is known to be authentic),
    /// the inflated size (`oversize`), the payload decoding (`malformed`).
    /// - Parameter lastCounter: the last counter accepted from this peer (0 before the first message;
    ///   counters start at 1).
    public func open(_ envelope: [UInt8], lastCounter: UInt64) throws(ProtocolError) -> (message: Message, counter: UInt64) {
        let header = try EnvelopeHeader.parse(envelope)
        guard header.recipient == localID else {
            throw ProtocolError(.misaddressed, "envelope for \(header.recipient), this node is \(localID)")
        }
        guard header.sender == peer.replicaID else {
            throw ProtocolError(.unknownSender, "envelope from \(header.sender), this channel is with \(peer.replicaID)")
        }
        if let revocations, revocations.isRevoked(header.sender) {
            throw ProtocolError(.revokedSender, "sender \(header.sender) is revoked")
        }
        let signatureStart = envelope.count - Envelope.signatureByteCount
        let signed = Array(envelope[0..<signatureStart])
        guard peer.signing.isValidSignature(Array(envelope[signatureStart...]), for: signed) else {
            throw ProtocolError(.badSignature, "envelope \(header.counter) from \(header.sender)")
        }
        let headerBytes = Array(envelope[0..<EnvelopeHeader.byteCount])
        let box = Array(envelope[EnvelopeHeader.byteCount..<signatureStart])
        let body: [UInt8]
        do throws(CryptoError) {
            body = try AEAD.open(box, key: keys.receive, additionalData: headerBytes)
        } catch {
            throw ProtocolError(.tampered, "envelope \(header.counter) from \(header.sender) does not open")
        }
        guard header.counter > lastCounter else {
            throw ProtocolError(.replayed, "counter \(header.counter) <= last accepted \(lastCounter) from \(header.sender)")
        }
        let payload: [UInt8]
        do {
            payload = header.isCompressed ? try Deflate.decompress(body, limit: Envelope.maxPayloadBytes) : body
        } catch {
            throw ProtocolError(error, in: "payload")
        }
        return (try Message.decode(type: header.type, payload: payload), header.counter)
    }
}
