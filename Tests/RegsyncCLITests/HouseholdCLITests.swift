import Foundation
import Testing

extension CLITests {
    @Test("twins registered with one household id are not taken for one person; without it they go to review")
    func householdKeepsTwinsApart() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let node = try initSite()
        let brother = try regsync(["register", "--dir", node, "--given-name", "Oleksandr", "--family-name", "Kovalenko", "--birth-date", "2015-06-01", "--sex", "M", "--household-id", "H1", "--json"])
        let sister = try regsync(["register", "--dir", node, "--given-name", "Oleksandra", "--family-name", "Kovalenko", "--birth-date", "2015-06-01", "--sex", "F", "--household-id", "H1", "--json"])
        #expect(brother.status == 0 && sister.status == 0)
        #expect((sister.json["duplicates"] as? [Any])?.isEmpty == true, "a twin in the same household is a different person")
        let unknown = try regsync(["register", "--dir", node, "--given-name", "Oleksandra", "--family-name", "Kovalenko", "--birth-date", "2015-06-01", "--sex", "F", "--json"])
        #expect(unknown.json["duplicate_check"] as? String == "provisional", "the same data with no household goes to review")
    }
}
