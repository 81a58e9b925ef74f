import RegistryCore
import RegistryCrypto
@testable import RegistryProtocol
import RegistryTestSupport

/// Deterministic nodes and data for the protocol tests and vectors.
///
/// Seeds (documented in `Protocol/vectors/protocol/README.md`): the site's Ed25519 seed is 32 bytes
/// of 0x01 and its X25519 seed 32 bytes of 0x11; the central node's are 0x02 and 0x12; a third node
/// ("other") 0x03 and 0x13. Replica ids are fixed below.
enum Fixtures {
    static let siteID = ReplicaID("5a1e0000-0000-4000-8000-000000000001")!
    static let centralID = ReplicaID("ce0700a1-0000-4000-8000-000000000002")!
    static let otherID = ReplicaID("07e40000-0000-4000-8000-000000000003")!

    static func node(_ id: ReplicaID, signingByte: UInt8, kxByte: UInt8) -> LocalNode {
        LocalNode(
            replicaID: id,
            signing: try! SigningKey(seed: SecureBytes([UInt8](repeating: signingByte, count: 32))),
            keyExchange: try! KeyExchangeKey(seed: SecureBytes([UInt8](repeating: kxByte, count: 32))))
    }

    static let site = node(siteID, signingByte: 0x01, kxByte: 0x11)
    static let central = node(centralID, signingByte: 0x02, kxByte: 0x12)
    static let other = node(otherID, signingByte: 0x03, kxByte: 0x13)

    /// Site → central and central → site channels.
    static let siteChannel = try! Channel(local: site, peer: central.peer, localIsClient: true)
    static let centralChannel = try! Channel(local: central, peer: site.peer, localIsClient: false)

    static let now: UInt64 = 1_700_000_000_000

    static let givenNames = ["Olena", "Oleksandr", "Iryna", "Mykola", "Tetiana", "Andrii", "Nataliia", "Serhii", "Yuliia", "Dmytro"]
    static let familyNames = ["Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Oliinyk", "Melnyk", "Boiko"]

    /// `count` registrations written by `replica`, each one change set of several fields.
    static func registrations(_ count: Int, on replica: inout InMemoryReplica, rng: inout SeededRandom, wall: UInt64 = now) -> [ChangeSet] {
        (0..<count).map { index in
            let record = RecordID.v7(unixMilliseconds: wall + UInt64(index) * 60_000, using: &rng)
            let given = givenNames[Int(rng.next() % UInt64(givenNames.count))]
            let family = familyNames[Int(rng.next() % UInt64(familyNames.count))]
            let year = 1950 + Int(rng.next() % 70)
            let changes: [FieldChange] = [
                FieldChange(Build.field("record_id"), .assign(.text("NL-TA-01-\(100_000 + index)"), supersedes: [])),
                FieldChange(Build.field("site_id"), .assign(.text("NL-TA-01"), supersedes: [])),
                FieldChange(Build.field("given_name"), .assign(.text(given), supersedes: [])),
                FieldChange(Build.field("family_name"), .assign(.text(family), supersedes: [])),
                FieldChange(Build.field("birth_date"), .assign(.text("\(year)-0\(1 + rng.next() % 9)-1\(rng.next() % 9)"), supersedes: [])),
                FieldChange(Build.field("sex"), .assign(.text(rng.next() % 2 == 0 ? "F" : "M"), supersedes: [])),
                FieldChange(Build.field("nationality"), .assign(.text("UKR"), supersedes: [])),
                FieldChange(Build.field("documents"), .add(.object(["type": "passport", "number": "FE\(100_000 + rng.next() % 900_000)"]))),
                FieldChange(
                    Build.field("status_events"),
                    .append(.object(["status": "reported", "date": "2024-03-0\(1 + index % 9)", "site": "NL-TA-01", "state": "NL"]))),
            ]
            return replica.write(.registration, record, changes, wall: wall + UInt64(index) * 60_000)
        }
    }

    static func replica(_ id: ReplicaID) -> InMemoryReplica { InMemoryReplica(id: id) }
}
