public import ArgumentParser
import Foundation
import RegistryCore
public import RegistryReplica

extension ReviewDecisionKind: ExpressibleByArgument {}

struct Dedupe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Central duplicate run: write every pair to a CSV, open a duplicate case per cluster, confirm or clear site flags.")
    @OptionGroup var node: NodeOptions
    @Option(help: "The CSV to write: record_id_a, record_id_b, score, band, explanation.") var out: String
    @Option(help: "Match threshold for this run, a probability (default 0.95).") var threshold: Double?

    func validate() throws {
        if let threshold, !(threshold > 0 && threshold < 1) { throw ValidationError("--threshold must be between 0 and 1 (exclusive)") }
    }

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: out)
        else {
            try output.guarding { throw ReplicaError(.io, "cannot write the output file") }
            return
        }
        let bar = SharedProgressBar(ProgressBar("comparing", enabled: !node.json))
        let started = Date()
        let report = try output.guarding {
            try registry.dedupe(csv: handle, matchThreshold: threshold) { done, total in bar.update(done, total) }
        }
        try handle.close()
        let seconds = Date().timeIntervalSince(started)
        // Sites check new registrations against the state's match index: refresh it with this run.
        let published = registry.identity.role == .site ? 0 : try output.guarding { try registry.publishMatchIndex() }
        output.emit([
            "match_index_entries_changed": published,
            "out": out, "registrations": report.registrations, "compared_pairs": report.comparedPairs, "pairs": report.pairs.count,
            "match_pairs": report.matchPairs, "possible_pairs": report.possiblePairs, "clusters": report.clusters,
            "cases_opened": report.casesOpened, "cases_existing": report.casesExisting, "confirmed": report.confirmed,
            "cleared": report.cleared, "threshold": report.matchThreshold, "seconds": (seconds * 1000).rounded() / 1000,
        ]) {
            """
            \(report.registrations) registrations, \(report.comparedPairs) pairs compared in \(String(format: "%.1f", seconds)) s
            \(report.pairs.count) pairs written to \(out): \(report.matchPairs) match, \(report.possiblePairs) possible (match threshold \(report.matchThreshold))
            \(report.clusters) clusters; duplicate cases: \(report.casesOpened) opened, \(report.casesExisting) already open
            duplicate_check: \(report.confirmed) confirmed, \(report.cleared) cleared
            match index: \(published) entries published or refreshed for the sites
            """
        }
    }
}

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Review duplicate cases: list, show side by side, decide (same person, different people, handover).",
        subcommands: [List.self, ShowCase.self, Decide.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open cases (no decision yet) and cases with a problem.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "List every case, decided ones too.") var all = false

        func run() throws {
            let output = Output(json: node.json)
            let registry = try node.open()
            let cases = try output.guarding { try registry.duplicateCases() }
            let shown = cases.filter { all || $0.isOpen || $0.problem != nil }
            output.emit([
                "cases": shown.map { caseObject($0, values: false) }, "total": cases.count, "open": cases.filter(\.isOpen).count,
                "problems": cases.filter { $0.problem != nil }.count,
            ]) {
                var lines = shown.map { item in
                    var line = "\(item.id)  \(item.band ?? "-")  \(item.score.map { String(format: "%.4f", $0) } ?? "-")  \(item.members.count) registrations  "
                    line += item.decision?.rawValue ?? "open"
                    if let problem = item.problem { line += "  PROBLEM: \(problem.rawValue)" }
                    return line
                }
                lines.append("\(cases.filter(\.isOpen).count) open, \(cases.filter { $0.problem != nil }.count) with a problem, \(cases.count) cases in all")
                return lines.joined(separator: "\n")
            }
        }
    }

    struct ShowCase: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a case's registrations side by side, with the explanation and decisions.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The case id (or a unique prefix of at least 4 characters).") var caseID: String

        func run() throws {
            let output = Output(json: node.json)
            let registry = try node.open()
            let item = try output.guarding { try registry.duplicateCase(caseID) }
            output.emit(caseObject(item, values: true)) { sideBySide(item) }
        }
    }

    struct Decide: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a decision; same_person and handover link the registrations, never merge them.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The case id (or a unique prefix of at least 4 characters).") var caseID: String
        @Option(help: "same_person, different_people or handover.") var decision: ReviewDecisionKind
        @Option(help: "On what basis (document seen, interview, another state's answer).") var basis: String?
        @Option(help: "Who decides (default: this site's id).") var by: String?

        func run() throws {
            let output = Output(json: node.json)
            let registry = try node.open()
            let item = try output.guarding { () throws -> DuplicateCase in
                let found = try registry.duplicateCase(caseID)
                return try registry.decide(found.id, decision: decision, by: by, basis: basis)
            }
            output.emit(caseObject(item, values: false)) {
                var text = "\(item.id): \(decision.rawValue)"
                if decision != .differentPeople, let person = item.members.first?.personID { text += "; linked as person \(person)" }
                if item.contested { text += "\nnote: reviewers decided differently on this case; the latest decision is in force" }
                if let problem = item.problem { text += "\nPROBLEM: \(problem.rawValue) — end or deactivate one registration (nothing was merged)" }
                return text
            }
        }
    }
}

/// A case as JSON. `values: true` adds the members' registration columns (operator's terminal only).
func caseObject(_ item: DuplicateCase, values: Bool) -> [String: Any] {
    var object: [String: Any] = [
        "id": item.id.description, "band": item.band ?? NSNull(), "score": item.score ?? NSNull(), "explanation": item.explanation ?? NSNull(),
        "opened_by": item.openedBy ?? NSNull(), "opened_at": item.openedAt ?? NSNull(), "decision": item.decision?.rawValue ?? NSNull(),
        "contested": item.contested, "problem": item.problem?.rawValue ?? NSNull(), "pairs": item.pairs,
        "decisions": item.decisions.map { decision -> [String: Any] in
            ["decision": decision.decision.rawValue, "by": decision.by, "at": decision.at, "basis": decision.basis ?? NSNull(), "site": decision.site, "state": decision.state]
        },
    ]
    object["members"] = item.members.map { member -> [String: Any] in
        var entry: [String: Any] = [
            "id": member.id.description, "present": member.row != nil, "status": member.row?.status ?? NSNull(),
            "category": member.category?.rawValue ?? NSNull(), "duplicate_check": member.duplicateCheck ?? NSNull(),
            "person_id": member.personID ?? NSNull(), "record_id": member.row?.columns["record_id"] ?? NSNull(),
            "site_id": member.row?.columns["site_id"] ?? NSNull(),
        ]
        if values, let row = member.row { entry["registration"] = row.columns }
        return entry
    }
    return object
}

/// The members in columns, one line per field, the explanation and decisions below.
func sideBySide(_ item: DuplicateCase) -> String {
    let fields = [
        "record_id", "site_id", "country", "given_name", "family_name", "patronymic", "sex", "birth_date", "birth_place",
        "nationality", "document_type", "document_number", "registered_at", "status",
    ]
    var columns: [[String]] = [["id"] + fields + ["category", "duplicate_check", "person_id"]]
    for member in item.members {
        var column = [member.id.description]
        if let row = member.row {
            column += fields.map { row.columns[$0] ?? "" }
            column += [member.category?.rawValue ?? "", member.duplicateCheck ?? "", member.personID ?? ""]
        } else {
            column += ["(not held by this replica)"] + Array(repeating: "", count: fields.count + 2)
        }
        columns.append(column)
    }
    let widths = columns.map { column in min(40, column.map(\.count).max() ?? 0) }
    var lines = ["case \(item.id)  band \(item.band ?? "-")  score \(item.score.map { String(format: "%.4f", $0) } ?? "-")  opened by \(item.openedBy ?? "-") at \(item.openedAt ?? "-")"]
    for row in columns[0].indices {
        lines.append(columns.indices.map { c in
            let cell = String(columns[c][row].prefix(40))
            return cell + String(repeating: " ", count: max(0, widths[c] - cell.count))
        }.joined(separator: "  "))
    }
    lines.append("explanation: \(item.explanation ?? "-")")
    for pair in item.pairs where item.pairs.count > 1 {
        lines.append("  \(pair["a"] ?? "") ~ \(pair["b"] ?? ""): \(pair["score"] ?? "") \(pair["band"] ?? ""): \(pair["explanation"] ?? "")")
    }
    if item.decisions.isEmpty { lines.append("decision: none yet (regsync review decide \(item.id) --decision same_person|different_people|handover)") }
    for decision in item.decisions {
        lines.append("decision: \(decision.decision.rawValue) by \(decision.by) at \(decision.at) (\(decision.site), \(decision.state))" + (decision.basis.map { "; basis: \($0)" } ?? ""))
    }
    if item.contested { lines.append("note: reviewers decided differently; the latest decision is in force") }
    if let problem = item.problem { lines.append("PROBLEM: \(problem.rawValue) — end or deactivate one registration (nothing was merged)") }
    return lines.joined(separator: "\n")
}

/// A ``ProgressBar`` the matcher may call from its worker threads.
final class SharedProgressBar: @unchecked Sendable {
    private let bar: ProgressBar
    private let lock = NSLock()
    init(_ bar: ProgressBar) { self.bar = bar }
    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        bar.update(done, total)
    }
}

struct MatchIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match-index",
        abstract: "At the central node: publish the state's match index (keyed encodings, no plaintext) for sites to check against offline.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let changed = try output.guarding { try registry.publishMatchIndex() }
        output.emit(["entries_changed": changed]) { "\(changed) match-index entries published or refreshed; they reach every site at its next sync" }
    }
}
