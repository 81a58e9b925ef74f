public import Foundation
public import RegistryCore
import RegistryCrypto
import RegistryStorage
import RegistryReplica
import GRDB

/// Runs `body` inside the measured part: the benchmark harness starts and stops its metrics around it,
/// `ReplicaFigures` reads a clock. Everything outside `body` (fresh directories, keys, data) is setup.
public typealias Measure = (_ body: () throws -> Void) throws -> Void

/// A fresh directory under the temp folder; removed by `remove()`.
public struct ScratchDirectory: Sendable {
    public let path: String
    public init(_ label: String) {
        path = NSTemporaryDirectory() + "regsync-bench-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func file(_ name: String) -> String { path + "/" + name }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The same SQLite settings as the replica (`ReplicaStore.openQueue`): 8 KiB pages, WAL, synchronous FULL, 64 MiB cache.
func baselineQueue(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.prepareDatabase { db in
        try db.execute(sql: "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536")
    }
    return try DatabaseQueue(path: path, configuration: configuration)
}

/// Size of a SQLite file once its WAL is checkpointed and truncated: `page_count * page_size`,
/// plus the file sizes on disk (main file and what is left of the WAL) as a cross-check.
public struct DatabaseSize: Sendable {
    public var pageBytes = 0
    public var fileBytes = 0
    public var walBytes = 0
    public var freePages = 0
    /// Bytes per table or index from the `dbstat` virtual table (empty if SQLite lacks it).
    public var byObject: [(name: String, bytes: Int)] = []
    /// For a replica: row counts and average column sizes (state, terms, sealed bodies); empty otherwise.
    public var replicaDetail: String = ""
    public init() {}

    public static func measure(_ path: String) throws -> DatabaseSize {
        var size = DatabaseSize()
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            size.pageBytes = pages * pageSize
            size.freePages = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            if let rows = try? Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC") {
                size.byObject = rows.map { ($0["name"], $0["bytes"]) }
            }
            if let row = try? Row.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM record) AS records, (SELECT AVG(LENGTH(state)) FROM record) AS state,
                       (SELECT COUNT(*) FROM blind) AS blind, (SELECT COUNT(*) FROM changeblock) AS blocks,
                       (SELECT SUM(sets) FROM changeblock) AS sets, (SELECT SUM(LENGTH(body)) FROM changeblock) AS body
                """) {
                let records: Int = row["records"], blind: Int = row["blind"], blocks: Int = row["blocks"]
                let sets: Int = row["sets"] ?? 0, body: Int = row["body"] ?? 0
                let state: Double = row["state"] ?? 0
                size.replicaDetail = "\(records) record rows (state blob avg \(Int(state)) B), "
                    + "\(blind) blind-index rows (\(Double(blind) / Double(max(1, records))) per record), "
                    + "\(sets) change sets in \(blocks) sealed blocks (\(body / max(1, sets)) B per change set)"
            }
        }
        try queue.close()
        let attributes = { (p: String) in (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0 }
        size.fileBytes = attributes(path)
        size.walBytes = attributes(path + "-wal")
        return size
    }
}

let passphrase = SecureBytes(Array("benchmark passphrase".utf8))

/// Creates a node the way `regsync init` does (cheapest passphrase hash: it is not what is measured).
func freshRegistry(in directory: ScratchDirectory, role: ReplicaIdentity.Role = .site) throws -> Registry {
    try Registry.initialize(
        directory: NodeDirectory(directory.file("node")), role: role, state: "NL", siteID: "NL-TA-01",
        passphrase: passphrase, cost: .minimum)
}

// MARK: 1 + 3: import of registrations, and the database size after it

public struct ImportResult: Sendable {
    public var rows = 0
    public var size = DatabaseSize()
    public init() {}
}

public enum ImportWorkload {
    /// `Registry.importFile` of `csvPath` into a fresh node (CSV parse, validation, blind index, sealing, one transaction).
    public static func replica(csvPath: String, measure: Measure) throws -> ImportResult {
        let directory = ScratchDirectory("import")
        defer { directory.remove() }
        var result = ImportResult()
        let replicaFile: String
        do {
            let registry = try freshRegistry(in: directory)
            replicaFile = registry.directory.replicaFile
            var report: ImportReport?
            try measure { report = try registry.importFile(csvPath) }
            guard let report, report.issues.isEmpty else { throw BenchError("import reported issues: " + String(describing: report?.issues.prefix(3))) }
            result.rows = report.imported
        } // the registry (and its SQLite connection) is released here
        result.size = try DatabaseSize.measure(replicaFile)
        return result
    }

    /// The baseline: the same CSV read and split, the same plaintext rows inserted into one plain table
    /// of 13 TEXT columns with one cached prepared INSERT, in one transaction; WAL, synchronous FULL.
    public static func plainSQLite(csvPath: String, measure: Measure) throws -> ImportResult {
        let directory = ScratchDirectory("import-baseline")
        defer { directory.remove() }
        let file = directory.file("plain.sqlite")
        var result = ImportResult()
        do {
            let queue = try baselineQueue(file)
            let columns = SyntheticRegistrations.columns
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE registration(" + columns.map { "\($0) TEXT" }.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO registration(\(columns.joined(separator: ", "))) VALUES (" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
            try measure {
                guard let data = FileManager.default.contents(atPath: csvPath) else { throw BenchError("cannot read \(csvPath)") }
                let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst()
                try queue.write { db in
                    let insert = try db.cachedStatement(sql: sql)
                    for line in lines {
                        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                        let values: [(any DatabaseValueConvertible)?] = fields.map { $0.isEmpty ? nil : String($0) }
                        try insert.execute(arguments: StatementArguments(values))
                        result.rows += 1
                    }
                }
            }
            try queue.close()
        }
        result.size = try DatabaseSize.measure(file)
        return result
    }
}

// MARK: 2: applying change sets received from a peer

/// What a peer sends: the change sets of a source replica, read back with `changeSets(from:after:maxBytes:)`
/// in sync-sized batches, plus a flat form of every change for the baseline.
public struct ApplyDataset: Sendable {
    public var batches: [[ChangeSet]] = []
    public var changes = 0
    public var changeSets = 0
    public var registrations = 0
    public var registrationChanges = 0
    public var familyNameEdits = 0
    public var phoneEdits = 0
    public var maxBytes = 0
    /// Per batch: (record id, field number, encoded value, hlc) of every field change.
    public var flat: [[FlatChange]] = []

    public struct FlatChange: Sendable {
        public let record: Data
        public let field: Int64
        public let value: Data?
        public let hlc: Int64
    }

    /// Builds the data at a source node: an import of `registrations` rows (one change set of ~12 field
    /// changes each), then single-field corrections on random registrations (alternately `family_name`,
    /// an indexed multi-value field, and `phone`, a plain last-writer-wins field) until exactly
    /// `totalChanges` changes exist. Then reads them all back in batches of at most `maxBytes`.
    public static func make(registrations: Int = 80_000, totalChanges: Int = 1_000_000, maxBytes: Int = 1 << 20) throws -> ApplyDataset {
        let directory = ScratchDirectory("apply-source")
        defer { directory.remove() }
        var dataset = ApplyDataset()
        dataset.maxBytes = maxBytes
        dataset.registrations = registrations
        let source = try freshRegistry(in: directory)
        let csvPath = directory.file("source.csv")
        try SyntheticRegistrations.writeCSV(count: registrations, to: csvPath, seed: 0xA991_1E5)
        let report = try source.importFile(csvPath)
        guard report.imported == registrations else { throw BenchError("source import stored \(report.imported) of \(registrations)") }
        let me = source.identity.replicaID
        let store = source.store
        var records: [RecordID] = []
        var seq: UInt64 = 0
        while true {
            let sets = try store.changeSets(from: me, after: seq, maxBytes: 1 << 22)
            guard let last = sets.last else { break }
            records += sets.map(\.record)
            dataset.registrationChanges += sets.reduce(0) { $0 + $1.count }
            seq = last.lastSeq
        }
        let edits = max(0, totalChanges - dataset.registrationChanges)
        var rng = SplitMix64(seed: 0xED17)
        let family = Schema.registration["family_name"]!.id, phone = Schema.registration["phone"]!.id
        let names = SyntheticRegistrations.familyLatin
        var recordEdits: [RecordEdit] = []
        recordEdits.reserveCapacity(edits)
        for index in 0..<edits {
            let record = records[Int(rng.next() % UInt64(records.count))]
            if index % 2 == 0 {
                recordEdits.append(RecordEdit(record: record, operations: [.set(family, .text(names[Int(rng.next() % UInt64(names.count))] + "a"))]))
                dataset.familyNameEdits += 1
            } else {
                recordEdits.append(RecordEdit(record: record, operations: [.set(phone, .text("+31 6 \(10_000_000 + rng.next() % 90_000_000)"))]))
                dataset.phoneEdits += 1
            }
        }
        let chunks = stride(from: 0, to: recordEdits.count, by: 2_000).map { Array(recordEdits[$0..<min($0 + 2_000, recordEdits.count)]) }
        _ = try store.commitAll(chunks, wallMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
        seq = 0
        while true {
            let sets = try store.changeSets(from: me, after: seq, maxBytes: maxBytes)
            guard let last = sets.last else { break }
            dataset.batches.append(sets)
            dataset.changeSets += sets.count
            dataset.changes += sets.reduce(0) { $0 + $1.count }
            seq = last.lastSeq
        }
        dataset.flat = dataset.batches.map { batch in
            batch.flatMap { set -> [FlatChange] in
                guard case .fields(let fields) = set.content else { return [] }
                let record = Data(set.record.bytes)
                return fields.map { FlatChange(record: record, field: Int64($0.field.rawValue), value: $0.operation.value.map { Data(ValueCodec.encode($0)) }, hlc: Int64(bitPattern: set.hlc.rawValue)) }
            }
        }
        return dataset
    }
}

public struct ApplyResult: Sendable {
    public var changes = 0
    public var changeSets = 0
    public var size = DatabaseSize()
    public init() {}
}

public enum ApplyWorkload {
    /// `ReplicaStore.apply` of every batch, in order, into a fresh node (one transaction per batch).
    public static func replica(_ dataset: ApplyDataset, measure: Measure) throws -> ApplyResult {
        let directory = ScratchDirectory("apply")
        defer { directory.remove() }
        var result = ApplyResult()
        let replicaFile: String
        do {
            let target = try freshRegistry(in: directory, role: .central)
            replicaFile = target.directory.replicaFile
            let store = target.store
            try measure {
                for batch in dataset.batches {
                    let outcome = try store.apply(batch, wallMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
                    result.changes += outcome.changes
                    result.changeSets += outcome.applied
                }
            }
        }
        guard result.changes == dataset.changes else { throw BenchError("applied \(result.changes) of \(dataset.changes) changes") }
        result.size = try DatabaseSize.measure(replicaFile)
        return result
    }

    /// The baseline: a naive select-compare-update loop over one plain table keyed by (record, field):
    /// for each change, SELECT the stored clock; INSERT if absent, UPDATE if the change is newer.
    /// One transaction per batch, same batches, WAL, synchronous FULL. No log, no sealing, no index.
    public static func plainSQLite(_ dataset: ApplyDataset, measure: Measure) throws -> ApplyResult {
        let directory = ScratchDirectory("apply-baseline")
        defer { directory.remove() }
        let file = directory.file("plain.sqlite")
        var result = ApplyResult()
        do {
            let queue = try baselineQueue(file)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE field(record BLOB NOT NULL, field INTEGER NOT NULL, value BLOB, hlc INTEGER NOT NULL, PRIMARY KEY(record, field))")
            }
            try measure {
                for batch in dataset.flat {
                    try queue.write { db in
                        let select = try db.cachedStatement(sql: "SELECT hlc FROM field WHERE record = ? AND field = ?")
                        let insert = try db.cachedStatement(sql: "INSERT INTO field(record, field, value, hlc) VALUES (?, ?, ?, ?)")
                        let update = try db.cachedStatement(sql: "UPDATE field SET value = ?, hlc = ? WHERE record = ? AND field = ?")
                        for change in batch {
                            if let stored = try Int64.fetchOne(select, arguments: [change.record, change.field]) {
                                if change.hlc > stored { try update.execute(arguments: [change.value, change.hlc, change.record, change.field]) }
                            } else {
                                try insert.execute(arguments: [change.record, change.field, change.value, change.hlc])
                            }
                            result.changes += 1
                        }
                    }
                }
            }
            try queue.close()
        }
        result.changeSets = dataset.changeSets
        result.size = try DatabaseSize.measure(file)
        return result
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
