public import RegistryCore
import Foundation
import GRDB

/// What sync needs from a replica beyond reads and writes: peers, message counters, scoped change
/// feeds and quarantine.
extension ReplicaStore {
    // MARK: Peers and counters

    public func peer(_ replica: ReplicaID) throws(StorageError) -> PeerState? {
        try readDB { db in try Row.fetchOne(db, sql: "SELECT * FROM peer WHERE replica = ?", arguments: [Data(replica.bytes)]).map(Self.peerState) }
    }

    public func peers() throws(StorageError) -> [PeerState] {
        try readDB { db in try Row.fetchAll(db, sql: "SELECT * FROM peer ORDER BY replica").map(Self.peerState) }
    }

    /// Adds a peer or replaces its info; counters and acknowledgements are kept.
    public func savePeer(_ replica: ReplicaID, info: [UInt8]) throws(StorageError) {
        try writeDB { db in
            try db.execute(sql: "INSERT INTO peer(replica, info) VALUES (?, ?) ON CONFLICT(replica) DO UPDATE SET info = excluded.info",
                           arguments: [Data(replica.bytes), Data(info)])
        }
    }

    /// The next message counter towards `replica`, made durable before it is used, so a restarted
    /// node never reuses one. `floor` (e.g. wall-clock microseconds) keeps counters rising even on a
    /// replica restored from an old backup.
    public func reserveCounter(for replica: ReplicaID, floor: UInt64 = 0) throws(StorageError) -> UInt64 {
        try writeDB { db in
            try db.execute(sql: "UPDATE peer SET counter_sent = MAX(counter_sent + 1, ?) WHERE replica = ?", arguments: [Int64(bitPattern: min(floor, UInt64(Int64.max))), Data(replica.bytes)])
            guard let counter = try Int64.fetchOne(db, sql: "SELECT counter_sent FROM peer WHERE replica = ?", arguments: [Data(replica.bytes)]) else {
                throw StorageError(.notFound, "unknown peer \(replica)")
            }
            return UInt64(counter)
        }
    }

    /// Records that a message with `counter` from `replica` was accepted; refuses one not above the last.
    public func acceptCounter(_ counter: UInt64, from replica: ReplicaID) throws(StorageError) {
        try writeDB { db in
            guard let last = try Int64.fetchOne(db, sql: "SELECT counter_received FROM peer WHERE replica = ?", arguments: [Data(replica.bytes)]) else {
                throw StorageError(.notFound, "unknown peer \(replica)")
            }
            guard counter > UInt64(last) else { throw StorageError(.invalidChange, "message counter \(counter) from \(replica) is not above \(last): replayed") }
            try db.execute(sql: "UPDATE peer SET counter_received = ? WHERE replica = ?", arguments: [Int64(bitPattern: counter), Data(replica.bytes)])
        }
    }

    /// Records how far `replica` has acknowledged our own changes (never goes back).
    public func setAcknowledged(_ seq: UInt64, by replica: ReplicaID) throws(StorageError) {
        try writeDB { db in
            try db.execute(sql: "UPDATE peer SET acked_seq = MAX(acked_seq, ?) WHERE replica = ?", arguments: [Int64(bitPattern: seq), Data(replica.bytes)])
        }
    }

    // MARK: Scoped feed

    /// What a site misses, in its scope: for each origin other than `excluding`, the change sets after
    /// `vector` whose record is homed at `site` (or is reference data: sites, the match index), and skip ranges for the
    /// rest, in sequence order, up to about `maxBytes` of change-set encoding.
    public func feed(
        forSite site: String, after vector: VersionVector, excluding: Set<ReplicaID>, maxBytes: Int
    ) throws(StorageError) -> (changeSets: [ChangeSet], skips: [SeqRange]) {
        let local = try versionVector
        var sets: [ChangeSet] = []
        var skips: [SeqRange] = []
        var bytes = 0
        for (origin, have) in local.counters.sorted(by: { $0.key < $1.key }) where !excluding.contains(origin) && have > vector[origin] {
            guard bytes < maxBytes else { break }
            let (originSets, originSkips, used) = try feed(origin: origin, site: site, after: vector, excluding: excluding, budget: maxBytes - bytes)
            sets += originSets
            skips += originSkips
            bytes += used
        }
        return (sets, skips)
    }

    private func feed(
        origin: ReplicaID, site: String, after vector: VersionVector, excluding: Set<ReplicaID>, budget: Int
    ) throws(StorageError) -> ([ChangeSet], [SeqRange], Int) {
        let seq = vector[origin]
        var sets: [ChangeSet] = []
        var skips: [SeqRange] = []
        var used = 0
        var pendingSkip: SeqRange?
        var homes: [RecordID: String?] = [:]
        func home(_ record: RecordID, _ db: Database) throws -> String? {
            if let known = homes[record] { return known }
            let home = try String.fetchOne(db, sql: "SELECT home FROM record WHERE id = ?", arguments: [Data(record.bytes)])
            homes[record] = home
            return home
        }
        try forEachLogged(from: origin, after: seq) { db, set, size in
            guard used < budget else { return false }
            let inScope = try set.entity == .site || set.entity == .matchEntry || home(set.record, db) == site
            guard inScope else {
                pendingSkip = SeqRange(origin: origin, firstSeq: pendingSkip?.firstSeq ?? set.firstSeq, lastSeq: set.lastSeq)
                used += 1  // skips are cheap, but bound how many change sets one call walks
                return true
            }
            if let skip = pendingSkip {
                skips.append(skip)
                pendingSkip = nil
            }
            // A record moving to this site: the site skipped its history, so send that too.
            for earlier in try movedInHistory(set, site: site, vector: vector, excluding: excluding, db: db) {
                sets.append(earlier)
                used += 64
            }
            sets.append(set)
            used += size
            return true
        }
        if let skip = pendingSkip { skips.append(skip) }
        return (sets, skips, used)
    }

    /// When `set` homes its record at `site` (assigns `site_id`), the record's earlier change sets
    /// that the site's vector covers: the site skipped them while the record lived elsewhere, and
    /// stores them now (`apply` back-fills change sets the vector covers but the log lacks).
    private func movedInHistory(_ set: ChangeSet, site: String, vector: VersionVector, excluding: Set<ReplicaID>, db: Database) throws -> [ChangeSet] {
        guard let siteField = Schema.entity(set.entity)["site_id"]?.id, case .fields(let changes) = set.content,
              changes.contains(where: { $0.field == siteField && $0.operation.value == .text(site) }),
              let stateBytes = try Data.fetchOne(db, sql: "SELECT state FROM record WHERE id = ?", arguments: [Data(set.record.bytes)])
        else { return [] }
        let origins = try Self.loadOrigins(db)
        let history = try origins.codec.decode([UInt8](stateBytes)).history
        let log = ChangeLogReader(db: db, key: keysForSync.dataKey) { origins.index[$0] }
        var earlier: [ChangeSet] = []
        for dot in history where dot != set.dot(at: 0) && !excluding.contains(dot.origin) && dot.seq <= vector[dot.origin] {
            if let stored = try log.changeSet(containing: dot, record: set.record) { earlier.append(stored) }
        }
        return earlier
    }

    // MARK: Quarantine

    /// Keeps something that must not be applied, for a person to review. Never lost, never applied.
    public func quarantine(source: String, reason: String, payload: [UInt8], wallMilliseconds: UInt64) throws(StorageError) {
        try writeDB { db in
            try db.execute(sql: "INSERT INTO quarantine(received_at, source, reason, payload) VALUES (?, ?, ?, ?)",
                           arguments: [Int64(bitPattern: wallMilliseconds), source, reason, Data(payload)])
        }
    }

    public func quarantined() throws(StorageError) -> [QuarantineEntry] {
        try readDB { db in
            try Row.fetchAll(db, sql: "SELECT * FROM quarantine ORDER BY id").map { row in
                QuarantineEntry(id: row["id"], receivedAtMilliseconds: UInt64(bitPattern: row["received_at"]), source: row["source"], reason: row["reason"], payload: [UInt8](row["payload"] as Data))
            }
        }
    }

    static func peerState(_ row: Row) -> PeerState {
        PeerState(
            replica: ReplicaID(bytes: [UInt8](row["replica"] as Data)) ?? ReplicaID(high: 0, low: 0), info: [UInt8](row["info"] as Data),
            counterSent: UInt64(bitPattern: row["counter_sent"]), counterReceived: UInt64(bitPattern: row["counter_received"]),
            ackedSeq: UInt64(bitPattern: row["acked_seq"]))
    }
}
