import Foundation
import Testing

/// End-to-end: import with the site check, `dedupe --out`, `review list|show|decide`, `status`, with `--json`.
@Suite("regsync dedupe and review", .serialized)
struct DuplicateCLITests {
    let cli = CLITests()

    @Test("import flags duplicates, dedupe writes the CSV and opens cases once, review decide links and flags a problem")
    func dedupeAndReview() throws {
        defer { try? FileManager.default.removeItem(atPath: cli.dir) }
        let node = try cli.initSite()
        let file = cli.dir + "/arrivals.csv"
        let csv = """
            record_id,given_name,family_name,patronymic,sex,birth_date,birth_place,document_type,document_number,nationality
            UA-1,Олександр,Коваленко,Петрович,M,1984-05-17,Харків,PASSPORT,FE 031337,UA
            PL-1,Aleksandr,Kowalenko,,M,1984-05-17,Charkow,PASSPORT,FE031337,UKR
            X-1,Ніна,Зайченко,,F,1947-02-02,Суми,,,UA
            X-2,Богдан,Мельник,Іванович,M,1979-10-12,Львів,,,UA
            X-3,Ірина,Шевчук,,F,1991-04-30,Одеса,,,UA

            """
        _ = FileManager.default.createFile(atPath: file, contents: Data(csv.utf8))
        let imported = try cli.regsync(["import", "--dir", node, file, "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.json["imported"] as? Int == 5)
        #expect(imported.json["provisional"] as? Int == 2 && imported.json["duplicate_pairs"] as? Int == 1)
        let finding = try #require((imported.json["duplicates"] as? [[String: Any]])?.first)
        #expect(finding["record_id"] as? String == "UA-1" && finding["candidate_record_id"] as? String == "PL-1" && finding["source"] as? String == "file")

        // A registration typed at the site: the duplicate is printed at once, and stored anyway.
        let typed = try cli.regsync(["register", "--dir", node, "--given-name", "Oleksandr", "--family-name", "Kovalenko", "--birth-date", "1984-05-17", "--sex", "M"])
        #expect(typed.status == 0 && typed.stdout.trimmingCharacters(in: .whitespacesAndNewlines).count == 36)
        #expect(typed.stderr.contains("possible duplicate") && typed.stderr.contains("provisional"))

        let out = cli.dir + "/pairs.csv"
        let first = try cli.regsync(["dedupe", "--dir", node, "--out", out, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.json["registrations"] as? Int == 6)
        #expect((first.json["cases_opened"] as? Int ?? 0) >= 1 && first.json["cases_existing"] as? Int == 0)
        #expect(first.json["threshold"] as? Double == 0.95)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "record_id_a,record_id_b,score,band,explanation")
        #expect(lines.contains { ($0.hasPrefix("UA-1,PL-1,") || $0.hasPrefix("PL-1,UA-1,")) && $0.contains(",match,") })
        #expect(!lines.contains { $0.contains("Коваленко") || $0.contains("Kowalenko") }, "the CSV holds references, never names")

        let second = try cli.regsync(["dedupe", "--dir", node, "--out", out, "--json"])
        #expect(second.json["cases_opened"] as? Int == 0 && second.json["cases_existing"] as? Int == first.json["cases_opened"] as? Int)

        let listed = try cli.regsync(["review", "list", "--dir", node, "--json"])
        let cases = try #require(listed.json["cases"] as? [[String: Any]])
        let theCase = try #require(cases.first { ($0["members"] as? [[String: Any]])?.contains { $0["record_id"] as? String == "PL-1" } == true })
        let caseID = try #require(theCase["id"] as? String)
        #expect(theCase["decision"] is NSNull && listed.json["open"] as? Int == cases.count)

        let shown = try cli.regsync(["review", "show", "--dir", node, String(caseID.prefix(8))])
        #expect(shown.status == 0 && shown.stdout.contains("Kowalenko") && shown.stdout.contains("Коваленко") && shown.stdout.contains("decision: none yet"))

        for reference in ["UA-1", "PL-1"] {
            #expect(try cli.regsync(["event", "--dir", node, reference, "--status", "ind_application_pending", "--date", "2024-01-05"]).status == 0)
            #expect(try cli.regsync(["event", "--dir", node, reference, "--status", "tp_granted", "--date", "2024-02-01"]).status == 0)
        }
        let decided = try cli.regsync(["review", "decide", "--dir", node, caseID, "--decision", "same_person", "--basis", "passport seen", "--by", "clerk-4", "--json"])
        #expect(decided.status == 0, "\(decided.stderr)")
        #expect(decided.json["decision"] as? String == "same_person" && decided.json["problem"] as? String == "two_active_registrations")
        let decision = try #require((decided.json["decisions"] as? [[String: Any]])?.first)
        #expect(decision["by"] as? String == "clerk-4" && decision["basis"] as? String == "passport seen")
        let members = try #require(decided.json["members"] as? [[String: Any]])
        #expect(Set(members.compactMap { $0["person_id"] as? String }).count == 1 && members.allSatisfy { $0["person_id"] is String })

        let status = try cli.regsync(["status", "--dir", node, "--json"])
        #expect(status.json["duplicate_problems"] as? Int == 1)
        #expect(status.json["registrations"] as? Int == 6, "both registrations stay")
        let problems = try cli.regsync(["review", "list", "--dir", node, "--json"])
        #expect((problems.json["cases"] as? [[String: Any]])?.contains { $0["problem"] as? String == "two_active_registrations" } == true)

        let bad = try cli.regsync(["review", "decide", "--dir", node, caseID, "--decision", "merge"])
        #expect(bad.status != 0)
        let missing = try cli.regsync(["review", "show", "--dir", node, "ffffffff", "--json"])
        #expect(missing.status == 4)
    }
}
