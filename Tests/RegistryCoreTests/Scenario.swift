import RegistryCore
import RegistryTestSupport

/// Random, schema-valid edits made by replicas that each act on what they have seen.
struct Scenario {
    static let givenName = Schema.registration["given_name"]!.id
    static let phone = Schema.registration["phone"]!.id
    static let documents = Schema.registration["documents"]!.id
    static let events = Schema.registration["status_events"]!.id
    static let records: [RecordID] = (1...3).map { RecordID(high: 0x0190_0000_0000_7000 | UInt64($0), low: 0x8000_0000_0000_0000 | UInt64($0)) }

    /// One random local edit at `replica`; erasures are rare so most runs keep data to compare.
    static func randomEdit(_ replica: inout InMemoryReplica, wall: UInt64, rng: inout SeededRandom, allowErase: Bool = true) -> ChangeSet {
        let record = records.randomElement(using: &rng)!
        let names = ["Oleksandr", "Olexandr", "Aleksandr", "Олександр"]
        if allowErase, rng.next() % 40 == 0 { return replica.erase(.registration, record, wall: wall) }
        var changes: [FieldChange] = []
        for _ in 0...(rng.next() % 3) {
            switch rng.next() % 6 {
            case 0, 1:
                let value: Value? = rng.next() % 8 == 0 ? nil : .text(names.randomElement(using: &rng)!)
                changes.append(FieldChange(givenName, .assign(value, supersedes: replica.liveDots(record, givenName))))
            case 2:
                changes.append(FieldChange(phone, .assign(.text("+31 6 \(rng.next() % 1000)"), supersedes: [])))
            case 3:
                changes.append(FieldChange(documents, .add(.object(["type": "PASSPORT", "number": "FE\(rng.next() % 5)"]))))
            case 4:
                let live = replica.liveDots(record, documents)
                let observed = live.isEmpty ? [] : [live.randomElement(using: &rng)!]
                changes.append(FieldChange(documents, .remove(observed: observed)))
            default:
                let status = ["reported", "pending", "active"].randomElement(using: &rng)!
                changes.append(FieldChange(events, .append(.object(["status": status, "date": "2025-0\(1 + rng.next() % 9)-01"]))))
            }
        }
        return replica.write(.registration, record, changes, wall: wall)
    }
}
