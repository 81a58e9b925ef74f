public import RegistryCore
import RegistryCrypto
import Foundation
import GRDB
import Synchronization

/// A node's local SQLite replica: change log, materialised records, version vector, blind index.
///
/// Every write (local edits and batches from peers) runs in one SQLite transaction in WAL mode with
/// `synchronous = FULL`: a crash leaves the replica as before or after a batch, never between.
/// Values are sealed before they reach SQLite; the file holds no personal value in the clear.
public final class ReplicaStore: Sendable {
    public let identity: ReplicaIdentity
    public let path: String
    private let queue: DatabaseQueue
    private let keys: StorageKeys
    /// The status rules in force, stored in the replica at creation.
    public let catalogue: StatusCatalogue?
    private let indexTerms: @Sendable (RecordView) -> [IndexTerm]
    private let repeatedTermKinds: Set<String>
    /// Blind entries of repeated terms (see ``Options/repeatedTermKinds``), shared by the cores that
    /// build rows: hashing a name key costs more than looking it up.
    private let blindMemo = Mutex<[IndexTerm: UInt64]>([:])
    /// Fields whose change can change index terms; other edits skip recomputing them.
    private let indexedFields: Set<FieldID>
    private let maxClockSkewMilliseconds: UInt64
    /// Per entity: fields whose change needs the record's view recomputed.
    private let triggers: [EntityKind: Set<FieldID>]

    func viewTriggers(_ entity: EntityKind) -> Set<FieldID> { triggers[entity] ?? [] }

    static let formatName = "regsync-replica"
    /// 2: change sets sealed in blocks (`changeblock`). Replicas of format 1 are refused with a clear error.
    static let formatVersion = 2

    /// Options that are not part of the replica file.
    public struct Options: Sendable {
        /// Extracts blind-index terms from a record (name skeletons, document numbers).
        public var indexTerms: @Sendable (RecordView) -> [IndexTerm]
        /// Field names the extractor reads.
        public var indexedFieldNames: [String]
        public var maxClockSkewMilliseconds: UInt64
        /// Term kinds whose blind entries are memoised because many records share them (name keys);
        /// document numbers and references are unique and would only fill the memo.
        public var repeatedTermKinds: Set<String>
        public init(
            indexTerms: @escaping @Sendable (RecordView) -> [IndexTerm] = { _ in [] },
            indexedFieldNames: [String] = [],
            maxClockSkewMilliseconds: UInt64 = 10 * 60 * 1000,
            repeatedTermKinds: Set<String> = []
        ) {
            self.indexTerms = indexTerms
            self.indexedFieldNames = indexedFieldNames
            self.maxClockSkewMilliseconds = maxClockSkewMilliseconds
            self.repeatedTermKinds = repeatedTermKinds
        }
    }

    private init(path: String, queue: DatabaseQueue, identity: ReplicaIdentity, keys: StorageKeys, catalogue: StatusCatalogue?, options: Options) {
        self.path = path
        self.queue = queue
        self.identity = identity
        self.keys = keys
        self.catalogue = catalogue
        indexTerms = options.indexTerms
        repeatedTermKinds = options.repeatedTermKinds
        let indexed = Set(options.indexedFieldNames.compactMap { Schema.registration[$0]?.id })
        indexedFields = indexed
        maxClockSkewMilliseconds = options.maxClockSkewMilliseconds
        triggers = WriteContext.viewFields.mapValues { $0.union(indexed) }
    }

    /// Creates a new replica file. Refuses to overwrite an existing one.
    public static func create(
        at path: String, identity: ReplicaIdentity, keys: StorageKeys, catalogue: StatusCatalogue?, options: Options = Options()
    ) throws(StorageError) -> ReplicaStore {
        guard !FileManager.default.fileExists(atPath: path) else { throw StorageError(.alreadyExists, "replica file exists") }
        let queue = try openQueue(path)
        try guarded {
            try migrator.migrate(queue)
            try queue.write { db in
                try setMeta(db, "format", Array("\(formatName)/\(formatVersion)".utf8))
                try setMeta(db, "identity", Array(try JSONEncoder().encode(identity)))
                try setMeta(db, "key_check", AEAD.seal(Array("regsync key check".utf8), key: keys.dataKey, additionalData: Array("key_check".utf8)))
                if let catalogue { try setMeta(db, "catalogue", Array(try JSONEncoder().encode(catalogue))) }
                try db.execute(sql: "INSERT INTO origin(idx, replica, seq) VALUES (1, ?, 0)", arguments: [Data(identity.replicaID.bytes)])
            }
        }
        return ReplicaStore(path: path, queue: queue, identity: identity, keys: keys, catalogue: catalogue, options: options)
    }

    /// Opens an existing replica, checking it is ours and that the keys fit.
    public static func open(at path: String, keys: StorageKeys, options: Options = Options()) throws(StorageError) -> ReplicaStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StorageError(.notFound, "no replica at the given path") }
        let queue = try openQueue(path)
        let (identity, catalogue): (ReplicaIdentity, StatusCatalogue?) = try guarded {
            try queue.read { db in
                guard try db.tableExists("meta"), let format = try meta(db, "format") else {
                    throw StorageError(.notAReplica, "no RegistrySync metadata")
                }
                let formatText = String(decoding: format, as: UTF8.self)
                guard formatText.hasPrefix(formatName + "/") else { throw StorageError(.notAReplica, "foreign format") }
                let version = Int(formatText.dropFirst(formatName.count + 1)) ?? .max
                guard version <= formatVersion else {
                    throw StorageError(.unsupportedFormat, "replica format \(formatText) is newer than this software")
                }
                guard version == formatVersion else {
                    throw StorageError(.unsupportedFormat, "replica format \(formatText) predates the block change log: re-create the node and sync it again")
                }
                guard let check = try meta(db, "key_check"),
                      (try? AEAD.open(check, key: keys.dataKey, additionalData: Array("key_check".utf8))) != nil
                else { throw StorageError(.wrongKey, "the key does not open this replica") }
                guard let identityBytes = try meta(db, "identity") else { throw StorageError(.notAReplica, "no identity") }
                let identity = try JSONDecoder().decode(ReplicaIdentity.self, from: Data(identityBytes))
                let catalogue = try meta(db, "catalogue").map { try JSONDecoder().decode(StatusCatalogue.self, from: Data($0)) }
                return (identity, catalogue)
            }
        }
        try guarded { try migrator.migrate(queue) }
        return ReplicaStore(path: path, queue: queue, identity: identity, keys: keys, catalogue: catalogue, options: options)
    }

    // MARK: Writes

    /// Commits local edits in one transaction and returns the change sets they became
    /// (an edit that changes nothing, such as removing an absent element, writes nothing).
    @discardableResult
    public func commit(_ edits: [RecordEdit], wallMilliseconds: UInt64) throws(StorageError) -> [ChangeSet] {
        try write { db, context in
            var sets: [ChangeSet] = []
            sets.reserveCapacity(edits.count)
            for edit in edits {
                guard let set = try context.mint(edit, wall: wallMilliseconds) else { continue }
                try context.integrate(set)
                sets.append(set)
            }
            return sets
        }
    }

    /// Commits many edits in ONE transaction, flushing rows chunk by chunk so memory stays flat:
    /// a killed import leaves the replica exactly as before. One chunk is minted, and its rows and
    /// sealed blocks computed, on other cores while the previous chunk is written. `progress` gets
    /// the edits done so far.
    public func commitAll(
        _ chunks: some Sequence<[RecordEdit]>, wallMilliseconds: UInt64, progress: (Int) -> Void = { _ in }
    ) throws(StorageError) -> Int {
        try write { db, context in
            var done = 0
            for chunk in chunks {
                try context.prefetch(chunk.map(\.record))
                try context.mintAndDetach(chunk, wall: wallMilliseconds)
                done += chunk.count
                progress(done)
            }
            return done
        }
    }

    /// Which of `ids` this replica holds (erased ones included: their ids are never reused).
    public func existing(_ ids: [RecordID]) throws(StorageError) -> Set<RecordID> {
        try read { db in
            var found: Set<RecordID> = []
            guard try !Self.holdsNoRecord(db) else { return found }
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = ids[start..<min(start + 500, ids.count)]
                let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
                for data in try Data.fetchAll(db, sql: "SELECT id FROM record WHERE id IN (\(placeholders))", arguments: StatementArguments(slice.map { Data($0.bytes) })) {
                    if let id = RecordID(bytes: [UInt8](data)) { found.insert(id) }
                }
            }
            return found
        }
    }

    /// Applies change sets received from a peer in one transaction. Known ones are skipped; a gap,
    /// an invalid change or a clock too far ahead refuses the whole batch and changes nothing.
    /// `skips` are dots of origins this replica does not need (outside its scope): they advance the
    /// version vector without data, so sync stays gap-free. A change set the vector covers but the
    /// log does not hold was skipped here earlier: its record has since come into this replica's
    /// scope (a registration moved to this site), and it is stored now (back-fill).
    @discardableResult
    public func apply(_ sets: [ChangeSet], skips: [SeqRange] = [], wallMilliseconds: UInt64) throws(StorageError) -> ApplyOutcome {
        enum Item { case set(ChangeSet), skip(SeqRange) }
        let items = (sets.map { (origin: $0.origin, first: $0.firstSeq, item: Item.set($0)) }
            + skips.map { (origin: $0.origin, first: $0.firstSeq, item: Item.skip($0)) })
            .sorted { ($0.origin, $0.first) < ($1.origin, $1.first) }
        return try write { db, context in
            var outcome = ApplyOutcome()
            try context.prefetch(sets.map(\.record))
            for entry in items {
                switch entry.item {
                case .skip(let range):
                    let known = context.vector[range.origin]
                    guard range.lastSeq > known else { continue }
                    guard range.firstSeq <= known + 1 else {
                        throw StorageError(.gap, "origin \(range.origin) expected seq \(known + 1), got a skip from \(range.firstSeq)")
                    }
                    context.skip(range)
                    outcome.skipped += Int(range.lastSeq - max(range.firstSeq, known + 1) + 1)
                case .set(let set):
                    if context.vector[set.origin] >= set.lastSeq {
                        guard try !context.holds(set) else {
                            outcome.alreadyKnown += 1
                            continue
                        }
                        do { try set.validate() } catch { throw StorageError(.invalidChange, "change set \(set.dot(at: 0)): \(error)") }
                        try context.integrate(set, backfill: true)
                        outcome.applied += 1
                        outcome.changes += set.count
                        continue
                    }
                    guard set.firstSeq == context.vector[set.origin] + 1 else {
                        throw StorageError(.gap, "origin \(set.origin) expected seq \(context.vector[set.origin] + 1), got \(set.firstSeq)")
                    }
                    do { try set.validate() } catch { throw StorageError(.invalidChange, "change set \(set.dot(at: 0)): \(error)") }
                    do {
                        try context.clock.receive(set.hlc, wallMilliseconds: wallMilliseconds)
                    } catch {
                        throw StorageError(.clockSkew, "change set \(set.dot(at: 0)): \(error)")
                    }
                    try context.integrate(set)
                    outcome.applied += 1
                    outcome.changes += set.count
                }
            }
            outcome.recordsTouched = context.touchedCount
            return outcome
        }
    }

    private func write<T>(_ body: (Database, WriteContext) throws -> T) throws(StorageError) -> T {
        try Self.guarded {
            try queue.write { db in
                let context = try WriteContext(db: db, store: self)
                let result = try body(db, context)
                try context.flush()
                return result
            }
        }
    }

    // MARK: Reads

    public var versionVector: VersionVector {
        get throws(StorageError) { try read { db in try Self.loadOrigins(db).vector } }
    }

    /// The record as people read it, or nil when this replica does not hold it.
    public func record(_ id: RecordID) throws(StorageError) -> RecordView? {
        try read { db in
            let origins = try Self.loadOrigins(db)
            guard let row = try Row.fetchOne(db, sql: "SELECT entity, state FROM record WHERE id = ?", arguments: [Data(id.bytes)]) else { return nil }
            return try self.view(id: id, stateBytes: row["state"], origins: origins, log: ChangeLogReader(db: db, key: keys.dataKey) { origins.index[$0] })
        }
    }

    /// The blind-index entry of `term`.
    func blindEntry(_ term: IndexTerm) -> UInt64 {
        guard repeatedTermKinds.contains(term.kind) else { return BlindIndex.term(term, key: keys.indexKey) }
        if let known = blindMemo.withLock({ $0[term] }) { return known }
        let entry = BlindIndex.term(term, key: keys.indexKey)
        blindMemo.withLock { memo in
            if memo.count >= 100_000 { memo.removeAll(keepingCapacity: true) }
            memo[term] = entry
        }
        return entry
    }

    /// Records whose blind index holds `term`.
    public func records(matching term: IndexTerm) throws(StorageError) -> [RecordID] {
        let blind = BlindIndex.bytes(blindEntry(term))
        return try read { db in
            try Data.fetchAll(db, sql: "SELECT r.id FROM blind b JOIN record r ON r.rowid = b.record WHERE b.term = ? AND r.erased = 0", arguments: [blind])
                .compactMap { RecordID(bytes: [UInt8]($0)) }
        }
    }

    /// Calls `body` with every live record of `entity`, in the order this replica first stored them
    /// (records stored together share change-log blocks, so each block is opened about once).
    public func forEachRecord(_ entity: EntityKind = .registration, _ body: (RecordView) throws -> Void) throws(StorageError) {
        try read { db in
            let origins = try Self.loadOrigins(db)
            let log = ChangeLogReader(db: db, key: keys.dataKey, capacity: 64) { origins.index[$0] }
            let rows = try Row.fetchCursor(db, sql: "SELECT id, state FROM record WHERE entity = ? AND erased = 0 ORDER BY rowid", arguments: [entity.rawValue])
            while let row = try rows.next() {
                guard let id = RecordID(bytes: [UInt8](row["id"] as Data)) else { continue }
                try body(try self.view(id: id, stateBytes: row["state"], origins: origins, log: log))
            }
        }
    }

    public func summary() throws(StorageError) -> ReplicaSummary {
        try read { db in
            var summary = ReplicaSummary()
            summary.versionVector = try Self.loadOrigins(db).vector
            for row in try Row.fetchAll(db, sql: "SELECT entity, erased, status, COUNT(*) AS n, SUM(conflicts > 0) AS c FROM record GROUP BY entity, erased, status") {
                let count: Int = row["n"]
                let entity = EntityKind(rawValue: row["entity"]).map(\.description) ?? "unknown"
                if row["erased"] as Int != 0 {
                    summary.erased += count
                    continue
                }
                summary.records += count
                summary.byEntity[entity, default: 0] += count
                if let status: String = row["status"] { summary.byStatus[status, default: 0] += count }
                summary.recordsWithConflicts += row["c"] as Int? ?? 0
            }
            summary.changeSets = try Int.fetchOne(db, sql: "SELECT SUM(sets) FROM changeblock") ?? 0
            return summary
        }
    }

    /// Change sets of `origin` after `seq`, in order, up to about `maxBytes` of encoding: what a peer misses.
    public func changeSets(from origin: ReplicaID, after seq: UInt64, maxBytes: Int = 1 << 20) throws(StorageError) -> [ChangeSet] {
        var sets: [ChangeSet] = []
        var bytes = 0
        try forEachLogged(from: origin, after: seq) { _, set, size in
            guard bytes < maxBytes else { return false }
            sets.append(set)
            bytes += size
            return true
        }
        return sets
    }

    /// Walks the log of `origin` after `seq` in order, with each change set's approximate encoded
    /// size, until `body` returns false.
    func forEachLogged(from origin: ReplicaID, after seq: UInt64, _ body: (Database, ChangeSet, Int) throws -> Bool) throws(StorageError) {
        try read { db in
            let origins = try Self.loadOrigins(db)
            guard let index = origins.index[origin] else { return }
            // From the block holding seq + 1 (or the first after it) to the origin's end.
            let (low, high) = ChangeBlock.keyRange(index)
            let start = try Int64.fetchOne(db, sql: "SELECT key FROM changeblock WHERE key BETWEEN ? AND ? ORDER BY key DESC LIMIT 1",
                                           arguments: [low, ChangeBlock.key(index, seq + 1)]) ?? low
            let rows = try Row.fetchCursor(db, sql: "SELECT key, last_seq, body FROM changeblock WHERE key BETWEEN ? AND ? AND last_seq > ? ORDER BY key",
                                           arguments: [start, high, Int64(bitPattern: seq)])
            while let row = try rows.next() {
                let first = UInt64(bitPattern: row["key"]) & ((1 << ChangeBlock.seqBits) - 1), last = UInt64(bitPattern: row["last_seq"])
                let block = try OpenedBlock(origin: origin, first: first, last: last,
                                            plaintext: try ChangeBlock.open([UInt8](row["body"] as Data), origin: origin, first: first, last: last, key: keys.dataKey))
                for (position, entry) in block.entries.enumerated() where entry.lastSeq > seq {
                    guard try body(db, try block.changeSet(at: position), entry.body.count + 48) else { return }
                }
            }
        }
    }

    /// A small piece of node configuration kept in the replica (e.g. the central node's URL).
    public func setting(_ key: String) throws(StorageError) -> String? {
        try read { db in try Self.meta(db, "setting." + key).map { String(decoding: $0, as: UTF8.self) } }
    }

    public func setSetting(_ key: String, _ value: String?) throws(StorageError) {
        try Self.guarded {
            try queue.write { db in
                if let value { try Self.setMeta(db, "setting." + key, Array(value.utf8)) } else {
                    try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: ["setting." + key])
                }
            }
        }
    }

    /// Frees SQLite's page cache (it refills on demand): an idle daemon keeps no pages it does not need.
    public func releaseMemory() { queue.releaseMemory() }

    private func read<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        try Self.guarded { try queue.read(body) }
    }

    func readDB<T>(_ body: (Database) throws -> T) throws(StorageError) -> T { try read(body) }

    func writeDB<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        try Self.guarded { try queue.write(body) }
    }

    var keysForSync: StorageKeys { keys }

    /// Resolves a stored record state into a view, opening the change-log blocks its live values are in.
    fileprivate func view(id: RecordID, stateBytes: Data, origins: Origins, log: ChangeLogReader) throws -> RecordView {
        let state = try origins.codec.decode([UInt8](stateBytes)).state
        var failure: (any Error)?
        let view = RecordView(id: id, state: state) { dot in
            do { return try log.value(at: dot, record: id) } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return view
    }

    // MARK: Write context

    /// Everything one write transaction needs: origins, vector, clock, and the records it touches.
    /// Record rows, change-set rows and index entries are written once, at the end (`flush`).
    fileprivate final class WriteContext {
        let db: Database
        let store: ReplicaStore
        var origins: Origins
        var clock: HybridLogicalClock
        var touched: [RecordID: Touched] = [:]
        var touchOrder: [RecordID] = []
        /// Reads values already in the log (edits of stored records, erasures).
        let log: ChangeLogReader

        /// A record this transaction touches (a class: it is updated in place, never copied).
        final class Touched {
            let rowid: Int64?
            var state: RecordState
            /// The state on disk before this transaction (nil for a new record).
            let stored: RecordState?
            /// The blind terms on disk, once computed (from `stored` and its values).
            var storedTerms: [UInt64]?
            /// First dots of every change set stored for this record (what an erasure must redact).
            var history: [Dot]
            var sets: [ChangeSet] = []
            var changedFields: Set<FieldID> = []
            var isNew: Bool { rowid == nil }

            /// The value this transaction's change sets of the record wrote at `dot`: `.some(nil)` for a
            /// clear, a removal or a redacted change; nil when none of them holds the dot.
            func value(at dot: Dot) -> Value?? {
                guard let set = sets.last(where: { $0.origin == dot.origin && $0.firstSeq <= dot.seq && dot.seq <= $0.lastSeq }) else { return nil }
                guard case .fields(let fields) = set.content else { return .some(nil) }
                return .some(fields[Int(dot.seq - set.firstSeq)].operation.value)
            }

            init(rowid: Int64?, state: RecordState, history: [Dot] = []) {
                self.rowid = rowid
                self.state = state
                self.stored = rowid == nil ? nil : state
                self.history = history
            }
        }

        /// Ids known not to be in the replica (from `prefetch`): their `load` needs no query.
        var knownAbsent: Set<RecordID> = []

        /// One query for many ids instead of one per record: batches and imports are mostly new records.
        func prefetch(_ ids: some Sequence<RecordID>) throws {
            let wanted = Set(ids).subtracting(touched.keys)
            if let pending, !pending.ids.isDisjoint(with: wanted) { try finishPending() }
            if let written {
                // The replica had no record when the transaction began: only its own inserts exist.
                for id in wanted where !written.contains(id) { knownAbsent.insert(id) }
                return
            }
            let unknown = Array(wanted)
            for start in stride(from: 0, to: unknown.count, by: 500) {
                let slice = unknown[start..<min(start + 500, unknown.count)]
                let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
                let present = try Data.fetchSet(db, sql: "SELECT id FROM record WHERE id IN (\(placeholders))", arguments: StatementArguments(slice.map { Data($0.bytes) }))
                for id in slice where !present.contains(Data(id.bytes)) { knownAbsent.insert(id) }
            }
        }

        var vector: VersionVector { origins.vector }
        var touchedCount: Int { touched.count }

        init(db: Database, store: ReplicaStore) throws {
            self.db = db
            self.store = store
            origins = try ReplicaStore.loadOrigins(db)
            log = ChangeLogReader(db: db, key: store.keys.dataKey, capacity: 1024)
            let last = try ReplicaStore.meta(db, "hlc").map { bytes in bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } ?? 0
            clock = HybridLogicalClock(last: HLCTimestamp(rawValue: last), maxSkewMilliseconds: store.maxClockSkewMilliseconds)
            log.originIndex = { [unowned self] in self.origins.index[$0] }
            if try ReplicaStore.holdsNoRecord(db) { written = [] }
        }

        /// Ids of the records this transaction inserted, kept only when the replica had none before it
        /// (an initial import then needs no look-up to know its records are new).
        var written: Set<RecordID>?

        func load(_ id: RecordID, entity: EntityKind) throws -> Touched {
            if let existing = touched[id] { return existing }
            var entry: Touched
            if knownAbsent.remove(id) != nil {  // (prefetch wrote any pending flush that held it)
                entry = Touched(rowid: nil, state: RecordState(entity: entity))
            } else if let pending, pending.ids.contains(id) {
                try finishPending()
                return try load(id, entity: entity)
            } else if let row = try Row.fetchOne(db, cachedSQL: "SELECT rowid, entity, state FROM record WHERE id = ?", arguments: [Data(id.bytes)]) {
                let stored = try origins.codec.decode([UInt8](row["state"] as Data))
                entry = Touched(rowid: row["rowid"], state: stored.state, history: stored.history)
            } else {
                entry = Touched(rowid: nil, state: RecordState(entity: entity))
            }
            guard entry.state.entity == entity else {
                throw StorageError(.entityMismatch, "record \(id) is a \(entry.state.entity), not a \(entity)")
            }
            touched[id] = entry
            touchOrder.append(id)
            return entry
        }

        /// Turns a local edit into a change set against what this replica holds now.
        func mint(_ edit: RecordEdit, wall: UInt64) throws -> ChangeSet? {
            let current = try load(edit.record, entity: edit.entity)
            let me = store.identity.replicaID
            let seq = origins.vector[me] + 1
            let hlc = clock.tick(wallMilliseconds: wall)
            if edit.erase {
                return ChangeSet(origin: me, firstSeq: seq, hlc: hlc, entity: edit.entity, record: edit.record, content: .erase)
            }
            guard !current.state.isErased else { throw StorageError(.notFound, "record \(edit.record) was erased") }
            let schema = Schema.entity(edit.entity)
            var changes: [FieldChange] = []
            for operation in edit.operations {
                switch operation {
                case .set(let field, let value):
                    guard let spec = schema[field] else { throw StorageError(.invalidChange, "unknown field \(field.rawValue)") }
                    let live = spec.kind == .mv ? current.state.fields[field]?.entries.map(\.dot) ?? [] : []
                    changes.append(FieldChange(field, .assign(value, supersedes: live)))
                case .add(let field, let value):
                    changes.append(FieldChange(field, .add(value)))
                case .append(let field, let value):
                    changes.append(FieldChange(field, .append(value)))
                case .remove(let field, let value):
                    var observed: [Dot] = []
                    for entry in current.state.fields[field]?.entries ?? [] where try resolve(entry.dot, in: current, id: edit.record) == value {
                        observed.append(entry.dot)
                    }
                    guard !observed.isEmpty else { continue }
                    changes.append(FieldChange(field, .remove(observed: observed)))
                }
            }
            guard !changes.isEmpty else { return nil }
            let set = ChangeSet(origin: me, firstSeq: seq, hlc: hlc, entity: edit.entity, record: edit.record, content: .fields(changes))
            do { try set.validate() } catch { throw StorageError(.invalidChange, "\(error)") }
            return set
        }

        /// Change sets stored below the vector (back-fill), by first dot: each goes into the log where
        /// its seq range lies (a skipped gap), not at the end.
        var backfilled: Set<Dot> = []

        /// Whether the log (or this transaction) already holds `set`.
        func holds(_ set: ChangeSet) throws -> Bool {
            if let entry = touched[set.record], entry.sets.contains(where: { $0.origin == set.origin && $0.firstSeq == set.firstSeq }) { return true }
            guard let block = try log.block(set.origin, containing: set.firstSeq) else { return false }
            return block.index(containing: set.firstSeq) != nil
        }

        /// Applies one change set (already checked) to the touched record and queues its rows.
        func integrate(_ set: ChangeSet, backfill: Bool = false) throws {
            if backfill { backfilled.insert(set.dot(at: 0)) }
            let entry = try load(set.record, entity: set.entity)
            origins.ensure(set.origin)
            let wasErased = entry.state.isErased
            entry.state.apply(set)
            if entry.state.isErased {
                if !wasErased {
                    _ = try storedTerms(entry, id: set.record)  // while the values are still there
                    try redactStored(entry, id: set.record)
                }
                entry.sets = entry.sets.map(\.redacted)
                entry.sets.append(set.content == .erase ? set : set.redacted)
            } else {
                entry.sets.append(set)
                if !entry.isNew, case .fields(let fields) = set.content {  // a new record's row is computed whole
                    for field in fields { entry.changedFields.insert(field.field) }
                }
            }
            origins.advance(set.origin, to: set.lastSeq)
        }

        func skip(_ range: SeqRange) {
            origins.ensure(range.origin)
            origins.advance(range.origin, to: range.lastSeq)
        }

        /// Wipes the values of every change set stored for an erased record (its blind terms go when
        /// the record row is written).
        private func redactStored(_ entry: Touched, id: RecordID) throws {
            for dot in entry.history { try log.redact(id, inBlockOf: dot) }
            entry.history = []
        }

        /// The value a change wrote: from this transaction's change sets of the record, else the log.
        private func resolve(_ dot: Dot, in entry: Touched, id: RecordID) throws -> Value? {
            if let own = entry.value(at: dot) { return own }
            return try log.value(at: dot, record: id)
        }

        private func view(_ id: RecordID, _ state: RecordState, of entry: Touched) throws -> RecordView {
            var failure: (any Error)?
            let view = RecordView(id: id, state: state) { dot in
                do { return try self.resolve(dot, in: entry, id: id) } catch { failure = error; return nil }
            }
            if let failure { throw failure }
            return view
        }

        static func terms(_ view: RecordView, store: ReplicaStore) -> [UInt64] {
            var entries = store.indexTerms(view).map(store.blindEntry)
            entries.sort()
            var unique: [UInt64] = []
            unique.reserveCapacity(entries.count)
            for entry in entries where unique.last != entry { unique.append(entry) }
            return unique
        }

        /// The blind terms the record has on disk, recomputed from its stored values (only needed when
        /// an indexed field changes or the record is erased, so not worth a column).
        private func storedTerms(_ entry: Touched, id: RecordID) throws -> [UInt64] {
            if let known = entry.storedTerms { return known }
            guard let stored = entry.stored, !stored.isErased else { return [] }
            let known = Self.terms(try view(id, stored, of: entry), store: store)
            entry.storedTerms = known
            return known
        }

        /// Writes every touched record, its change sets and its index entries; then the vector and clock.
        /// The context can go on after a flush (same transaction, fresh record cache).
        func flush() throws {
            let next = detach()
            try finishPending()
            try finish(next)
        }

        /// Mints and integrates a chunk of edits and leaves its rows computing on other cores, while
        /// the chunk before is written. When every record of the chunk is known to be new, the minting
        /// itself runs on another core: it then needs nothing from SQLite, and shares no state with
        /// the writing of a flush of new records.
        func mintAndDetach(_ edits: [RecordEdit], wall: UInt64) throws {
            let previous = pending
            pending = nil
            let standalone = (previous?.isPlain ?? true) && touched.isEmpty
                && edits.allSatisfy { !$0.erase && knownAbsent.contains($0.record) }
            guard standalone, let previous else {
                if let previous { try finish(previous) }
                try mintAll(edits, wall: wall)
                pending = detach()
                return
            }
            nonisolated(unsafe) let context = self
            let minting = Background { () throws(StorageError) in
                try ReplicaStore.guarded { try context.mintAll(edits, wall: wall) }
                return context.detach()
            }
            do { try finish(previous) } catch {
                _ = try? minting.value()  // the context is not left to another thread
                throw error
            }
            pending = try minting.value()
        }

        private func mintAll(_ edits: [RecordEdit], wall: UInt64) throws {
            for edit in edits {
                guard let set = try mint(edit, wall: wall) else { continue }
                try integrate(set)
            }
        }

        /// A flush whose rows and sealed blocks are being computed on other cores, with what it must
        /// write besides (the origins' seqs and the clock as they were when it was detached).
        final class PendingFlush {
            let entries: [(id: RecordID, entry: Touched)]
            let ids: Set<RecordID>
            let backfill: [(set: ChangeSet, originIndex: Int64)]
            let rows: Background<PreparedRows>
            let sealing: Background<[ChangeLogReader.SealedBlock]>
            let origins: [(index: Int64, replica: ReplicaID, seq: UInt64)]
            let clock: HLCTimestamp
            let codec: RecordStateCodec
            /// Only new records, no back-fill: writing it reads nothing from the log.
            let isPlain: Bool

            init(entries: [(id: RecordID, entry: Touched)], backfill: [(set: ChangeSet, originIndex: Int64)], rows: Background<PreparedRows>,
                 sealing: Background<[ChangeLogReader.SealedBlock]>, origins: [(index: Int64, replica: ReplicaID, seq: UInt64)],
                 clock: HLCTimestamp, codec: RecordStateCodec) {
                self.entries = entries
                ids = Set(entries.map(\.id))
                self.backfill = backfill
                self.rows = rows
                self.sealing = sealing
                self.origins = origins
                self.clock = clock
                self.codec = codec
                isPlain = backfill.isEmpty && entries.allSatisfy { $0.entry.isNew && !$0.entry.state.isErased }
            }
        }

        private var pending: PendingFlush?

        /// Hands the touched records to other cores: sealing of their new change sets, and the rows of
        /// new records (pure functions of their change sets). The context starts a fresh record cache.
        private func detach() -> PendingFlush {
            var newSets: [ReplicaID: [ChangeSet]] = [:]
            var backfill: [(set: ChangeSet, originIndex: Int64)] = []
            let entries = touchOrder.compactMap { id in touched[id].map { (id: id, entry: $0) } }
            for (_, entry) in entries {
                for set in entry.sets {
                    if backfilled.contains(set.dot(at: 0)) {
                        backfill.append((set, origins.index[set.origin]!))
                    } else {
                        newSets[set.origin, default: []].append(set)
                    }
                }
            }
            let work = newSets.map { (sets: $0.value.sorted { $0.firstSeq < $1.firstSeq }, originIndex: origins.index[$0.key]!) }
            let key = store.keys.dataKey
            let sealing = Background { () throws(StorageError) in
                var blocks: [ChangeLogReader.SealedBlock] = []
                for item in work { blocks += try ChangeLogReader.seal(item.sets, originIndex: item.originIndex, key: key) }
                return blocks
            }
            let store = store
            nonisolated(unsafe) let (fresh, codec) = (entries.filter { $0.entry.isNew && !$0.entry.state.isErased }, origins.codec)  // no longer touched here
            let rows = Background { () throws(StorageError) in
                PreparedRows(parallelMap(fresh.count, chunkSize: 256) { Self.newRow(fresh[$0].id, fresh[$0].entry, store: store, codec: codec) })
            }
            backfilled = []
            touched = [:]
            touchOrder = []
            let seqs = origins.dirty.map { (index: origins.index[$0.key]!, replica: $0.key, seq: $0.value) }
            origins.clean()
            return PendingFlush(entries: entries, backfill: backfill, rows: rows, sealing: sealing, origins: seqs, clock: clock.last, codec: codec)
        }

        private func finishPending() throws {
            guard let flush = pending else { return }
            pending = nil
            try finish(flush)
        }

        /// Writes a detached flush: record rows, index rows, sealed blocks, back-filled change sets,
        /// then the vector and the clock.
        private func finish(_ flush: PendingFlush) throws {
            let prepared = try flush.rows.value()
            for (id, entry) in flush.entries where !(entry.isNew && !entry.state.isErased) { try write(id, entry, codec: flush.codec) }
            try insert(prepared)
            try insertNewRows()
            try ChangeLogReader.insert(try flush.sealing.value(), db: db)
            for (set, originIndex) in flush.backfill { try log.insertBelowEnd(set, originIndex: originIndex) }
            for origin in flush.origins {
                try db.execute(sql: "INSERT INTO origin(idx, replica, seq) VALUES (?, ?, ?) ON CONFLICT(idx) DO UPDATE SET seq = excluded.seq",
                               arguments: [origin.index, Data(origin.replica.bytes), Int64(bitPattern: origin.seq)])
            }
            let raw = flush.clock.rawValue
            try ReplicaStore.setMeta(db, "hlc", (0..<8).map { UInt8(truncatingIfNeeded: raw >> (56 - 8 * $0)) })
            // Thousands of small objects: freed on another core, not on the one that writes.
            nonisolated(unsafe) let retired = Unmanaged.passRetained(flush)
            DispatchQueue.global(qos: .utility).async { retired.release() }
        }

        /// The row of a record new in this transaction: a pure function of its change sets (every
        /// live value is in them), so rows of a batch are computed on all cores before the SQLite part.
        static func newRow(_ id: RecordID, _ entry: Touched, store: ReplicaStore, codec: RecordStateCodec) -> NewRecord {
            let view = RecordView(id: id, state: entry.state) { entry.value(at: $0) ?? nil }
            let facts = RowFacts(view, store: store)
            let stateBytes = Data(codec.encode(entry.state, history: entry.sets.map { $0.dot(at: 0) }))
            return NewRecord(id: id, columns: [
                Data(id.bytes).databaseValue, entry.state.entity.rawValue.databaseValue, stateBytes.databaseValue,
                facts.status.databaseValue, facts.conflicts.databaseValue, false.databaseValue, facts.home.databaseValue,
            ], terms: Self.terms(view, store: store))
        }

        /// What a record row shows besides its state: computed from the record's view.
        struct RowFacts {
            var status: String?
            var conflicts = 0
            var home: String?

            init(_ view: RecordView, store: ReplicaStore) {
                conflicts = view.conflicts.count
                home = view["site_id"]?.values.compactMap(\.text).first
                if view.entity == .registration, let catalogue = store.catalogue {
                    status = catalogue.currentStatus(of: view.statusEvents).code
                }
            }

            init(status: String?, conflicts: Int, home: String?) {
                (self.status, self.conflicts, self.home) = (status, conflicts, home)
            }
        }

        /// Writes a record this transaction changed, or a new one not prepared on other cores (erased).
        private func write(_ id: RecordID, _ entry: Touched, codec: RecordStateCodec) throws {
            let state = entry.state
            var status: String?
            var conflicts = 0
            var home: String?
            var newTerms: [UInt64]?  // nil: unchanged
            if !state.isErased {
                let needsView = entry.isNew || !entry.changedFields.isDisjoint(with: store.viewTriggers(state.entity))
                if needsView {
                    let view = try view(id, state, of: entry)
                    (status, conflicts, home) = { ($0.status, $0.conflicts, $0.home) }(RowFacts(view, store: store))
                    if entry.isNew || !entry.changedFields.isDisjoint(with: store.indexedFields) { newTerms = Self.terms(view, store: store) }
                } else if let row = try Row.fetchOne(db, cachedSQL: "SELECT status, conflicts, home FROM record WHERE rowid = ?", arguments: [entry.rowid]) {
                    status = row["status"]
                    conflicts = row["conflicts"]
                    home = row["home"]
                }
            } else {
                newTerms = []
            }
            let history = state.isErased ? [] : entry.history + entry.sets.map { $0.dot(at: 0) }
            let stateBytes = Data(codec.encode(state, history: history))
            let rowid: Int64
            if let existing = entry.rowid {
                rowid = existing
                try db.cachedStatement(sql: "UPDATE record SET state = ?, status = ?, conflicts = ?, erased = ?, home = ? WHERE rowid = ?")
                    .execute(arguments: [stateBytes, status, conflicts, state.isErased, home, rowid])
            } else {
                newRecords.append(NewRecord(id: id, columns: [
                    Data(id.bytes).databaseValue, state.entity.rawValue.databaseValue, stateBytes.databaseValue,
                    status.databaseValue, conflicts.databaseValue, state.isErased.databaseValue, home.databaseValue,
                ], terms: newTerms ?? []))
                return
            }
            guard let newTerms else { return }
            let old = Set(try storedTerms(entry, id: id)), new = Set(newTerms)
            let deleteTerm = try db.cachedStatement(sql: "DELETE FROM blind WHERE term = ? AND record = ?")
            for term in old.subtracting(new) { try deleteTerm.execute(arguments: [BlindIndex.bytes(term), rowid]) }
            for term in new.subtracting(old) { newTermRows.append((term, rowid)) }
        }

        /// A record row to insert at the end of the flush, with its blind terms.
        struct NewRecord {
            let id: RecordID
            let columns: [DatabaseValue]
            let terms: [UInt64]
        }

        /// New record rows and blind-index rows of this flush: written sorted by key with multi-row
        /// INSERTs (per-statement overhead dominates single-row inserts of small rows, and sorted
        /// keys keep B-tree inserts on neighbouring pages).
        private var newRecords: [NewRecord] = []
        private var newTermRows: [(term: UInt64, record: Int64)] = []
        private var lastRowID: Int64?

        private func insertNewRows() throws {
            try insert(PreparedRows(newRecords))
            newRecords.removeAll(keepingCapacity: true)
            var termValues: [DatabaseValue] = []
            termValues.reserveCapacity(newTermRows.count * 2)
            for row in newTermRows.sorted(by: { $0.term < $1.term }) {
                termValues.append(BlindIndex.bytes(row.term).databaseValue)
                termValues.append(row.record.databaseValue)
            }
            newTermRows.removeAll(keepingCapacity: true)
            try BulkInsert.run(db, table: "blind", columns: ["term", "record"], values: termValues, verb: "INSERT OR IGNORE")
        }

        /// The rows of new records, sorted by id, with their blind-index rows sorted by term (each
        /// naming its record by position): sorted off the writing core, bound on it.
        struct PreparedRows {
            let records: [NewRecord]
            let terms: [(term: UInt64, position: Int)]

            init(_ rows: [NewRecord]) {
                records = rows.sorted { $0.id < $1.id }
                var terms: [(term: UInt64, position: Int)] = []
                terms.reserveCapacity(records.count * 5)
                for (position, record) in records.enumerated() {
                    for term in record.terms { terms.append((term, position)) }
                }
                self.terms = terms.sorted { $0.term < $1.term }
            }
        }

        private func insert(_ prepared: PreparedRows) throws {
            guard !prepared.records.isEmpty else { return }
            let first = try nextRowID()
            lastRowID = first + Int64(prepared.records.count) - 1
            var recordValues: [DatabaseValue] = []
            recordValues.reserveCapacity(prepared.records.count * 8)
            for (position, record) in prepared.records.enumerated() {
                written?.insert(record.id)
                recordValues.append((first + Int64(position)).databaseValue)
                recordValues.append(contentsOf: record.columns)
            }
            try BulkInsert.run(db, table: "record", columns: ["rowid", "id", "entity", "state", "status", "conflicts", "erased", "home"], values: recordValues)
            var termValues: [DatabaseValue] = []
            termValues.reserveCapacity(prepared.terms.count * 2)
            for row in prepared.terms {
                termValues.append(BlindIndex.bytes(row.term).databaseValue)
                termValues.append((first + Int64(row.position)).databaseValue)
            }
            try BulkInsert.run(db, table: "blind", columns: ["term", "record"], values: termValues, verb: "INSERT OR IGNORE")
        }

        /// Record rowids are assigned here, not by SQLite, so new rows can be inserted many at a time.
        private func nextRowID() throws -> Int64 {
            let last = try lastRowID ?? Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(rowid), 0) FROM record") ?? 0
            lastRowID = last + 1
            return last + 1
        }

        /// Fields whose change alters status, conflicts or home, per entity (computed once).
        static let viewFields: [EntityKind: Set<FieldID>] = Dictionary(uniqueKeysWithValues: EntityKind.allCases.map { kind in
            (kind, Set(Schema.entity(kind).fields.filter { $0.kind == .mv || $0.name == "status_events" || $0.name == "site_id" }.map(\.id)))
        })
    }

    // MARK: SQLite plumbing


    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
                -- Replicas known here, by a small local index; seq is the version vector entry.
                CREATE TABLE origin(idx INTEGER PRIMARY KEY, replica BLOB NOT NULL UNIQUE, seq INTEGER NOT NULL);
                -- The change log: consecutive change sets of one origin per row, compressed and sealed
                -- together; key = origin idx << 40 | first seq. A rowid table: large bodies fill whole
                -- overflow pages, where an index b-tree would strand most of a page per row.
                CREATE TABLE changeblock(key INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, sets INTEGER NOT NULL, body BLOB NOT NULL);
                -- Materialised records: merge metadata, status and counts in the clear, values stay sealed in the log.
                CREATE TABLE record(
                    rowid INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, entity INTEGER NOT NULL,
                    status TEXT, conflicts INTEGER NOT NULL, erased INTEGER NOT NULL, state BLOB NOT NULL,
                    home TEXT);  -- the site a record is homed at (its site_id): what a central node sends that site
                -- Keyed blind index for exact lookups.
                CREATE TABLE blind(term BLOB NOT NULL, record INTEGER NOT NULL, PRIMARY KEY(term, record)) WITHOUT ROWID;
                -- Nodes this one syncs with: opaque info (keys, certificate) kept by the sync layer, message
                -- counters (replay protection) and how far the peer has acknowledged our own changes.
                CREATE TABLE peer(
                    replica BLOB PRIMARY KEY, info BLOB NOT NULL, counter_sent INTEGER NOT NULL DEFAULT 0,
                    counter_received INTEGER NOT NULL DEFAULT 0, acked_seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                -- What was received but must not be applied (revoked sender, rejected batch): kept for a person.
                CREATE TABLE quarantine(
                    id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, source TEXT NOT NULL,
                    reason TEXT NOT NULL, payload BLOB NOT NULL);
                """)
        }
        return migrator
    }()

    /// WAL, durable commits, a 64 MiB page cache. New files get 8 KiB pages: fewer, fuller b-tree
    /// pages for the record and blind-index rows, and a change-log block (about 9 KiB deflated) keeps
    /// a small head in its table page and fills one overflow page.
    static func openQueue(_ path: String) throws(StorageError) -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536")
        }
        return try guarded { try DatabaseQueue(path: path, configuration: configuration) }
    }

    /// True for a replica with no record yet (an initial import then looks up none of its ids).
    static func holdsNoRecord(_ db: Database) throws -> Bool {
        try !Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM record)")!
    }

    static func meta(_ db: Database, _ key: String) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).map { [UInt8]($0) }
    }

    static func setMeta(_ db: Database, _ key: String, _ value: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, Data(value)])
    }

    static func loadOrigins(_ db: Database) throws -> Origins {
        var origins = Origins()
        for row in try Row.fetchAll(db, sql: "SELECT idx, replica, seq FROM origin") {
            guard let replica = ReplicaID(bytes: [UInt8](row["replica"] as Data)) else { continue }
            origins.load(index: row["idx"], replica: replica, seq: UInt64(bitPattern: row["seq"]))
        }
        return origins
    }

    /// Runs SQLite work and turns every failure into a ``StorageError`` (C codes never leak out).
    static func guarded<T>(_ body: () throws -> T) throws(StorageError) -> T {
        do {
            return try body()
        } catch let error as StorageError {
            throw error
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_FULL: throw StorageError(.diskFull, "the disk is full; the transaction was rolled back")
            case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
                throw StorageError(.readOnly, "the replica cannot be written: \(error.resultCode)")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: throw StorageError(.notAReplica, "not a SQLite replica or corrupted")
            default: throw StorageError(.io, "SQLite \(error.resultCode)")
            }
        } catch {
            throw StorageError(.io, "\(type(of: error))")
        }
    }
}

/// Replica ids by local index, with the version vector.
struct Origins {
    private(set) var index: [ReplicaID: Int64] = [:]
    private(set) var replicas: [Int64: ReplicaID] = [:]
    private(set) var vector = VersionVector()
    private(set) var dirty: [ReplicaID: UInt64] = [:]

    mutating func load(index idx: Int64, replica: ReplicaID, seq: UInt64) {
        index[replica] = idx
        replicas[idx] = replica
        vector.advance(replica, to: seq)
    }

    mutating func ensure(_ replica: ReplicaID) {
        guard index[replica] == nil else { return }
        let next = (replicas.keys.max() ?? 0) + 1
        index[replica] = next
        replicas[next] = replica
        dirty[replica] = vector[replica]
    }

    mutating func clean() { dirty = [:] }

    mutating func advance(_ replica: ReplicaID, to seq: UInt64) {
        vector.advance(replica, to: seq)
        dirty[replica] = vector[replica]
    }

    var codec: RecordStateCodec {
        let index = self.index, replicas = self.replicas
        return RecordStateCodec(
            indexOf: { index[$0] ?? 0 },
            replicaAt: { (idx: Int64) throws(StorageError) -> ReplicaID in
                guard let replica = replicas[idx] else { throw StorageError(.io, "record state names unknown origin \(idx)") }
                return replica
            })
    }
}

extension Row {
    static func fetchOne(_ db: Database, cachedSQL sql: String, arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(try db.cachedStatement(sql: sql), arguments: arguments)
    }
}

