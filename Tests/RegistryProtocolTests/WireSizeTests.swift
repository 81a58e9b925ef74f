import RegistryCore
@testable import RegistryProtocol
import RegistryTestSupport
import Testing

/// Bytes on the wire per registration against deflate-6 of the same registrations as JSON Lines
/// (the benchmark's baseline is `gzip -6`, which adds 18 bytes of header and trailer per file).
/// Informative, with a loose bound: the benchmark proper lives in `Tests/Benchmarks`.
@Suite("Wire size")
struct WireSizeTests {
    static func randomWord(_ rng: inout SeededRandom, _ length: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return String((0..<length).map { _ in letters[Int(rng.next() % 26)] }).capitalized
    }

    @Test("batched, deflated, sealed registrations cost no more than deflated JSON Lines")
    func againstJSONLines() {
        var rng = SeededRandom(seed: 77)
        var replica = InMemoryReplica(id: Fixtures.siteID)
        var jsonLines = ""
        var changeSets: [ChangeSet] = []
        for index in 0..<1000 {
            let wall = Fixtures.now + UInt64(index) * 45_000 + rng.next() % 30_000
            let record = RecordID.v7(unixMilliseconds: wall, using: &rng)
            let fields: [(String, String)] = [
                ("record_id", "NL-TA-01-\(200_000 + index)"), ("site_id", "NL-TA-01"),
                ("given_name", Fixtures.givenNames[Int(rng.next() % 10)]), ("family_name", Self.randomWord(&rng, 6 + Int(rng.next() % 5))),
                ("birth_date", "19\(50 + rng.next() % 50)-0\(1 + rng.next() % 9)-\(10 + rng.next() % 18)"),
                ("sex", rng.next() % 2 == 0 ? "F" : "M"), ("nationality", "UKR"), ("phone", "+3161\(1_000_000 + rng.next() % 8_999_999)"),
            ]
            let document = ["type": "passport", "number": "F\(Self.randomWord(&rng, 1).uppercased())\(100_000 + rng.next() % 899_999)"]
            let event = ["status": "reported", "date": "2024-03-\(10 + index % 18)", "site": "NL-TA-01", "state": "NL"]
            var changes = fields.map { FieldChange(Build.field($0.0), .assign(.text($0.1), supersedes: [])) }
            changes.append(FieldChange(Build.field("documents"), .add(.object(document))))
            changes.append(FieldChange(Build.field("status_events"), .append(.object(event))))
            changeSets.append(replica.write(.registration, record, changes, wall: wall))
            let body = fields.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
            jsonLines += "{\"id\":\"\(record)\",\(body),\"documents\":[{\"type\":\"passport\",\"number\":\"\(document["number"]!)\"}],"
                + "\"status_events\":[{\"status\":\"reported\",\"date\":\"\(event["date"]!)\",\"site\":\"NL-TA-01\",\"state\":\"NL\"}]}\n"
        }
        let baseline = Deflate.compress(Array(jsonLines.utf8)).count + 18
        var wire = 0
        var remaining = changeSets[...]
        var counter: UInt64 = 0
        while !remaining.isEmpty {
            var builder = Batch.Builder(maxBytes: 256 * 1024)
            while let next = remaining.first, builder.add(next) { remaining = remaining.dropFirst() }
            counter += 1
            wire += Fixtures.siteChannel.seal(.batch(builder.build(through: VersionVector([Fixtures.siteID: 1]))), counter: counter).count
        }
        let ratio = Double(wire) / Double(baseline)
        print("1000 registrations: wire \(wire) bytes, gzip -6 JSON Lines \(baseline) bytes, ratio \(ratio)")
        #expect(ratio <= 1.0)
    }
}
