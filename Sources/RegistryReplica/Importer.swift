public import Foundation
import RegistryCore
import RegistryCrypto
import RegistryMatching
public import RegistryStorage

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
    /// New registrations stored with `duplicate_check = provisional` (the site-time check found a
    /// possible duplicate in the replica or in the same file).
    public var provisional = 0
    /// Pairs found (a pair inside the file counts once).
    public var duplicatePairCount = 0
    /// The pairs, strongest per row, up to the site check's reporting limit; ids and field names only.
    public var duplicates: [DuplicateFinding] = []
    /// New rows the check did not reach against the replica before its time budget ran out.
    public var uncheckedRows = 0
}

/// Reads registration files (`.csv` with a header row, or `.jsonl`) into validated inputs.
enum RegistrationFile {
    struct Row: Sendable {
        let line: Int
        let input: RegistrationInput
        /// The row as it was in the file, for the rejects file (built only for rejected rows).
        let fields: [String]
        var isJSON = false
        var original: String { isJSON ? fields[0] + "\n" : CSV.line(fields) }
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
        do { records = try CSV.parse(text, parts: 2) } catch {
            let issue = InputIssue(line: error.line, column: "-", reason: error.reason)
            throw ReplicaError(.invalidInput, "the CSV file is malformed", issues: [issue])
        }
        guard let header = records.first else { return ([], []) }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let resolved = columns.map { RegistrationInput.Column.byName[$0] }
        var issues = zip(columns, resolved).filter { $0.1 == nil }.map { InputIssue(line: header.line, column: $0.0, reason: "unknown column") }
        if Set(columns).count != columns.count { issues.append(InputIssue(line: header.line, column: "-", reason: "a column appears twice")) }
        guard issues.isEmpty else { return ([], issues) }
        let rows = parallelMap(records.count - 1) { index in
            let record = records[index + 1]
            let input = record.fields.count == columns.count ? RegistrationInput(columns: resolved, names: columns, cells: record.fields) : RegistrationInput([:])
            return Row(line: record.line, input: input, fields: record.fields)
        }
        for row in rows where row.fields.count != columns.count {
            issues.append(InputIssue(line: row.line, column: "-", reason: "has \(row.fields.count) fields, the header has \(columns.count)"))
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
                rows.append(Row(line: number, input: RegistrationInput([:]), fields: [trimmed], isJSON: true))
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
            rows.append(Row(line: number, input: RegistrationInput(values), fields: [trimmed], isJSON: true))
        }
        return (rows, issues)
    }
}

/// How an import treats bad rows.
public struct ImportOptions: Sendable {
    /// Import the good rows and write the bad ones, with their reasons, to `rejectsFile`.
    public var skipInvalid = false
    public var rejectsFile: String?
    /// Rows per flush inside the one import transaction.
    public var chunkSize = 2_000
    public init(skipInvalid: Bool = false, rejectsFile: String? = nil) {
        self.skipInvalid = skipInvalid
        self.rejectsFile = rejectsFile
    }
}

extension Registry {
    /// Imports a `.csv` or `.jsonl` file of registrations in one transaction.
    ///
    /// A file with bad rows is refused whole, listing each bad row's line, column and reason; with
    /// `skipInvalid` the good rows are imported and the bad ones written to a rejects file for a person
    /// to fix. Rows already in the replica (same `record_id`, site and state) are skipped, so importing
    /// a file twice creates no duplicates. A killed import leaves the replica unchanged.
    public func importFile(
        _ path: String, options: ImportOptions = ImportOptions(), now: Date = Date(),
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws(ReplicaError) -> ImportReport {
        let (rows, readIssues) = try RegistrationFile.read(path)
        var report = ImportReport()
        report.rows = rows.count
        var issuesByLine: [Int: [InputIssue]] = Dictionary(grouping: readIssues, by: \.line)
        var firstLineOfID: [RecordID: Int] = [:]
        var accepted: [Int] = []  // rows to store, by index
        accepted.reserveCapacity(rows.count)
        let parsingIssues = issuesByLine
        // Each row validated, given its id, and put in the matcher's form, on every core.
        let checked = parallelMap(rows.count) { index in
            let row = rows[index]
            let issues = parsingIssues[row.line] ?? row.input.validate(line: row.line)
            let id = self.recordID(for: row.input, now: now)
            return (issues: issues, id: id, person: issues.isEmpty ? self.personRecord(input: row.input, id: id, householdID: nil) : nil)
        }
        for (index, row) in rows.enumerated() {
            var issues = checked[index].issues
            let id = checked[index].id
            if issues.isEmpty, row.input[.recordID] != nil, let first = firstLineOfID.updateValue(row.line, forKey: id) {
                firstLineOfID[id] = first
                issues.append(InputIssue(line: row.line, column: "record_id", reason: "repeats the record_id of line \(first)"))
            }
            if issues.isEmpty {
                accepted.append(index)
            } else {
                issuesByLine[row.line] = issues
            }
        }
        // Header-level problems (unknown columns) have no rows behind them.
        let headerIssues = readIssues.filter { issue in !rows.contains { $0.line == issue.line } }
        report.issues = issuesByLine.isEmpty ? [] : (headerIssues + rows.flatMap { issuesByLine[$0.line] ?? [] })
        guard report.issues.isEmpty || (options.skipInvalid && headerIssues.isEmpty) else {
            throw ReplicaError(.invalidInput, "\(Set(report.issues.map(\.line)).count) row(s) are not valid; nothing was imported", issues: report.issues)
        }
        if !report.issues.isEmpty {
            let rejected = rows.filter { issuesByLine[$0.line] != nil }
            report.rejected = rejected.count
            report.rejectsFile = try writeRejects(rejected, issuesByLine: issuesByLine, source: path, to: options.rejectsFile)
        }
        let present = try storage { () throws(StorageError) in try store.existing(accepted.map { checked[$0].id }) }
        let fresh = present.isEmpty ? accepted : accepted.filter { !present.contains(checked[$0].id) }
        report.alreadyPresent = accepted.count - fresh.count
        // Site-time duplicate check, before anything is written: flagged rows are stored provisional in
        // the same transaction. First against the replica as it was.
        let probes = fresh.map { DuplicateProbe(id: checked[$0].id, person: checked[$0].person!, line: rows[$0].line) }
        let references = fresh.map { rows[$0].input[.recordID] }
        var check = try replicaCheck(probes, references: references)
        // Then the file's rows against each other, scanned chunk by chunk on other cores while the
        // chunk before is stored: once a chunk is scanned, every pair of its rows is known.
        let scan = DedupeScan(matcher: fileMatcher, records: probes.map(\.person))
        let chunks = HandOff<[RecordEdit]>(capacity: 2)
        let producer = DispatchGroup()
        nonisolated(unsafe) var filePairs: [(pair: DedupeScan.Pair, probability: Double)] = []
        nonisolated(unsafe) var flaggedCount = 0
        let (site, state, chunkSize, replicaFlagged) = (identity.siteID, identity.state, options.chunkSize, check.flagged)
        DispatchQueue.global(qos: .userInitiated).async(group: producer) {
            var flagged = replicaFlagged
            for start in stride(from: 0, to: fresh.count, by: chunkSize) {
                let end = min(start + chunkSize, fresh.count)
                for pair in scan.scan(through: end) {
                    guard let probability = self.flagging(pair, model: scan.model) else { continue }
                    flagged.insert(pair.a)
                    flagged.insert(pair.b)
                    filePairs.append((pair, probability))
                }
                let provisional = (start..<end).map { flagged.contains($0) }
                let edits = parallelMap(end - start, chunkSize: 512) { offset in
                    let index = fresh[start + offset]
                    var operations = rows[index].input.operations(defaultSite: site, defaultCountry: state, now: now)
                    if provisional[offset] { operations.append(Self.provisionalOperation) }
                    return RecordEdit(record: checked[index].id, operations: operations)
                }
                guard chunks.send(edits) else { return }
            }
            flaggedCount = flagged.count
            chunks.finish()
        }
        progress(0, fresh.count)
        do {
            report.imported = try storage { () throws(StorageError) in
                try store.commitAll(chunks, wallMilliseconds: Self.milliseconds(now)) { progress($0, fresh.count) }
            }
        } catch {
            chunks.cancel()
            producer.wait()
            throw error
        }
        producer.wait()
        addFilePairs(filePairs, scan: scan, probes: probes, references: references, to: &check)
        report.provisional = flaggedCount
        report.uncheckedRows = fresh.count - check.checked
        report.duplicatePairCount = check.pairCount
        report.duplicates = check.pairs
        return report
    }

    /// Writes rejected rows as they were, with line and reasons, next to the source unless told where.
    private func writeRejects(
        _ rows: [RegistrationFile.Row], issuesByLine: [Int: [InputIssue]], source: String, to target: String?
    ) throws(ReplicaError) -> String {
        let path = target ?? source + ".rejects"
        var text = "# rows refused by regsync import of \(URL(fileURLWithPath: source).lastPathComponent); fix and import again\n"
        for row in rows {
            let reasons = (issuesByLine[row.line] ?? []).map { "\($0.column): \($0.reason)" }.joined(separator: "; ")
            text += "# line \(row.line): \(reasons)\n" + row.original
        }
        try writeFile(path, Data(text.utf8), permissions: 0o600)
        return path
    }
}

/// Export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, jsonl
}

extension Registry {
    /// Writes every live registration with the import columns plus `id` and `status`; returns the count.
    public func export(_ format: ExportFormat, to handle: FileHandle) throws(ReplicaError) -> Int {
        var count = 0
        var buffer = Data()
        func flush(force: Bool) {
            if force || buffer.count > 1 << 16 {
                handle.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if format == .csv { buffer.append(Data(CSV.line(RegistrationColumns.export).utf8)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try forEachRegistration { row throws(ReplicaError) in
            switch format {
            case .csv:
                buffer.append(Data(CSV.line(RegistrationColumns.export.map { row.columns[$0] ?? "" }).utf8))
            case .jsonl:
                var object: [String: String] = [:]
                for column in RegistrationColumns.export { object[column] = row.columns[column] ?? "" }
                guard let line = try? encoder.encode(object) else { throw ReplicaError(.io, "encoding a registration failed") }
                buffer.append(line)
                buffer.append(0x0A)
            }
            count += 1
            flush(force: false)
        }
        flush(force: true)
        return count
    }

    /// Counts for the operator: by status, by nationality group, open conflicts.
    public func statusReport() throws(ReplicaError) -> StatusReport {
        let summary = try storage { () throws(StorageError) in try store.summary() }
        var report = StatusReport(identity: identity, summary: summary)
        try forEachRegistration { row in
            let group: String
            switch row.columns["nationality"].flatMap({ CountryCode.alpha3($0) }) {
            case "UKR": group = "ukrainian"
            case nil: group = "unknown"
            default: group = "third_country"
            }
            report.byNationalityGroup[group, default: 0] += 1
        }
        return report
    }
}

/// What `regsync status` shows.
public struct StatusReport: Sendable, Equatable {
    public let identity: ReplicaIdentity
    public let summary: ReplicaSummary
    public var byNationalityGroup: [String: Int] = [:]
}

/// Chunks made on one thread and taken, in order, on another (as a sequence): at most `capacity`
/// wait, so the maker stays a step or two ahead and memory stays flat.
final class HandOff<Element: Sendable>: Sequence, IteratorProtocol, @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [Element] = []
    private var finished = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while `capacity` chunks wait; false once the taker has cancelled (stop making more).
    func send(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        waiting.append(element)
        condition.broadcast()
        return true
    }

    /// No more chunks: the sequence ends once the waiting ones are taken.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The taker gives up (its transaction failed): the maker's next `send` returns false.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func next() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !finished { condition.wait() }
        guard !waiting.isEmpty else { return nil }
        condition.broadcast()
        return waiting.removeFirst()
    }
}
