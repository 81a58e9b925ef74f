import Foundation
import RegistryCore
import RegistryReplica
import RegistryStorage
import RegistrySync
import RegistryTestSupport
import Testing

@Suite("The state's match index", .serialized)
struct MatchIndexTests {
    @Test("a site flags a person registered at another site, through the synced match index, without their data")
    func crossSiteCheckOffline() async throws {
        let harness = try Harness(sites: 2)
        let (a, b) = (harness.sites[0], harness.sites[1])
        try harness.register(at: a, count: 40, seed: 1)
        try harness.register(at: b, count: 40, seed: 2)
        let original = try a.registry.register(RegistrationInput([
            "given_name": "Олександр", "family_name": "Коваленко", "sex": "M", "birth_date": "1984-05-17",
            "nationality": "UA", "document_type": "PASSPORT", "document_number": "FE 031337",
        ]))
        let transport = InMemoryTransport(responder: harness.responder)
        for site in harness.sites { _ = try await SiteSynchronizer(node: site, transport: transport).syncOnce() }

        let published = try harness.central.registry.publishMatchIndex()
        #expect(published == 81 + 1, "one entry per registration plus the key on the central node's site record")
        #expect(try harness.central.registry.publishMatchIndex() == 0, "publishing twice changes nothing")
        for site in harness.sites { _ = try await SiteSynchronizer(node: site, transport: transport).syncOnce() }
        #expect(try harness.convergenceProblems().isEmpty)

        // Site B holds the index but none of site A's registrations.
        #expect(try b.registry.show(original) == nil)
        var entries = 0
        try b.store.forEachRecord(.matchEntry) { view in
            entries += 1
            #expect(view.text("encoding")?.contains("Kovalenko") == false)
        }
        #expect(entries == 81, "every registration of the state has an entry")

        // Offline, site B registers the same man as a Polish clerk writes him.
        let result = try b.registry.registerChecked(RegistrationInput([
            "given_name": "Aleksandr", "family_name": "Kowalenko", "sex": "M", "birth_date": "1984-05-17",
            "nationality": "UKR", "document_type": "PASSPORT", "document_number": "FE031337",
        ]))
        #expect(result.provisional)
        #expect(result.duplicates.contains { $0.source == "match_index" && $0.candidateID == original.description })
        // A different person (other name, date and document) is not flagged.
        let other = try b.registry.registerChecked(RegistrationInput([
            "given_name": "Iryna", "family_name": "Tkachenko", "sex": "F", "birth_date": "1991-02-03",
            "document_type": "PASSPORT", "document_number": "EK 777111",
        ]))
        #expect(!other.duplicates.contains { $0.source == "match_index" })

        // An erased registration leaves the index at the next publication.
        try a.registry.erase(original)
        _ = try await SiteSynchronizer(node: a, transport: transport).syncOnce()
        #expect(try harness.central.registry.publishMatchIndex() >= 1)
    }
}
