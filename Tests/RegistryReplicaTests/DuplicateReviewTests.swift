import Foundation
import RegistryCore
import RegistryCrypto
import RegistryReplica
import RegistryStorage
import RegistryTestSupport
import Testing

/// The same man twice: once in Cyrillic, once in a Polish clerk's spelling without patronymic.
let oleksandr = [
    "given_name": "Олександр", "family_name": "Коваленко", "patronymic": "Петрович", "sex": "M", "birth_date": "1984-05-17",
    "birth_place": "Харків", "nationality": "UA", "document_type": "PASSPORT", "document_number": "FE 031337",
]
let aleksandr = [
    "given_name": "Aleksandr", "family_name": "Kowalenko", "sex": "M", "birth_date": "1984-05-17", "birth_place": "Charkow",
    "nationality": "UKR",
]

/// Unrelated people, so a replica is not only the cases under test.
func fillers(_ node: Registry, count: Int = 12) throws {
    let given = ["Іван", "Петро", "Ірина", "Тарас", "Богдан", "Вікторія", "Марія", "Андрій"]
    let family = ["Шевчук", "Мельник", "Бондар", "Ткаченко", "Кравчук", "Олійник", "Лисенко", "Савченко", "Руденко", "Марченко", "Павленко", "Гончаренко"]
    for k in 0..<count {
        _ = try node.register(RegistrationInput([
            "given_name": given[k % given.count], "family_name": family[k % family.count], "sex": k % 3 == 0 ? "F" : "M",
            "birth_date": "19\(50 + (k * 7) % 50)-0\(1 + k % 9)-1\(k % 10)", "nationality": "UA",
        ]))
    }
}

func duplicateCheck(_ node: Registry, _ id: RecordID) throws -> String? {
    try node.store.record(id)?["duplicate_check"]?.single?.text
}

func personID(_ node: Registry, _ id: RecordID) throws -> String? {
    try node.store.record(id)?["person_id"]?.single?.text
}

/// Applies every change set `source` holds and `target` lacks (what a sync round moves).
func sync(_ source: Registry, to target: Registry, now: Date = Date()) throws {
    let millis = UInt64(now.timeIntervalSince1970 * 1000) + 60_000
    for origin in try source.store.versionVector.counters.keys {
        while true {
            let sets = try source.store.changeSets(from: origin, after: try target.store.versionVector[origin])
            if sets.isEmpty { break }
            try target.store.apply(sets, wallMilliseconds: millis)
        }
    }
}

@Suite("Duplicates at the site, at the central node, and their review")
struct DuplicateReviewTests {
    @Test("the site check flags a transliterated duplicate as provisional, and stores it anyway")
    func siteFlagsTransliteration() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        try fillers(node)
        let first = try node.registerChecked(RegistrationInput(oleksandr))
        #expect(first.duplicates.isEmpty && !first.provisional)
        #expect(try duplicateCheck(node, first.id) == nil)

        let second = try node.registerChecked(RegistrationInput(aleksandr.merging(["record_id": "PL-7"]) { $1 }))
        let finding = try #require(second.duplicates.first)
        #expect(second.duplicates.count == 1)
        #expect(finding.candidateID == first.id.description && finding.id == second.id.description && finding.recordID == "PL-7")
        #expect(finding.source == "replica" && finding.score >= 0.5 && ["match", "possible"].contains(finding.band))
        #expect(try duplicateCheck(node, second.id) == "provisional")
        #expect(try node.show(second.id)?.columns["family_name"] == "Kowalenko", "reception is never refused")
        for value in Array(oleksandr.values) + Array(aleksandr.values) where value.count >= 4 {
            #expect(!finding.explanation.contains(value), "explanations name fields, never values")
        }
    }

    @Test("twins in one household and a namesake with another birth date are not flagged")
    func twinsAndNamesakes() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        try fillers(node)
        let oksana = try node.registerChecked(RegistrationInput([
            "given_name": "Оксана", "family_name": "Петренко", "patronymic": "Іванівна", "sex": "F", "birth_date": "2012-03-03",
            "birth_place": "Київ", "nationality": "UA",
        ]), householdID: "H-1")
        let olena = try node.registerChecked(RegistrationInput([
            "given_name": "Олена", "family_name": "Петренко", "patronymic": "Іванівна", "sex": "F", "birth_date": "2012-03-03",
            "birth_place": "Київ", "nationality": "UA",
        ]), householdID: "H-1")
        #expect(oksana.duplicates.isEmpty)
        #expect(olena.duplicates.isEmpty, "twins in one household are different people: \(olena.duplicates.map(\.explanation))")
        #expect(try duplicateCheck(node, olena.id) == nil)

        let namesake = try node.registerChecked(RegistrationInput([
            "given_name": "Olena", "family_name": "Petrenko", "sex": "F", "birth_date": "1961-11-20", "nationality": "UA",
        ]))
        #expect(namesake.duplicates.isEmpty, "a namesake born fifty years earlier: \(namesake.duplicates.map(\.explanation))")
        #expect(try duplicateCheck(node, namesake.id) == nil)
    }

    @Test("an import checks its rows against the replica and against each other, in one transaction")
    func importCheck() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        try fillers(node)
        let existing = try node.register(RegistrationInput(oleksandr))
        let file = write(dir, "arrivals.csv", header + """
            A1,,,Aleksandr,Kowalenko,,M,1984-05-17,Charkow,,,UKR,
            A2,,,Тарас,Гнатюк,Степанович,M,1990-08-09,Львів,PASSPORT,FB 555123,UA,
            A3,,,Taras,Hnatiuk,,M,1990-08-09,Lviv,PASSPORT,FB555123,UA,
            A4,,,Ніна,Зайченко,,F,1947-02-02,Суми,,,UA,
            """)
        let report = try node.importFile(file)
        #expect(report.imported == 4)
        #expect(report.provisional == 3, "\(report.duplicates)")
        #expect(report.duplicatePairCount == 2 && report.uncheckedRows == 0)
        let replicaPair = try #require(report.duplicates.first { $0.source == "replica" })
        #expect(replicaPair.line == 2 && replicaPair.recordID == "A1" && replicaPair.candidateID == existing.description)
        let filePair = try #require(report.duplicates.first { $0.source == "file" })
        #expect(filePair.line == 3 && filePair.candidateLine == 4 && filePair.candidateRecordID == "A3")
        let nina = try #require(try node.resolve("A4"))
        #expect(try duplicateCheck(node, nina) == nil)
        #expect(try duplicateCheck(node, try node.resolve("A3")) == "provisional")
    }

    @Test("an import stored in small chunks flags both rows of a pair that spans chunks, the earlier one too")
    func importPairAcrossChunks() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let file = write(dir, "arrivals.csv", header + """
            B1,,,Тарас,Гнатюк,Степанович,M,1990-08-09,Львів,PASSPORT,FB 555123,UA,
            B2,,,Ніна,Зайченко,,F,1947-02-02,Суми,,,UA,
            B3,,,Ivan,Melnyk,,M,1971-03-30,Poltava,,,UA,
            B4,,,Oksana,Rudenko,,F,2003-12-01,Odesa,,,UA,
            B5,,,Taras,Hnatiuk,,M,1990-08-09,Lviv,PASSPORT,FB555123,UA,
            """)
        var options = ImportOptions()
        options.chunkSize = 2  // B1 (first chunk) is stored while B5 (third chunk) is still to come
        let report = try node.importFile(file, options: options)
        #expect(report.imported == 5 && report.provisional == 2 && report.duplicatePairCount == 1)
        let pair = try #require(report.duplicates.first)
        #expect(pair.source == "file" && pair.recordID == "B1" && pair.candidateRecordID == "B5")
        #expect(try duplicateCheck(node, try #require(try node.resolve("B1"))) == "provisional")
        #expect(try duplicateCheck(node, try #require(try node.resolve("B5"))) == "provisional")
        #expect(try duplicateCheck(node, try #require(try node.resolve("B3"))) == nil)
        // The same file again: nothing new, nothing flagged again.
        let again = try node.importFile(file, options: options)
        #expect(again.imported == 0 && again.alreadyPresent == 5 && again.provisional == 0)
    }

    @Test("dedupe writes the CSV with the exact header and bands, opens one case per cluster, and is idempotent")
    func dedupeIdempotent() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        try fillers(node)
        let a = try node.register(RegistrationInput(oleksandr.merging(["record_id": "UA-1"]) { $1 }))
        let b = try node.register(RegistrationInput(aleksandr.merging(["record_id": "PL-1"]) { $1 }))
        // Provisional at the site, but the registration it looked like was erased: cleared centrally.
        let c = try node.register(RegistrationInput(["given_name": "Ганна", "family_name": "Сидоренко", "sex": "F", "birth_date": "1970-01-30", "nationality": "UA"]))
        let d = try node.registerChecked(RegistrationInput(["given_name": "Hanna", "family_name": "Sydorenko", "sex": "F", "birth_date": "1970-01-30", "nationality": "UA"]))
        #expect(d.provisional)
        try node.erase(c)
        #expect(try duplicateCheck(node, b) == "provisional")

        let out = dir.file("pairs.csv")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: out))
        let first = try node.dedupe(csv: handle)
        try handle.close()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "record_id_a,record_id_b,score,band,explanation")
        let pairRow = try #require(lines.dropFirst().first { $0.hasPrefix("UA-1,PL-1,") || $0.hasPrefix("PL-1,UA-1,") })
        let fields = pairRow.split(separator: ",", maxSplits: 4).map(String.init)
        #expect(fields[3] == "match" && (Double(fields[2]) ?? 0) >= 0.95)
        #expect(lines.dropFirst().allSatisfy { line in
            let band = line.split(separator: ",", maxSplits: 4).map(String.init)[3]
            return band == "match" || band == "possible"
        })
        #expect(first.clusters >= 1 && first.casesOpened >= 1 && first.casesExisting == 0)
        #expect(first.confirmed >= 2 && first.cleared == 1)
        #expect(try duplicateCheck(node, a) == "confirmed" && duplicateCheck(node, b) == "confirmed")
        #expect(try duplicateCheck(node, d.id) == "cleared")
        let cases = try node.duplicateCases()
        let theCase = try #require(cases.first { Set($0.members.map(\.id)) == [a, b] })
        #expect(theCase.band == "match" && theCase.openedBy == node.identity.siteID && theCase.isOpen)
        #expect(theCase.explanation?.contains("birthDate") == true)

        let again = try node.dedupe(csv: nil)
        #expect(again.casesOpened == 0 && again.casesExisting == first.casesOpened)
        #expect(again.confirmed == 0 && again.cleared == 0, "a second run writes nothing")
        #expect(try node.duplicateCases().count == cases.count)
        #expect(again.pairs == first.pairs)
    }

    @Test("a same_person decision links both registrations and flags two active ones as a problem; nothing is merged")
    func samePersonProblem() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        try fillers(node)
        let a = try node.register(RegistrationInput(oleksandr))
        let b = try node.register(RegistrationInput(aleksandr))
        for id in [a, b] {
            _ = try node.addEvent(id, status: "ind_application_pending", date: "2024-01-05", actor: nil, basis: nil)
            _ = try node.addEvent(id, status: "tp_granted", date: "2024-02-01", actor: nil, basis: nil)
        }
        _ = try node.dedupe(csv: nil)
        let open = try #require(try node.duplicateCases().first { Set($0.members.map(\.id)) == [a, b] })
        #expect(open.problem == nil && open.isOpen)
        #expect(try node.reviewSummary().open >= 1)

        let decided = try node.decide(open.id, decision: .samePerson, by: "reviewer-7", basis: "passport FE seen")
        #expect(decided.decision == .samePerson && decided.decisions.first?.by == "reviewer-7" && decided.decisions.first?.basis == "passport FE seen")
        #expect(decided.problem == .twoActiveRegistrations)
        let person = min(a, b).description
        #expect(try personID(node, a) == person && personID(node, b) == person)
        #expect(try node.show(a)?.isErased == false && node.show(b)?.isErased == false, "both registrations stay")
        #expect(try node.show(b)?.columns["family_name"] == "Kowalenko")
        #expect(try node.reviewSummary().problems == 1)

        // Ending one registration resolves the problem.
        _ = try node.addEvent(a, status: "deregistered", date: "2024-03-01", actor: nil, basis: nil)
        #expect(try node.duplicateCase(open.id.description).problem == nil)

        // Different people removes the link again; the decision log keeps both decisions.
        let undone = try node.decide(open.id, decision: .differentPeople, basis: "different fathers' names")
        #expect(undone.decision == .differentPeople && undone.decisions.count == 2 && undone.contested)
        #expect(try personID(node, a) == nil && personID(node, b) == nil)
    }

    @Test("decisions made at two replicas merge: both see the same decisions")
    func decisionsMerge() throws {
        let dir = TemporaryDirectory()
        let central = try makeNode(dir, "central")
        let other = try makeNode(dir, "other")
        try fillers(central)
        let a = try central.register(RegistrationInput(oleksandr))
        let b = try central.register(RegistrationInput(aleksandr))
        _ = try central.dedupe(csv: nil)
        try sync(central, to: other)
        let caseID = try #require(try central.duplicateCases().first { Set($0.members.map(\.id)) == [a, b] }).id
        #expect(try other.duplicateCase(caseID.description).isOpen)

        let t0 = Date()
        try central.decide(caseID, decision: .samePerson, by: "central-reviewer", basis: "interview", now: t0)
        try other.decide(caseID, decision: .handover, by: "other-reviewer", basis: "letter from BE", now: t0.addingTimeInterval(1))
        try sync(central, to: other)
        try sync(other, to: central)

        let here = try central.duplicateCase(caseID.description)
        let there = try other.duplicateCase(caseID.description)
        #expect(here.decisions == there.decisions)
        #expect(here.decisions.map(\.decision) == [.samePerson, .handover])
        #expect(here.decision == .handover && there.decision == .handover)
        #expect(try personID(central, a) == personID(other, a) && personID(central, b) == min(a, b).description)
        #expect(try central.store.versionVector == other.store.versionVector)
    }
}
