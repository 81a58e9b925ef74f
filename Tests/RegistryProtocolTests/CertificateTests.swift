import Foundation
import RegistryCore
import RegistryCrypto
@testable import RegistryProtocol
import Testing

@Suite("Enrolment, certificates, revocation")
struct CertificateTests {
    static let request = EnrollmentRequest.make(local: Fixtures.site, siteID: "NL-TA-01", state: "NL", now: Fixtures.now)
    static let certificate = try! Certificate.issue(
        for: request, by: Fixtures.central, serial: 7, validFrom: "2023-11-01T00:00:00Z", validUntil: "2024-11-01T00:00:00Z",
        issuerURL: "https://central.nl.example/")

    /// The code a throwing call fails with, nil when it succeeds.
    static func code(_ body: () throws -> Void) -> RejectionCode? {
        do {
            try body()
            return nil
        } catch let error as ProtocolError {
            return error.code
        } catch {
            Issue.record("not a ProtocolError: \(error)")
            return nil
        }
    }

    @Test("an enrolment request proves possession of the signing key")
    func requestProof() throws {
        try Self.request.verify()
        #expect(Self.request.requestedAt == "2023-11-14T22:13:20Z")
        #expect(Self.request.peer == Fixtures.site.peer)
        // Someone else's keys with the site's id: the proof does not verify.
        let forged = EnrollmentRequest(
            siteID: "NL-TA-01", state: "NL", replicaID: Fixtures.siteID, signing: Fixtures.other.signing.publicKey,
            keyExchange: Fixtures.site.keyExchange.publicKey, requestedAt: Self.request.requestedAt, proof: Self.request.proof)
        #expect(Self.code { try forged.verify() } == .badSignature)
        // Any edited field breaks the proof.
        let edited = EnrollmentRequest(
            siteID: "NL-TA-02", state: "NL", replicaID: Fixtures.siteID, signing: Fixtures.site.signing.publicKey,
            keyExchange: Fixtures.site.keyExchange.publicKey, requestedAt: Self.request.requestedAt, proof: Self.request.proof)
        #expect(Self.code { try edited.verify() } == .badSignature)
        // A central node does not issue for a forged request.
        #expect(Self.code {
            _ = try Certificate.issue(for: forged, by: Fixtures.central, serial: 1, validFrom: "2023-11-01T00:00:00Z",
                                      validUntil: "2024-11-01T00:00:00Z", issuerURL: nil)
        } == .badSignature)
    }

    @Test("issue and verify, with the trusted issuer or on first install")
    func issueVerify() throws {
        let cert = Self.certificate
        #expect(cert.subject == Fixtures.site.peer)
        #expect(cert.issuer == Fixtures.central.peer)
        #expect(cert.role == "site" && cert.siteID == "NL-TA-01" && cert.state == "NL")
        try cert.verify(trusting: Fixtures.central.peer, at: Fixtures.now)
        try cert.verify(trusting: nil, at: Fixtures.now)
    }

    @Test("expired, not yet valid, wrong issuer, revoked")
    func refusals() {
        let cert = Self.certificate
        #expect(Self.code { try cert.verify(trusting: Fixtures.central.peer, at: UTCTimestamp.parse("2024-11-01T00:00:01Z")!) } == .certificateExpired)
        #expect(Self.code { try cert.verify(trusting: Fixtures.central.peer, at: UTCTimestamp.parse("2023-10-31T23:59:59Z")!) } == .certificateExpired)
        #expect(Self.code { try cert.verify(trusting: Fixtures.other.peer, at: Fixtures.now) } == .unknownSender)
        // A certificate "issued" by another node that embeds itself as issuer verifies only on first install.
        let selfIssued = try! Certificate.issue(
            for: Self.request, by: Fixtures.other, serial: 1, validFrom: "2023-11-01T00:00:00Z", validUntil: "2024-11-01T00:00:00Z", issuerURL: nil)
        #expect(Self.code { try selfIssued.verify(trusting: Fixtures.central.peer, at: Fixtures.now) } == .unknownSender)
        let revocations = RevocationList.sign(
            issuer: Fixtures.central, version: 2,
            entries: [.init(replicaID: Fixtures.siteID, serial: 7, revokedAt: "2023-11-10T00:00:00Z", reason: "laptop stolen")])
        #expect(Self.code { try cert.verify(trusting: Fixtures.central.peer, at: Fixtures.now, revocations: revocations) } == .revokedSender)
    }

    @Test("a tampered field or signature breaks the certificate")
    func tamperedFields() {
        let c = Self.certificate
        func with(
            serial: UInt64? = nil, subject: PeerNode? = nil, role: String? = nil, siteID: String? = nil, state: String? = nil,
            validUntil: String? = nil, issuerURL: String?? = nil, signature: [UInt8]? = nil
        ) -> Certificate {
            Certificate(
                serial: serial ?? c.serial, subject: subject ?? c.subject, role: role ?? c.role, siteID: siteID ?? c.siteID,
                state: state ?? c.state, validFrom: c.validFrom, validUntil: validUntil ?? c.validUntil, issuer: c.issuer,
                issuerURL: issuerURL ?? c.issuerURL, signature: signature ?? c.signature)
        }
        var flipped = c.signature
        flipped[10] ^= 1
        let variants = [
            with(serial: 8), with(subject: Fixtures.other.peer), with(role: "central"), with(siteID: "NL-TA-99"), with(state: "DE"),
            with(validUntil: "2099-01-01T00:00:00Z"), with(issuerURL: .some(nil)), with(issuerURL: "https://evil.example/"),
            with(signature: flipped), with(signature: []),
        ]
        for variant in variants {
            #expect(Self.code { try variant.verify(trusting: nil, at: Fixtures.now) } == .badSignature)
        }
    }

    @Test("invalid validity bounds are refused at issue")
    func badValidity() {
        #expect(Self.code {
            _ = try Certificate.issue(for: Self.request, by: Fixtures.central, serial: 1, validFrom: "2024-01-01T00:00:00Z",
                                      validUntil: "2023-01-01T00:00:00Z", issuerURL: nil)
        } == .malformed)
        #expect(Self.code {
            _ = try Certificate.issue(for: Self.request, by: Fixtures.central, serial: 1, validFrom: "yesterday",
                                      validUntil: "2023-01-01T00:00:00Z", issuerURL: nil)
        } == .malformed)
    }

    @Test("revocation lists: sign, verify, tamper, lookup, and inside a welcome")
    func revocationList() throws {
        let entries: [RevocationList.Entry] = [
            .init(replicaID: Fixtures.otherID, serial: 9, revokedAt: "2026-01-02T03:04:05Z", reason: "laptop stolen"),
            .init(replicaID: Fixtures.siteID, serial: 7, revokedAt: "2026-01-03T00:00:00Z", reason: "site closed"),
        ]
        let list = RevocationList.sign(issuer: Fixtures.central, version: 4, entries: entries)
        try list.verify(issuer: Fixtures.central.signing.publicKey)
        #expect(Self.code { try list.verify(issuer: Fixtures.other.signing.publicKey) } == .badSignature)
        #expect(list.isRevoked(Fixtures.otherID) && list.isRevoked(Fixtures.siteID) && !list.isRevoked(Fixtures.centralID))
        #expect(list.isRevoked(serial: 9) && !list.isRevoked(serial: 8))
        #expect(list.entries.map(\.replicaID) == [Fixtures.otherID, Fixtures.siteID].sorted())
        // Tampering: drop an entry, bump the version, edit a reason.
        let dropped = RevocationList(issuer: list.issuer, version: list.version, entries: [list.entries[0]], signature: list.signature)
        let bumped = RevocationList(issuer: list.issuer, version: 5, entries: list.entries, signature: list.signature)
        let edited = RevocationList(
            issuer: list.issuer, version: list.version,
            entries: [list.entries[0], .init(replicaID: list.entries[1].replicaID, serial: list.entries[1].serial,
                                             revokedAt: list.entries[1].revokedAt, reason: "x")], signature: list.signature)
        for tampered in [dropped, bumped, edited] {
            #expect(Self.code { try tampered.verify(issuer: Fixtures.central.signing.publicKey) } == .badSignature)
        }
        // The binary form inside a welcome keeps the signature valid.
        let welcome = Message.welcome(Welcome(protocolVersion: 1, schemaFingerprint: 1, wallClockMilliseconds: 2, vector: VersionVector(), revocations: list))
        guard case .welcome(let decoded) = try Message.decode(type: .welcome, payload: welcome.encodedPayload()) else { Issue.record(); return }
        try decoded.revocations?.verify(issuer: Fixtures.central.signing.publicKey)
        #expect(decoded.revocations == list)
    }

    @Test("domains separate the structures: a signature over one is no signature over another")
    func domains() {
        #expect(Set([EnrollmentRequest.domain, Certificate.domain, RevocationList.domain]).count == 3)
        #expect(Self.request.canonicalBytes.starts(with: [UInt8(EnrollmentRequest.domain.utf8.count)] + Array(EnrollmentRequest.domain.utf8)))
        #expect(Self.certificate.canonicalBytes.starts(with: [UInt8(Certificate.domain.utf8.count)] + Array(Certificate.domain.utf8)))
    }

    @Test("JSON file wrappers round-trip; keys are hex, ids are UUID strings; signatures survive")
    func json() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let decoder = JSONDecoder()
        let requestJSON = try encoder.encode(Self.request)
        #expect(try decoder.decode(EnrollmentRequest.self, from: requestJSON) == Self.request)
        let certJSON = try encoder.encode(Self.certificate)
        let text = String(decoding: certJSON, as: UTF8.self)
        #expect(text.contains("\"replicaID\" : \"5a1e0000-0000-4000-8000-000000000001\""))
        #expect(text.contains("\"signature\" : \"\(Hex.encode(Self.certificate.signature))\""))
        let decoded = try decoder.decode(Certificate.self, from: certJSON)
        #expect(decoded == Self.certificate)
        try decoded.verify(trusting: Fixtures.central.peer, at: Fixtures.now)
        let list = RevocationList.sign(issuer: Fixtures.central, version: 1, entries: [.init(replicaID: Fixtures.otherID, serial: 1, revokedAt: "2026-01-01T00:00:00Z", reason: "r")])
        #expect(try decoder.decode(RevocationList.self, from: encoder.encode(list)) == list)
        let peerJSON = try encoder.encode(Fixtures.site.peer)
        #expect(try decoder.decode(PeerNode.self, from: peerJSON) == Fixtures.site.peer)
        #expect(throws: (any Error).self) { _ = try decoder.decode(PeerNode.self, from: Data(#"{"replicaID":"nope","signing":"00","keyExchange":"00"}"#.utf8)) }
    }

    @Test("UTC timestamps: format and parse agree, and odd inputs are refused")
    func timestamps() {
        #expect(UTCTimestamp.format(milliseconds: 0) == "1970-01-01T00:00:00Z")
        #expect(UTCTimestamp.format(milliseconds: 1_700_000_000_000) == "2023-11-14T22:13:20Z")
        #expect(UTCTimestamp.format(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00Z")
        #expect(UTCTimestamp.parse("2000-02-29T00:00:00Z") == 951_782_400_000)
        #expect(UTCTimestamp.parse("2023-11-14T22:13:20.5Z") == 1_700_000_000_500)
        #expect(UTCTimestamp.parse("2023-11-14T22:13:20+00:00") == 1_700_000_000_000)
        for bad in ["", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-11-14 22:13:20Z", "2023-11-14T22:13:20", "1969-12-31T23:59:59Z", "2023-11-14T22:13:20.Z"] {
            #expect(UTCTimestamp.parse(bad) == nil, "\(bad)")
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let ms = UInt64.random(in: 0..<4_102_444_800_000, using: &rng) / 1000 * 1000
            #expect(UTCTimestamp.parse(UTCTimestamp.format(milliseconds: ms)) == ms)
        }
    }
}
