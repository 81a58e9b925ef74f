import Foundation
import Testing

/// End-to-end tests of the built `regsync` binary: outputs, exit codes, and a killed import.
@Suite("regsync command line", .serialized)
struct CLITests {
    static let binary: String = {
        // Tests run from the build products folder; the executable sits beside the test bundle.
        let products = Bundle.main.bundleURL.path
        for candidate in [products + "/regsync", products + "/../regsync"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/regsync").path
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
    }

    let dir: String = NSTemporaryDirectory() + "regsync-cli-\(UUID().uuidString)"

    @discardableResult
    func regsync(_ arguments: [String], passphrase: String? = "cli test passphrase") throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["REGSYNC_PASSPHRASE"] = passphrase
        environment["REGSYNC_DIR"] = nil
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    func initSite() throws -> String {
        let node = dir + "/site"
        let result = try regsync(["init", "--dir", node, "--role", "site", "--state", "NL", "--site", "NL-TA-01", "--kdf-cost", "minimum", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.json["site_id"] as? String == "NL-TA-01")
        return node
    }

    @Test("init, register (flags and --json), search, show, edit, event, status and erase, each with --json")
    func walkThrough() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let node = try initSite()
        let byFlags = try regsync(["register", "--dir", node, "--given-name", "Олена", "--family-name", "Петренко", "--birth-date", "1975-06", "--nationality", "UA"])
        #expect(byFlags.status == 0)
        let id = byFlags.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 36)
        let byJSON = try regsync(["register", "--dir", node, "--json", #"{"given_name":"Taras","family_name":"Bondarenko","record_id":"EXT-1"}"#])
        #expect(byJSON.status == 0 && (byJSON.json["id"] as? String)?.count == 36)

        let found = try regsync(["search", "--dir", node, "Olena Petrenko", "--json"])
        #expect((found.json["results"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
        let shown = try regsync(["show", "--dir", node, "EXT-1", "--json"])
        #expect(shown.json["family_name"] as? String == "Bondarenko")

        let edited = try regsync(["edit", "--dir", node, id, "--family-name", "Petrenko-Shevchuk", "--json"])
        #expect(edited.json["family_name"] as? String == "Petrenko-Shevchuk")
        let event = try regsync(["event", "--dir", node, id, "--status", "ind_application_pending", "--date", "2024-01-05", "--json"])
        #expect(event.json["status"] as? String == "ind_application_pending")

        let status = try regsync(["status", "--dir", node, "--json"])
        #expect(status.json["registrations"] as? Int == 2)
        #expect(status.json["by_status"] as? [String: Int] == ["reported": 1, "ind_application_pending": 1])
        #expect(status.json["by_nationality_group"] as? [String: Int] == ["ukrainian": 1, "unknown": 1])

        #expect(try regsync(["erase", "--dir", node, "EXT-1", "--json"]).json["erased"] as? Bool == true)
        #expect(try regsync(["status", "--dir", node, "--json"]).json["registrations"] as? Int == 1)
    }

    @Test("bad input and wrong keys give typed errors with distinct exit codes, in JSON too")
    func errors() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let node = try initSite()
        let wrong = try regsync(["status", "--dir", node, "--json"], passphrase: "not the passphrase")
        #expect(wrong.status == 3)
        #expect((wrong.json["error"] as? [String: Any])?["code"] as? String == "wrong_passphrase")
        let none = try regsync(["status", "--dir", node], passphrase: nil)
        #expect(none.status == 3 && none.stderr.contains("no passphrase"))
        let invalid = try regsync(["register", "--dir", node, "--given-name", "Ivan", "--sex", "Q"])
        #expect(invalid.status == 2 && invalid.stderr.contains("column sex"))
        let missing = try regsync(["show", "--dir", node, "NO-SUCH-REF"])
        #expect(missing.status == 4)
        let uninitialised = try regsync(["status", "--dir", dir + "/nothing"])
        #expect(uninitialised.status == 4)
    }

    @Test("import and export through the binary; a killed import leaves the replica unchanged or complete")
    func importKilled() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let node = try initSite()
        var csv = "record_id,given_name,family_name,birth_date,document_type,document_number,nationality\n"
        for i in 0..<30_000 { csv += "K\(i),Name\(i),Family\(i % 97),1980-01-01,PASSPORT,DOC\(i),UA\n" }
        let file = dir + "/big.csv"
        _ = FileManager.default.createFile(atPath: file, contents: Data(csv.utf8))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["import", "--dir", node, file]
        process.environment = ["REGSYNC_PASSPHRASE": "cli test passphrase"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        usleep(1_500_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let after = try regsync(["status", "--dir", node, "--json"])
        let count = after.json["registrations"] as? Int
        #expect(count == 0 || count == 30_000, "a killed import must leave nothing half-done (found \(String(describing: count)))")

        let resumed = try regsync(["import", "--dir", node, file, "--json"])
        #expect(resumed.status == 0)
        #expect((resumed.json["imported"] as? Int ?? 0) + (resumed.json["already_present"] as? Int ?? 0) == 30_000)
        #expect(try regsync(["status", "--dir", node, "--json"]).json["registrations"] as? Int == 30_000)

        let out = dir + "/export.csv"
        let exported = try regsync(["export", "--dir", node, "--format", "csv", "--out", out, "--json"])
        #expect(exported.json["exported"] as? Int == 30_000)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "record_id,site_id,country,given_name,family_name,patronymic,sex,birth_date,birth_place,document_type,document_number,nationality,registered_at,id,status")
        #expect(lines.count == 30_001)
    }
}
