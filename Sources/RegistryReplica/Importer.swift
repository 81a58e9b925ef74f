public import Foundation
import RegistryCore
import RegistryCrypto
import RegistryStorage

/// What an import did.
public struct ImportReport: Sendable, Equatable, Codable {
    public var rows = 0
    /// New registrations stored.
    public var imported = 0
    /// Rows whose registration was already in the replica (importing a file twice changes nothing).
    public var alreadyPresent = 0
    /// Rows refused (only with `skipInvalid`; they are in the rejects file).
    public var rejected = 0
    public var rejectsFile: String?
    public var issues: [InputIssue] = []
}

/// Reads registration files (`.csv` with a header row, or `.jsonl`) into validated inputs.
enum RegistrationFile {
    struct Row {
        let line: Int
        let input: RegistrationInput
        /// The row as it was in the file, for the rejects file.
        let original: String
    }

    static func read(_ path: String) throws(ReplicaError) -> (rows: [Row], issues: [InputIssue]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReplicaError(.io, "cannot read \(URL(fileURLWithPath: path).lastPathComponent)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReplicaError(.invalidInput, "the file is not UTF-8", issues: [InputIssue(line: 1, column: "-", reason: "not UTF-8")])
        }
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": return try csv(body)
        case "jsonl", "ndjson": return jsonLines(body)
        default: throw ReplicaError(.invalidInput, "unknown file type: use .csv or .jsonl")
        }
    }

    static func csv(_ text: String) throws(ReplicaError) -> (rows: [Row], issues: [InputIssue]) {
        let records: [CSV.Record]
        do { records = try CSV.parse(text) } catch {
            let issue = InputIssue(line: error.line, column: "-", reason: error.reason)
            throw ReplicaError(.invalidInput, "the CSV file is malformed", issues: [issue])
        }
        guard let header = records.first else { return ([], []) }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var issues = columns.filter { !RegistrationColumns.input.contains($0) }.map { InputIssue(line: header.line, column: $0, reason: "unknown column") }
        if Set(columns).count != columns.count { issues.append(InputIssue(line: header.line, column: "-", reason: "a column appears twice")) }
        guard issues.isEmpty else { return ([], issues) }
        var rows: [Row] = []
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                issues.append(InputIssue(line: record.line, column: "-", reason: "has \(record.fields.count) fields, the header has \(columns.count)"))
                rows.append(Row(line: record.line, input: RegistrationInput([:]), original: CSV.line(record.fields)))
                continue
            }
            rows.append(Row(line: record.line, input: RegistrationInput(Dictionary(uniqueKeysWithValues: zip(columns, record.fields))), original: CSV.line(record.fields)))
        }
        return (rows, issues)
    }

    static func jsonLines(_ text: String) -> (rows: [Row], issues: [InputIssue]) {
        var rows: [Row] = []
        var issues: [InputIssue] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            let number = offset + 1
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                issues.append(InputIssue(line: number, column: "-", reason: "not a JSON object"))
                rows.append(Row(line: number, input: RegistrationInput([:]), original: trimmed + "\n"))
                continue
            }
            var values: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case let text as String: values[key] = text
                case is NSNull: continue
                case let number as NSNumber: values[key] = number.stringValue
                default: issues.append(InputIssue(line: number, column: key, reason: "must be a string"))
                }
            }
            rows.append(Row(line: number, input: RegistrationInput(values), original: trimmed + "\n"))
        }
        return (rows, issues)
    }
}
