import Foundation
import RegistryCore
import RegistryCrypto
import RegistryReplica
import RegistryTestSupport
import Testing

let header = "record_id,site_id,country,given_name,family_name,patronymic,sex,birth_date,birth_place,document_type,document_number,nationality,registered_at\n"

func makeNode(_ dir: TemporaryDirectory, _ name: String = "site", state: String = "NL") throws -> Registry {
    try Registry.initialize(
        directory: NodeDirectory(dir.file(name)), role: .site, state: state, siteID: "\(state)-TA-01",
        passphrase: SecureBytes(Array("a long enough passphrase".utf8)), cost: .minimum)
}

func write(_ dir: TemporaryDirectory, _ name: String, _ text: String) -> String {
    let path = dir.file(name)
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

@Suite("Import, export and search")
struct ImportExportTests {
    @Test("a file with bad rows is refused whole, each bad row named by line, column and reason")
    func refusedWhole() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let file = write(dir, "bad.csv", header + """
            R1,,,Oksana,Melnyk,,F,1980-01-02,,,,UA,2022-03-04T10:00:00Z
            R2,,,Petro,,,Q,1980-02-30,,PASSPORT,,UKRAINE,yesterday
            "R3",,,Ivan,Franko,,M,1981,,,,UA,2022-03-04T10:00:00Z
            R4,,XX1,,,,,,,,,,
            R5,,,Оле\u{85}на,Ков\u{7}аль,,F,1980-01-02,,,,UA,
            R6,,,Олена,Коваль,,F,1980-01-02,Київ\u{A0}Центр,,,UA,
            """)
        do {
            _ = try node.importFile(file)
            Issue.record("a file with bad rows was imported")
        } catch {
            #expect(error.code == .invalidInput)
            let found = Set(error.issues.map { "\($0.line):\($0.column)" })
            // Line 7 has a C1 control (U+0085) and a BEL; line 8's no-break space is not a control character.
            #expect(found == ["3:sex", "3:birth_date", "3:document_number", "3:nationality", "3:registered_at", "5:country", "5:family_name",
                              "6:given_name", "6:family_name"])
            #expect(!error.description.contains("Petro") && !error.issues.description.contains("UKRAINE"), "errors must not echo values")
        }
        #expect(try node.statusReport().summary.records == 0)
    }

    @Test("with --skip-invalid the good rows are imported and the bad ones kept in a rejects file")
    func skipInvalid() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let file = write(dir, "mixed.csv", header + "R1,,,Oksana,Melnyk,,F,1980-01-02,,,,UA,\nR2,,,Petro,Doe,,Q,,,,,,\nR3,,,Ivan,Franko,,M,1981,,,,UA,\n")
        let report = try node.importFile(file, options: ImportOptions(skipInvalid: true))
        #expect(report.imported == 2 && report.rejected == 1)
        let rejects = try String(contentsOfFile: try #require(report.rejectsFile), encoding: .utf8)
        #expect(rejects.contains("line 3") && rejects.contains("R2,,,Petro,Doe"))
        #expect(!rejects.contains("Oksana"))
    }

    @Test("importing the same file twice creates no duplicates; a repeated record_id in one file is refused")
    func idempotent() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let file = write(dir, "ok.csv", header + "R1,,,Oksana,Melnyk,,F,1980-01-02,,,,UA,\nR2,,,Ivan,Franko,,M,1981,,,,UA,\n")
        #expect(try node.importFile(file).imported == 2)
        let second = try node.importFile(file)
        #expect(second.imported == 0 && second.alreadyPresent == 2)
        #expect(try node.statusReport().summary.records == 2)
        let twice = write(dir, "twice.csv", header + "R9,,,A,B,,,,,,,,\nR9,,,A,B,,,,,,,,\n")
        do {
            _ = try node.importFile(twice)
            Issue.record("repeated record_id accepted")
        } catch {
            #expect(error.issues.map(\.reason) == ["repeats the record_id of line 2"])
        }
    }

    @Test("a malformed CSV or JSON line is a typed error pointing at its line")
    func malformed() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let open = write(dir, "open.csv", header + "R1,,,\"Oksana,Melnyk\n")
        #expect(throws: ReplicaError.self) { try node.importFile(open) }
        let ragged = write(dir, "ragged.csv", header + "R1,,,Oksana\n")
        do { _ = try node.importFile(ragged); Issue.record("ragged row accepted") } catch {
            #expect(error.issues.first?.line == 2 && error.issues.first?.reason.contains("header has 13") == true)
        }
        let jsonl = write(dir, "x.jsonl", "{\"record_id\":\"J1\",\"given_name\":\"Olha\"}\n{not json\n")
        do { _ = try node.importFile(jsonl); Issue.record("bad JSON line accepted") } catch {
            #expect(error.issues.map(\.line) == [2])
        }
        let unknown = write(dir, "unknown.csv", "record_id,given_name,favourite_colour\nR1,Olha,blue\n")
        do { _ = try node.importFile(unknown); Issue.record("unknown column accepted") } catch {
            #expect(error.issues.map(\.column) == ["favourite_colour"])
        }
        #expect(try node.statusReport().summary.records == 0)
    }

    @Test("an export imports again into another node with the same columns")
    func roundTrip() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let file = write(dir, "in.jsonl", """
            {"record_id":"J1","given_name":"Олена","family_name":"Петренко","sex":"F","birth_date":"1975-06","birth_place":"Житомир","document_type":"INTERNAL_PASSPORT","document_number":"МК 123456","nationality":"UA","registered_at":"2023-01-05T08:30:00Z"}
            {"record_id":"J2","site_id":"NL-OTHER","country":"BE","given_name":"Jean, \\"Jr\\"","family_name":"O'Neil","nationality":"IRL"}
            """)
        #expect(try node.importFile(file).imported == 2)
        for format in ExportFormat.allCases {
            let out = dir.file("export.\(format.rawValue)")
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: out))
            #expect(try node.export(format, to: handle) == 2)
            try handle.close()
            let copy = try makeNode(dir, "copy-\(format.rawValue)")
            let exported = try String(contentsOfFile: out, encoding: .utf8)
            // The export's extra columns (id, status) are not import columns: strip them as a person would.
            let reimport: String
            if format == .csv {
                reimport = exported.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",") }.joined(separator: "\n")
            } else {
                reimport = exported.replacingOccurrences(of: #","id":"[^"]*","#, with: ",", options: .regularExpression)
                    .replacingOccurrences(of: #","status":"[^"]*""#, with: "", options: .regularExpression)
            }
            let again = write(dir, "again.\(format.rawValue)", reimport)
            do { #expect(try copy.importFile(again).imported == 2, "\(format)") } catch { Issue.record("\(format): \(error.issues)"); throw error }
            var original: [[String: String]] = [], copied: [[String: String]] = []
            try node.forEachRegistration { original.append($0.columns.filter { $0.key != "id" }) }
            try copy.forEachRegistration { copied.append($0.columns.filter { $0.key != "id" }) }
            #expect(Set(original) == Set(copied), "\(format)")
            #expect(original.contains { $0["given_name"] == "Jean, \"Jr\"" && $0["country"] == "BE" && $0["site_id"] == "NL-OTHER" })
        }
    }

    @Test("search finds a person by name in another script or spelling, and by document number")
    func search() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let file = write(dir, "people.csv", header + """
            S1,,,Олександр,Коваленко,,M,1985-03-14,,PASSPORT,FE 123456,UA,
            S2,,,Yuliia,Shevchenko,,F,1990,,,,UA,
            S3,,,Oleksandra,Kovalchuk,,F,1991,,,,UA,
            """)
        _ = try node.importFile(file)
        func refs(_ query: String) throws -> [String] { try node.search(query).compactMap { $0.columns["record_id"] }.sorted() }
        #expect(try refs("Oleksandr Kovalenko") == ["S1"])
        #expect(try refs("Aleksandr Kowalenko") == ["S1"])
        #expect(try refs("Julia Szewczenko") == ["S2"])
        #expect(try refs("Юлія") == ["S2"])
        #expect(try refs("fe-123456") == ["S1"])
        #expect(try refs("Bondarenko").isEmpty)
    }
}

@Suite("Corrections, status and failures")
struct LifecycleTests {
    @Test("edits, status events with the state's rules, and erasure")
    func lifecycle() throws {
        let dir = TemporaryDirectory()
        let node = try makeNode(dir)
        let id = try node.register(RegistrationInput(["given_name": "Iryna", "family_name": "Bondar", "birth_date": "1970"]))
        try node.edit(id, RegistrationInput(["family_name": "Bondarenko", "document_number": "EE 998877"]))
        let row = try #require(try node.show(id))
        #expect(row.columns["family_name"] == "Bondarenko" && row.columns["document_number"] == "EE 998877")
        #expect(try node.addEvent(id, status: "ind_application_pending", date: "2024-01-02", actor: "clerk-7", basis: nil) == "ind_application_pending")
        #expect(try node.addEvent(id, status: "tp_granted", date: "2024-02-01", actor: "ind", basis: "art. 5") == "tp_granted")
        #expect(throws: ReplicaError.self) { try node.addEvent(id, status: "made_up", date: "2024-02-01", actor: nil, basis: nil) }
        #expect(try node.statusReport().summary.byStatus == ["tp_granted": 1])
        try node.erase(id)
        #expect(try node.show(id)?.isErased == true)
        #expect(try node.search("Bondarenko").isEmpty)
        #expect(throws: ReplicaError.self) { try node.edit(id, RegistrationInput(["given_name": "X"])) }
        #expect(!dir.allBytesRecursive().contains(bytes: Array("Bondarenko".utf8)))
    }

    @Test("the wrong passphrase is a typed error and leaves the node untouched")
    func wrongPassphrase() throws {
        let dir = TemporaryDirectory()
        _ = try makeNode(dir)
        #expect(throws: ReplicaError(.wrongPassphrase, "the passphrase does not open node.key")) {
            try Registry.open(directory: NodeDirectory(dir.file("site")), passphrase: SecureBytes(Array("not the passphrase".utf8)))
        }
        #expect(throws: ReplicaError.self) { try makeNode(dir) }  // never overwrites a node
        #expect(try Registry.open(directory: NodeDirectory(dir.file("site")), passphrase: SecureBytes(Array("a long enough passphrase".utf8))).identity.siteID == "NL-TA-01")
    }

    @Test("a full disk fails the import with a typed error and keeps the replica as it was",
          .enabled(if: SmallMount.available, "needs root to mount a small tmpfs"))
    func fullDisk() throws {
        let mount = try SmallMount(sizeKiB: 640)
        let dir = TemporaryDirectory()
        let node = try Registry.initialize(directory: NodeDirectory(mount.path + "/site"), role: .site, state: "NL", siteID: "NL-1",
                                           passphrase: SecureBytes(Array("a long enough passphrase".utf8)), cost: .minimum)
        let small = write(dir, "small.csv", header + "A1,,,Olha,Tkachenko,,,,,,,,\n")
        #expect(try node.importFile(small).imported == 1)
        let rows = (0..<4_000).map { "B\($0),,,Name\($0),Family\($0),Patronymic\($0),F,1980-01-01,Place\($0),PASSPORT,DOC\($0),UA,2022-03-04T10:00:00Z" }
        let big = write(dir, "big.csv", header + rows.joined(separator: "\n"))
        do {
            _ = try node.importFile(big)
            Issue.record("an import larger than the disk succeeded")
        } catch {
            #expect(error.storage?.code == .diskFull, "got \(error)")
        }
        #expect(try node.statusReport().summary.records == 1, "a failed import leaves the replica as before")
    }

    @Test("a read-only replica gives a typed error on write",
          .enabled(if: SmallMount.available, "needs root to mount a small tmpfs"))
    func readOnly() throws {
        let mount = try SmallMount(sizeKiB: 4096)
        let directory = NodeDirectory(mount.path + "/site")
        let passphrase = SecureBytes(Array("a long enough passphrase".utf8))
        do {
            let node = try Registry.initialize(directory: directory, role: .site, state: "NL", siteID: "NL-1", passphrase: passphrase, cost: .minimum)
            _ = try node.register(RegistrationInput(["given_name": "Olha"]))
        }
        try mount.remountReadOnly()
        do {
            let node = try Registry.open(directory: directory, passphrase: passphrase)
            _ = try node.register(RegistrationInput(["given_name": "Petro"]))
            Issue.record("a write to a read-only disk succeeded")
        } catch {
            #expect(error.storage?.code == .readOnly, "got \(error)")
        }
    }
}

/// A small tmpfs mounted for one test (root only), unmounted when released.
final class SmallMount {
    let path: String

    static let available: Bool = {
        guard getuid() == 0, let probe = try? SmallMount(sizeKiB: 64) else { return false }
        _ = probe
        return true
    }()

    init(sizeKiB: Int) throws {
        path = NSTemporaryDirectory() + "regsync-mount-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeKiB)k", "tmpfs", path]) == 0 else {
            throw ReplicaError(.io, "mount failed")
        }
    }

    func remountReadOnly() throws {
        guard run("/bin/mount", ["-o", "remount,ro", path]) == 0 else { throw ReplicaError(.io, "remount failed") }
    }

    deinit {
        _ = run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}

@discardableResult
func run(_ tool: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

extension TemporaryDirectory {
    /// Bytes of every file below the directory, recursively.
    func allBytesRecursive() -> [UInt8] {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
        var bytes: [UInt8] = []
        while let name = enumerator.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: path + "/" + name) { bytes += data }
        }
        return bytes
    }
}
