public import ArgumentParser
import Foundation
import RegistryCore
public import RegistryReplica
public import RegistryStorage

extension ReplicaIdentity.Role: ExpressibleByArgument {}
extension KeyFileCost: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a node: keys sealed with a passphrase, configuration, empty replica.")
    @OptionGroup var node: NodeOptions
    @Option(help: "site, central or hub.") var role: ReplicaIdentity.Role
    @Option(help: "Member state, ISO 3166 alpha-2.") var state: String
    @Option(help: "This site's id (a central node names itself, e.g. NL-CENTRAL).") var site: String
    @Option(help: "The central node's URL, for sites.") var central: String?
    @Option(help: "A status catalogue JSON file (default: the built-in one for the state).") var catalogue: String?
    @Option(help: "Passphrase hashing cost: interactive, moderate, sensitive (minimum: tests only).") var kdfCost: KeyFileCost = .interactive

    func run() throws {
        let output = Output(json: node.json)
        let registry = try output.guarding {
            try Registry.initialize(
                directory: try node.directory, role: role, state: state, siteID: site,
                passphrase: try Passphrase.read(file: node.passphraseFile, confirm: true), cost: kdfCost, centralURL: central,
                catalogueFile: catalogue)
        }
        let identity = registry.identity
        output.emit(["replica_id": identity.replicaID.description, "role": identity.role.rawValue, "state": identity.state, "site_id": identity.siteID, "dir": registry.directory.path]) {
            "initialised \(identity.role.rawValue) \(identity.siteID) (\(identity.state)) in \(registry.directory.path)\nreplica \(identity.replicaID)"
        }
    }
}

struct Register: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Register a person; prints the new record id.")
    @OptionGroup var node: NodeOptions
    @OptionGroup var fields: RegistrationFlags
    @Option(help: "Household this person arrived with: members of one household (twins, namesakes) are never taken for one person.")
    var householdId: String?
    @Option(name: .customLong("input-json"), help: ArgumentHelp("The registration as a JSON object (also accepted as --json '{…}').", valueName: "json"))
    var inputJSON: String?

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        var values = fields.values
        if let inputJSON {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(inputJSON.utf8))) as? [String: Any] else {
                try output.guarding { throw ReplicaError(.invalidInput, "--json must be a JSON object") }
                return
            }
            for (key, value) in object { values[key] = (value as? String) ?? (value as? NSNumber)?.stringValue }
        }
        let result = try output.guarding { try registry.registerChecked(RegistrationInput(values), householdID: householdId) }
        output.emit([
            "id": result.id.description, "duplicate_check": result.provisional ? "provisional" : NSNull(),
            "duplicates": result.duplicates.map(findingObject),
        ]) { result.id.description }
        // The operator sees possible duplicates at once (on standard error, so standard output stays the id).
        if !node.json, !result.duplicates.isEmpty {
            var text = "possible duplicate\(result.duplicates.count == 1 ? "" : "s") in this replica; stored as provisional (reception is not refused):\n"
            for finding in result.duplicates {
                var name = ""
                // Names only on the operator's terminal, never into a redirected log.
                if isatty(STDERR_FILENO) == 1, let id = RecordID(finding.candidateID), let row = try? registry.show(id) {
                    name = [row.columns["given_name"], row.columns["family_name"], row.columns["birth_date"]].compactMap { $0 }.joined(separator: " ")
                }
                text += "  \(finding.candidateID)  \(finding.candidateRecordID ?? "-")  \(name)  \(finding.band) \(String(format: "%.4f", finding.score))  \(finding.explanation)\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import registrations from a .csv (header row) or .jsonl file.")
    @OptionGroup var node: NodeOptions
    @Argument(help: "The file to import.") var file: String
    @Flag(help: "Import the valid rows and write the others to a rejects file.") var skipInvalid = false
    @Option(help: "Where rejected rows go (default: FILE.rejects).") var rejects: String?

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let bar = ProgressBar("importing", enabled: !node.json)
        let report = try output.guarding {
            try registry.importFile(file, options: ImportOptions(skipInvalid: skipInvalid, rejectsFile: rejects)) { bar.update($0, $1) }
        }
        output.emit([
            "rows": report.rows, "imported": report.imported, "already_present": report.alreadyPresent, "rejected": report.rejected,
            "rejects_file": report.rejectsFile ?? NSNull(),
            "issues": report.issues.map { ["line": $0.line, "column": $0.column, "reason": $0.reason] },
            "provisional": report.provisional, "duplicate_pairs": report.duplicatePairCount, "unchecked_rows": report.uncheckedRows,
            "duplicates": report.duplicates.map(findingObject),
        ]) {
            var text = "imported \(report.imported) of \(report.rows) rows (\(report.alreadyPresent) already present)"
            if let file = report.rejectsFile { text += "\n\(report.rejected) rows rejected, written to \(file)" }
            if report.duplicatePairCount > 0 {
                text += "\n\(report.duplicatePairCount) possible duplicate pairs; \(report.provisional) registrations stored as provisional:"
                for finding in report.duplicates.prefix(50) {
                    let other = finding.candidateLine.map { "line \($0)" } ?? (finding.candidateRecordID ?? finding.candidateID)
                    text += "\n  line \(finding.line ?? 0) ~ \(other) (\(finding.source))  \(finding.band) \(String(format: "%.4f", finding.score))  \(finding.explanation)"
                }
                if report.duplicatePairCount > 50 { text += "\n  … \(report.duplicatePairCount - 50) more (see --json)" }
            }
            if report.uncheckedRows > 0 { text += "\n\(report.uncheckedRows) rows not checked against the replica (time budget); the central run will check them" }
            return text
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export registrations with the import columns plus id and status.")
    @OptionGroup var node: NodeOptions
    @Option(help: "csv or jsonl.") var format: ExportFormat = .csv
    @Option(help: "Output file (default: standard output).") var out: String?

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let handle: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]), let file = FileHandle(forWritingAtPath: out) else {
                try output.guarding { throw ReplicaError(.io, "cannot write the output file") }
                return
            }
            handle = file
        } else {
            handle = .standardOutput
        }
        let count = try output.guarding { try registry.export(format, to: handle) }
        if let out {
            try handle.close()
            output.emit(["exported": count, "format": format.rawValue, "out": out]) { "exported \(count) registrations to \(out)" }
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one registration by id or record_id.")
    @OptionGroup var node: NodeOptions
    @Argument var id: String

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let row = try output.guarding { () throws -> RegistrationRow in
            guard let row = try registry.show(try registry.resolve(id)) else { throw ReplicaError(.notFound, "no registration with that id") }
            return row
        }
        output.emit(rowObject(row)) { describe(row) }
    }
}

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Find registrations by name (any script or spelling) or exact document number.")
    @OptionGroup var node: NodeOptions
    @Argument var query: String

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let rows = try output.guarding { try registry.search(query) }
        output.emit(["count": rows.count, "results": rows.map(rowObject)]) {
            rows.isEmpty ? "no match" : rows.map { row in
                let name = [row.columns["given_name"], row.columns["family_name"]].compactMap { $0 }.joined(separator: " ")
                return "\(row.id)  \(row.columns["record_id"] ?? "-")  \(name)  \(row.columns["birth_date"] ?? "")  \(row.status ?? "")"
            }.joined(separator: "\n")
        }
    }
}

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Correct fields of a registration (concurrent corrections show as conflicts).")
    @OptionGroup var node: NodeOptions
    @Argument var id: String
    @OptionGroup var fields: RegistrationFlags

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let row = try output.guarding { () throws -> RegistrationRow? in
            let record = try registry.resolve(id)
            try registry.edit(record, RegistrationInput(fields.values))
            return try registry.show(record)
        }
        if let row { output.emit(rowObject(row)) { "updated \(row.id)" } }
    }
}

struct Event: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a status event; the status follows from all events and the state's rules.")
    @OptionGroup var node: NodeOptions
    @Argument var id: String
    @Option(help: "A status code of the state's catalogue.") var status: String
    @Option(help: "Effective date, YYYY-MM-DD (default: today).") var date: String?
    @Option(help: "Who decided.") var actor: String?
    @Option(help: "On what basis.") var basis: String?

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let today = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate])
        let (record, current) = try output.guarding { () throws -> (RecordID, String) in
            let record = try registry.resolve(id)
            return (record, try registry.addEvent(record, status: status, date: date ?? today, actor: actor, basis: basis))
        }
        output.emit(["id": record.description, "status": current]) { "\(record): status now \(current)" }
    }
}

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Erase a registration on every replica (values wiped, never resurrected).")
    @OptionGroup var node: NodeOptions
    @Argument var id: String

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let record = try output.guarding { () throws -> RecordID in
            let record = try registry.resolve(id)
            try registry.erase(record)
            return record
        }
        output.emit(["id": record.description, "erased": true]) { "erased \(record)" }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts by status and nationality group, open conflicts, version vector.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let report = try output.guarding { try registry.statusReport() }
        let review = try output.guarding { try registry.reviewSummary() }
        let summary = report.summary
        let vector = Dictionary(uniqueKeysWithValues: summary.versionVector.counters.map { ($0.key.description, Int($0.value)) })
        output.emit([
            "site_id": report.identity.siteID, "state": report.identity.state, "role": report.identity.role.rawValue,
            "registrations": summary.byEntity["registration"] ?? 0, "erased": summary.erased, "by_status": summary.byStatus,
            "by_nationality_group": report.byNationalityGroup, "conflicts_open": summary.recordsWithConflicts,
            "version_vector": vector, "duplicate_cases": review.cases, "duplicate_cases_open": review.open,
            "duplicate_problems": review.problems,
        ]) {
            var lines = ["\(report.identity.role.rawValue) \(report.identity.siteID) (\(report.identity.state)): \(summary.byEntity["registration"] ?? 0) registrations, \(summary.erased) erased, \(summary.recordsWithConflicts) with open conflicts"]
            lines.append("by status: " + summary.byStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines.append("by nationality group: " + report.byNationalityGroup.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            if review.cases > 0 {
                var line = "duplicate cases: \(review.open) open of \(review.cases)"
                if review.problems > 0 { line += "; PROBLEM: \(review.problems) with two_active_registrations (regsync review list)" }
                lines.append(line)
            }
            return lines.joined(separator: "\n")
        }
    }
}

func rowObject(_ row: RegistrationRow) -> [String: Any] {
    var object: [String: Any] = row.columns
    object["conflicts"] = row.conflicts
    object["erased"] = row.isErased
    return object
}

func describe(_ row: RegistrationRow) -> String {
    if row.isErased { return "\(row.id): erased" }
    var lines = RegistrationColumns.export.compactMap { column in row.columns[column].map { "\(column): \($0)" } }
    if !row.conflicts.isEmpty { lines.append("CONFLICTS to review: " + row.conflicts.joined(separator: ", ")) }
    return lines.joined(separator: "\n")
}

func findingObject(_ finding: DuplicateFinding) -> [String: Any] {
    [
        "id": finding.id, "record_id": finding.recordID ?? NSNull(), "line": finding.line ?? NSNull(),
        "candidate_id": finding.candidateID, "candidate_record_id": finding.candidateRecordID ?? NSNull(),
        "candidate_line": finding.candidateLine ?? NSNull(), "source": finding.source, "score": finding.score, "band": finding.band,
        "explanation": finding.explanation,
    ]
}
