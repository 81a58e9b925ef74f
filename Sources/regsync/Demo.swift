import ArgumentParser
import Foundation
import RegistryCrypto
import RegistryReplica

/// A local walk-through: init a site, import a sample file, search across spellings, correct, export.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Walk through a reception site's day offline, on synthetic data.")
    @Option(help: "Where to put the demo node (default: a new temporary folder).") var dir: String?
    @Option(help: "How many synthetic registrations to import.") var count = 2_000
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let output = Output(json: json)
        let base = dir ?? NSTemporaryDirectory() + "regsync-demo-\(UUID().uuidString.prefix(8))"
        let say: (String) -> Void = { if !json { print($0) } }
        let started = Date()
        let registry = try output.guarding {
            try Registry.initialize(directory: NodeDirectory(base + "/site-ter-apel"), role: .site, state: "NL", siteID: "NL-TER-APEL",
                                    passphrase: SecureBytes(Array("demo passphrase, not for real use".utf8)), cost: .minimum)
        }
        say("1. initialised site NL-TER-APEL in \(registry.directory.path) (keys sealed with Argon2id, replica encrypted)")
        let sample = base + "/arrivals.csv"
        try SampleRegistrations.csv(count: count, site: "NL-TER-APEL").write(toFile: sample, atomically: true, encoding: .utf8)
        let bar = ProgressBar("   importing", enabled: !json)
        let report = try output.guarding { try registry.importFile(sample) { bar.update($0, $1) } }
        say("2. imported \(report.imported) registrations from \(sample)")
        let again = try output.guarding { try registry.importFile(sample) }
        say("   importing the same file again: \(again.imported) new, \(again.alreadyPresent) already present")

        let typed = try output.guarding { try registry.register(RegistrationInput([
            "given_name": "Олександр", "family_name": "Коваленко", "birth_date": "1984-05", "nationality": "UA",
            "document_type": "PASSPORT", "document_number": "FE 031337",
        ])) }
        say("3. registered a walk-in typed in Cyrillic: \(typed)")
        let byLatin = try output.guarding { try registry.search("Aleksandr Kowalenko") }
        let byDocument = try output.guarding { try registry.search("fe031337") }
        say("4. search 'Aleksandr Kowalenko' (Polish clerk's spelling): \(byLatin.count) matches; by document 'fe031337': \(byDocument.map(\.id.description))")

        try output.guarding { try registry.edit(typed, RegistrationInput(["patronymic": "Петрович"])) }
        let status = try output.guarding { try registry.addEvent(typed, status: "ind_application_pending", date: "2022-03-20", actor: "intake", basis: nil) }
        say("5. corrected the patronymic and recorded an application: status \(status)")

        let exportPath = base + "/export.csv"
        _ = FileManager.default.createFile(atPath: exportPath, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: exportPath))
        let exported = try output.guarding { try registry.export(.csv, to: handle) }
        try handle.close()
        let summary = try output.guarding { try registry.statusReport() }
        let bytes = ["", "-wal"].compactMap { try? FileManager.default.attributesOfItem(atPath: registry.directory.replicaFile + $0)[.size] as? Int }.reduce(0, +)
        say("6. exported \(exported) registrations to \(exportPath)")
        say("   status: \(summary.summary.byStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); nationality groups: \(summary.byNationalityGroup.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        say("   replica files \(bytes / 1024) KiB; no name or document number is readable in it. Done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
        output.emit([
            "dir": base, "imported": report.imported, "reimported_new": again.imported, "search_matches": byLatin.count,
            "document_matches": byDocument.count, "exported": exported, "by_status": summary.summary.byStatus,
        ]) { "" }
    }
}
