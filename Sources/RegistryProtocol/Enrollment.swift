public import RegistryCore
public import RegistryCrypto

// Enrolment, certificates and revocation: small signed files carried by hand (no link is needed to
// join). Signatures cover a canonical *binary* encoding with a domain-separation prefix per
// structure, never the JSON: JSON has many spellings of one value (key order, escapes, number
// forms), and a prefix makes a signature over one structure useless as a signature over another.

/// Canonical bytes for signing: `string(domain) ‖ fields…`.
private func canonical(_ domain: String, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
    var writer = ByteWriter(capacity: 256)
    writer.string(domain)
    body(&writer)
    return writer.bytes
}

private func decodeHex<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> [UInt8] {
    guard let bytes = Hex.decode(try container.decode(String.self, forKey: key)) else {
        throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not hex")
    }
    return bytes
}

/// A site asks to join: its identity and public keys, signed with its own signing key as proof
/// that it holds the secret half (proof of possession), so nobody can enrol someone else's key.
///
/// Carried by hand to the central node's operator, who checks the site id and state out of band
/// before issuing a ``Certificate``.
public struct EnrollmentRequest: Codable, Sendable, Equatable {
    public static let domain = "regsync/enroll/v1"

    public let siteID: String
    public let state: String
    public let replicaID: ReplicaID
    public let signing: SigningPublicKey
    public let keyExchange: KeyExchangePublicKey
    /// ISO 8601 UTC, e.g. `2026-03-01T09:30:00Z`.
    public let requestedAt: String
    /// Ed25519 signature by `signing` over ``canonicalBytes``.
    public let proof: [UInt8]

    public init(
        siteID: String, state: String, replicaID: ReplicaID, signing: SigningPublicKey, keyExchange: KeyExchangePublicKey,
        requestedAt: String, proof: [UInt8]
    ) {
        self.siteID = siteID
        self.state = state
        self.replicaID = replicaID
        self.signing = signing
        self.keyExchange = keyExchange
        self.requestedAt = requestedAt
        self.proof = proof
    }

    /// A signed request for `local`. `now` is an ISO 8601 UTC timestamp.
    public static func make(local: LocalNode, siteID: String, state: String, now: String) -> EnrollmentRequest {
        let unsigned = EnrollmentRequest(
            siteID: siteID, state: state, replicaID: local.replicaID, signing: local.signing.publicKey,
            keyExchange: local.keyExchange.publicKey, requestedAt: now, proof: [])
        return EnrollmentRequest(
            siteID: siteID, state: state, replicaID: local.replicaID, signing: local.signing.publicKey,
            keyExchange: local.keyExchange.publicKey, requestedAt: now,
            proof: local.signing.signature(for: unsigned.canonicalBytes))
    }

    /// A signed request for `local`, stamped with `now` in Unix milliseconds.
    public static func make(local: LocalNode, siteID: String, state: String, now: UInt64) -> EnrollmentRequest {
        make(local: local, siteID: siteID, state: state, now: UTCTimestamp.format(milliseconds: now))
    }

    /// The site's public identity as a peer.
    public var peer: PeerNode { PeerNode(replicaID: replicaID, signing: signing, keyExchange: keyExchange) }

    /// `string("regsync/enroll/v1") ‖ string siteID ‖ string state ‖ replica 16 ‖ signing 32 ‖ kx 32 ‖ string requestedAt`.
    public var canonicalBytes: [UInt8] {
        canonical(Self.domain) { writer in
            writer.string(siteID)
            writer.string(state)
            peer.write(to: &writer)
            writer.string(requestedAt)
        }
    }

    /// Checks the proof of possession.
    /// - Throws: ``RejectionCode/badSignature`` if the proof does not verify under `signing`;
    ///   ``RejectionCode/malformed`` if `requestedAt` is not a timestamp.
    public func verify() throws(ProtocolError) {
        guard signing.isValidSignature(proof, for: canonicalBytes) else {
            throw ProtocolError(.badSignature, "enrolment request of \(replicaID): proof does not verify")
        }
        guard UTCTimestamp.parse(requestedAt) != nil else {
            throw ProtocolError(.malformed, "enrolment request of \(replicaID): requestedAt is not an ISO 8601 UTC time")
        }
    }

    private enum CodingKeys: String, CodingKey { case siteID, state, replicaID, signing, keyExchange, requestedAt, proof }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        siteID = try c.decode(String.self, forKey: .siteID)
        state = try c.decode(String.self, forKey: .state)
        replicaID = try decodeReplicaID(c, .replicaID)
        signing = try c.decode(SigningPublicKey.self, forKey: .signing)
        keyExchange = try c.decode(KeyExchangePublicKey.self, forKey: .keyExchange)
        requestedAt = try c.decode(String.self, forKey: .requestedAt)
        proof = try decodeHex(c, .proof)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(siteID, forKey: .siteID)
        try c.encode(state, forKey: .state)
        try c.encode(replicaID.description, forKey: .replicaID)
        try c.encode(signing, forKey: .signing)
        try c.encode(keyExchange, forKey: .keyExchange)
        try c.encode(requestedAt, forKey: .requestedAt)
        try c.encode(Hex.encode(proof), forKey: .proof)
    }
}

/// The central node's signature over a site's identity and keys, with a validity period.
///
/// A site installs its certificate together with the issuer's public identity (both in the same
/// file, carried by hand): on first install it trusts the embedded issuer key
/// (``verify(trusting:at:revocations:)`` with `nil`); afterwards it checks against the issuer it
/// already trusts.
public struct Certificate: Codable, Sendable, Equatable {
    public static let domain = "regsync/cert/v1"

    public let serial: UInt64
    public let subject: PeerNode
    /// `"site"`, `"central"` or `"hub"`.
    public let role: String
    public let siteID: String
    public let state: String
    /// ISO 8601 UTC.
    public let validFrom: String
    /// ISO 8601 UTC.
    public let validUntil: String
    public let issuer: PeerNode
    /// Where the subject reaches its issuer (`https://central.example/`), if it has a link at all.
    public let issuerURL: String?
    /// Ed25519 by `issuer.signing` over ``canonicalBytes``. Hex in JSON.
    public let signature: [UInt8]

    public init(
        serial: UInt64, subject: PeerNode, role: String, siteID: String, state: String, validFrom: String,
        validUntil: String, issuer: PeerNode, issuerURL: String?, signature: [UInt8]
    ) {
        self.serial = serial
        self.subject = subject
        self.role = role
        self.siteID = siteID
        self.state = state
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.issuer = issuer
        self.issuerURL = issuerURL
        self.signature = signature
    }

    /// Issues a certificate for a verified enrolment request.
    /// - Throws: the request's own ``EnrollmentRequest/verify()`` errors; ``RejectionCode/malformed``
    ///   when the validity bounds are not timestamps or end before they start.
    public static func issue(
        for request: EnrollmentRequest, by issuer: LocalNode, serial: UInt64, validFrom: String, validUntil: String,
        issuerURL: String?, role: String = "site"
    ) throws(ProtocolError) -> Certificate {
        try request.verify()
        guard let from = UTCTimestamp.parse(validFrom), let until = UTCTimestamp.parse(validUntil), from <= until else {
            throw ProtocolError(.malformed, "certificate \(serial): validity is not an ordered pair of ISO 8601 UTC times")
        }
        let unsigned = Certificate(
            serial: serial, subject: request.peer, role: role, siteID: request.siteID, state: request.state,
            validFrom: validFrom, validUntil: validUntil, issuer: issuer.peer, issuerURL: issuerURL, signature: [])
        return unsigned.signed(by: issuer.signing)
    }

    /// Same, with the validity given in Unix milliseconds.
    public static func issue(
        for request: EnrollmentRequest, by issuer: LocalNode, serial: UInt64, validFrom: UInt64, validUntil: UInt64,
        issuerURL: String?, role: String = "site"
    ) throws(ProtocolError) -> Certificate {
        try issue(
            for: request, by: issuer, serial: serial, validFrom: UTCTimestamp.format(milliseconds: validFrom),
            validUntil: UTCTimestamp.format(milliseconds: validUntil), issuerURL: issuerURL, role: role)
    }

    func signed(by key: SigningKey) -> Certificate {
        Certificate(
            serial: serial, subject: subject, role: role, siteID: siteID, state: state, validFrom: validFrom,
            validUntil: validUntil, issuer: issuer, issuerURL: issuerURL, signature: key.signature(for: canonicalBytes))
    }

    /// `string("regsync/cert/v1") ‖ serial u64 ‖ subject(id 16 ‖ signing 32 ‖ kx 32) ‖ string role ‖
    /// string siteID ‖ string state ‖ string validFrom ‖ string validUntil ‖ issuer(80) ‖ (0x00 | 0x01 string issuerURL)`.
    public var canonicalBytes: [UInt8] {
        canonical(Self.domain) { writer in
            writer.fixed64(serial)
            subject.write(to: &writer)
            writer.string(role)
            writer.string(siteID)
            writer.string(state)
            writer.string(validFrom)
            writer.string(validUntil)
            issuer.write(to: &writer)
            if let issuerURL {
                writer.byte(1)
                writer.string(issuerURL)
            } else {
                writer.byte(0)
            }
        }
    }

    /// Checks issuer, signature, validity period and revocation.
    /// - Parameters:
    ///   - trusted: the issuer this node trusts; `nil` trusts the embedded issuer (first install:
    ///     the file travelled by hand, so the hand is the trust anchor).
    ///   - nowMilliseconds: the wall clock, Unix ms.
    ///   - revocations: a verified revocation list to consult, if any.
    /// - Throws: ``RejectionCode/unknownSender`` (issued by someone else), ``RejectionCode/badSignature``,
    ///   ``RejectionCode/malformed`` (unreadable validity), ``RejectionCode/certificateExpired``
    ///   (before `validFrom` or after `validUntil`), ``RejectionCode/revokedSender``.
    public func verify(trusting trusted: PeerNode?, at nowMilliseconds: UInt64, revocations: RevocationList? = nil) throws(ProtocolError) {
        if let trusted, trusted.signing != issuer.signing || trusted.replicaID != issuer.replicaID {
            throw ProtocolError(.unknownSender, "certificate \(serial) issued by \(issuer.replicaID), not by the trusted \(trusted.replicaID)")
        }
        guard issuer.signing.isValidSignature(signature, for: canonicalBytes) else {
            throw ProtocolError(.badSignature, "certificate \(serial) of \(subject.replicaID): signature does not verify")
        }
        guard let from = UTCTimestamp.parse(validFrom), let until = UTCTimestamp.parse(validUntil) else {
            throw ProtocolError(.malformed, "certificate \(serial): validity is not ISO 8601 UTC")
        }
        guard nowMilliseconds >= from, nowMilliseconds <= until else {
            throw ProtocolError(.certificateExpired, "certificate \(serial) of \(subject.replicaID) is valid \(validFrom) to \(validUntil)")
        }
        if let revocations, revocations.isRevoked(subject.replicaID) || revocations.isRevoked(serial: serial) {
            throw ProtocolError(.revokedSender, "certificate \(serial) of \(subject.replicaID) is revoked")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case serial, subject, role, siteID, state, validFrom, validUntil, issuer, issuerURL, signature
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serial = try c.decode(UInt64.self, forKey: .serial)
        subject = try c.decode(PeerNode.self, forKey: .subject)
        role = try c.decode(String.self, forKey: .role)
        siteID = try c.decode(String.self, forKey: .siteID)
        state = try c.decode(String.self, forKey: .state)
        validFrom = try c.decode(String.self, forKey: .validFrom)
        validUntil = try c.decode(String.self, forKey: .validUntil)
        issuer = try c.decode(PeerNode.self, forKey: .issuer)
        issuerURL = try c.decodeIfPresent(String.self, forKey: .issuerURL)
        signature = try decodeHex(c, .signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(serial, forKey: .serial)
        try c.encode(subject, forKey: .subject)
        try c.encode(role, forKey: .role)
        try c.encode(siteID, forKey: .siteID)
        try c.encode(state, forKey: .state)
        try c.encode(validFrom, forKey: .validFrom)
        try c.encode(validUntil, forKey: .validUntil)
        try c.encode(issuer, forKey: .issuer)
        try c.encodeIfPresent(issuerURL, forKey: .issuerURL)
        try c.encode(Hex.encode(signature), forKey: .signature)
    }
}

/// The central node's signed list of revoked replicas. It syncs to every node (in ``Welcome``, and
/// as a file); messages from a revoked replica are refused with `revoked_sender`.
///
/// `version` only grows: a node keeps the highest version it has verified and ignores older ones,
/// so a replayed old list cannot un-revoke anyone.
public struct RevocationList: Codable, Sendable, Equatable {
    public static let domain = "regsync/revocations/v1"

    public struct Entry: Codable, Sendable, Hashable {
        public let replicaID: ReplicaID
        /// Serial of the revoked certificate.
        public let serial: UInt64
        /// ISO 8601 UTC: changes the replica made after this are quarantined for review, not applied.
        public let revokedAt: String
        /// Short operator text (`"laptop stolen"`), no personal data.
        public let reason: String

        public init(replicaID: ReplicaID, serial: UInt64, revokedAt: String, reason: String) {
            self.replicaID = replicaID
            self.serial = serial
            self.revokedAt = revokedAt
            self.reason = reason
        }

        private enum CodingKeys: String, CodingKey { case replicaID, serial, revokedAt, reason }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            replicaID = try decodeReplicaID(c, .replicaID)
            serial = try c.decode(UInt64.self, forKey: .serial)
            revokedAt = try c.decode(String.self, forKey: .revokedAt)
            reason = try c.decode(String.self, forKey: .reason)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(replicaID.description, forKey: .replicaID)
            try c.encode(serial, forKey: .serial)
            try c.encode(revokedAt, forKey: .revokedAt)
            try c.encode(reason, forKey: .reason)
        }
    }

    public let issuer: ReplicaID
    public let version: UInt64
    /// Sorted by replica id, then serial (canonical order).
    public let entries: [Entry]
    /// Ed25519 by the issuer over ``canonicalBytes``. Hex in JSON.
    public let signature: [UInt8]

    public init(issuer: ReplicaID, version: UInt64, entries: [Entry], signature: [UInt8]) {
        self.issuer = issuer
        self.version = version
        self.entries = entries
        self.signature = signature
    }

    /// A list signed by `issuer`; entries are put in canonical order.
    public static func sign(issuer: LocalNode, version: UInt64, entries: [Entry]) -> RevocationList {
        let sorted = entries.sorted { ($0.replicaID, $0.serial) < ($1.replicaID, $1.serial) }
        let unsigned = RevocationList(issuer: issuer.replicaID, version: version, entries: sorted, signature: [])
        return RevocationList(
            issuer: issuer.replicaID, version: version, entries: sorted, signature: issuer.signing.signature(for: unsigned.canonicalBytes))
    }

    /// `string("regsync/revocations/v1") ‖ issuer 16 ‖ version u64 ‖ count varint ‖ (replica 16 ‖ serial u64 ‖ string revokedAt ‖ string reason)*`.
    public var canonicalBytes: [UInt8] {
        canonical(Self.domain) { writer in writeBody(to: &writer) }
    }

    private func writeBody(to writer: inout ByteWriter) {
        writer.identifier(issuer)
        writer.fixed64(version)
        writer.varint(UInt64(entries.count))
        for entry in entries {
            writer.identifier(entry.replicaID)
            writer.fixed64(entry.serial)
            writer.string(entry.revokedAt)
            writer.string(entry.reason)
        }
    }

    /// - Throws: ``RejectionCode/badSignature`` unless signed by `issuer`.
    public func verify(issuer key: SigningPublicKey) throws(ProtocolError) {
        guard key.isValidSignature(signature, for: canonicalBytes) else {
            throw ProtocolError(.badSignature, "revocation list \(version) of \(issuer): signature does not verify")
        }
    }

    public func isRevoked(_ replica: ReplicaID) -> Bool { entries.contains { $0.replicaID == replica } }

    public func isRevoked(serial: UInt64) -> Bool { entries.contains { $0.serial == serial } }

    /// The entry for `replica`, with the time after which its changes are quarantined.
    public func entry(for replica: ReplicaID) -> Entry? { entries.first { $0.replicaID == replica } }

    /// Inside a ``Welcome``: the body (without domain) then the 64-byte signature.
    func writeSigned(to writer: inout ByteWriter) {
        writeBody(to: &writer)
        writer.raw(signature)
    }

    static func readSigned(from reader: inout WireReader) throws(ProtocolError) -> RevocationList {
        let issuer = try reader.identifier()
        let version = try reader.fixed64()
        let count = try reader.count(minimumItemBytes: 26)
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            entries.append(
                Entry(
                    replicaID: try reader.identifier(), serial: try reader.fixed64(), revokedAt: try reader.string(maxBytes: 64),
                    reason: try reader.string()))
        }
        return RevocationList(issuer: issuer, version: version, entries: entries, signature: try reader.raw(64))
    }

    private enum CodingKeys: String, CodingKey { case issuer, version, entries, signature }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try decodeReplicaID(c, .issuer)
        version = try c.decode(UInt64.self, forKey: .version)
        entries = try c.decode([Entry].self, forKey: .entries)
        signature = try decodeHex(c, .signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issuer.description, forKey: .issuer)
        try c.encode(version, forKey: .version)
        try c.encode(entries, forKey: .entries)
        try c.encode(Hex.encode(signature), forKey: .signature)
    }
}
