import RegistryCore
import RegistryCrypto
import Foundation
import GRDB

/// The change log at rest: consecutive change sets of one origin, encoded, compressed and sealed
/// together in blocks (table `changeblock`, layout in `Protocol/encryption.md`).
///
/// Why blocks: neighbouring registrations repeat most of their bytes (site, country, document types,
/// dates, common names), and one nonce and tag per block instead of per change set saves 40 bytes a
/// registration. A block is written once, by the transaction that received its change sets, and
/// rewritten only to redact an erased record. The additional data binds origin and sequence range,
/// and every change set inside names its record and entity, so no ciphertext can be moved.
enum ChangeBlock {
    /// Bounds on a block: enough neighbours for compression to pay, small enough that reading one
    /// record's values opens little else. A full block of registrations deflates to a little more
    /// than an 8 KiB page holds in its cells, so it spills into exactly one overflow page.
    static let maxSets = 128
    static let maxPlaintextBytes = 32 * 1024

    /// Blocks are keyed by `origin index << 40 | first seq`: one integer key, rows in log order per
    /// origin, no second index. Sequence numbers stay below 2^40 (10^12 changes per origin).
    static let seqBits: UInt64 = 40
    static func key(_ originIndex: Int64, _ seq: UInt64) -> Int64 { originIndex << Int64(seqBits) | Int64(seq & ((1 << seqBits) - 1)) }
    static func keyRange(_ originIndex: Int64, from seq: UInt64 = 0) -> (Int64, Int64) {
        (key(originIndex, seq), key(originIndex, (1 << seqBits) - 1))
    }

    static let storedTag: UInt8 = 1
    static let deflatedTag: UInt8 = 2
    /// Inflated blocks larger than this are refused as corrupt (a real one is ≤ maxPlaintextBytes
    /// plus one change set).
    static let inflateLimit = 4 << 20

    /// Where one change set sits in a block's plaintext: its header, and its body's byte range.
    struct Entry {
        let firstSeq: UInt64
        let count: Int
        let entity: EntityKind
        let record: RecordID
        let hlc: HLCTimestamp
        let body: Range<Int>
        var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }
    }

    /// `count, then per set: seq gap, dot count, entity, record id, clock delta, body length, body`.
    static func encode(_ sets: some Collection<ChangeSet>) -> [UInt8] {
        var writer = ByteWriter(capacity: sets.count * 192)
        writer.varint(UInt64(sets.count))
        var expected = sets.first?.firstSeq ?? 0
        var previousClock: UInt64 = 0
        var body = ByteWriter(capacity: 192)
        for set in sets {
            writer.varint(set.firstSeq - expected)
            writer.varint(UInt64(set.count))
            writer.byte(set.entity.rawValue)
            writer.identifier(set.record)
            let delta = Int64(bitPattern: set.hlc.rawValue &- previousClock)
            writer.varint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)))
            body = ByteWriter(capacity: 192)
            ChangeSetCodec.writeBody(set.content, origin: set.origin, to: &body)
            writer.lengthPrefixed(body.bytes)
            expected = set.lastSeq + 1
            previousClock = set.hlc.rawValue
        }
        return writer.bytes
    }

    /// The entries of a block's plaintext, without decoding any body.
    static func entries(_ plaintext: [UInt8], first: UInt64, last: UInt64) throws(StorageError) -> [Entry] {
        do {
            var reader = ByteReader(plaintext)
            let count = try reader.count(limit: reader.remaining / 20)
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            var expected = first
            var clock: UInt64 = 0
            for _ in 0..<count {
                let firstSeq = expected + (try reader.varint())
                let dots = try reader.count(limit: 1_000_000)
                guard dots >= 1, let entity = EntityKind(rawValue: try reader.byte()) else { throw CoreError(.malformedEncoding, "bad entry") }
                let record = try reader.identifier()
                let zigzag = try reader.varint()
                clock = clock &+ UInt64(bitPattern: Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
                let length = try reader.count(limit: reader.remaining)
                let start = reader.offset
                _ = try reader.raw(length)
                let entry = Entry(firstSeq: firstSeq, count: dots, entity: entity, record: record, hlc: HLCTimestamp(rawValue: clock), body: start..<start + length)
                guard entry.lastSeq <= last else { throw CoreError(.malformedEncoding, "entry past the block's range") }
                entries.append(entry)
                expected = entry.lastSeq + 1
            }
            guard reader.isAtEnd else { throw CoreError(.malformedEncoding, "trailing bytes") }
            return entries
        } catch {
            throw StorageError(.tampered, "change block \(first)-\(last): \(error)")
        }
    }

    static func additionalData(origin: ReplicaID, first: UInt64, last: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.raw(Array("regsync/changeblock/v2".utf8))
        writer.identifier(origin)
        writer.fixed64(first)
        writer.fixed64(last)
        return writer.bytes
    }

    /// `tag || nonce || ciphertext || tag`: deflated first when that makes it smaller.
    static func seal(_ plaintext: [UInt8], origin: ReplicaID, first: UInt64, last: UInt64, key: SymmetricKey) -> [UInt8] {
        let deflated = Deflate.compress(plaintext, level: 5)
        let (tag, content) = deflated.count < plaintext.count ? (deflatedTag, deflated) : (storedTag, plaintext)
        return [tag] + AEAD.seal(content, key: key, additionalData: additionalData(origin: origin, first: first, last: last))
    }

    static func open(_ sealed: [UInt8], origin: ReplicaID, first: UInt64, last: UInt64, key: SymmetricKey) throws(StorageError) -> [UInt8] {
        guard let tag = sealed.first, tag == storedTag || tag == deflatedTag else { throw StorageError(.tampered, "change block \(first)-\(last): unknown tag") }
        let content: [UInt8]
        do {
            content = try AEAD.open(Array(sealed.dropFirst()), key: key, additionalData: additionalData(origin: origin, first: first, last: last))
        } catch {
            throw StorageError(.tampered, "change block \(first)-\(last) of \(origin) failed authentication")
        }
        guard tag == deflatedTag else { return content }
        do { return try Deflate.decompress(content, limit: inflateLimit) } catch {
            throw StorageError(.tampered, "change block \(first)-\(last): \(error)")
        }
    }
}

/// One block, opened: its plaintext and entries; change sets are decoded on first use.
final class OpenedBlock {
    let origin: ReplicaID
    let first: UInt64
    let last: UInt64
    let plaintext: [UInt8]
    let entries: [ChangeBlock.Entry]
    private var decoded: [Int: ChangeSet] = [:]

    init(origin: ReplicaID, first: UInt64, last: UInt64, plaintext: [UInt8]) throws(StorageError) {
        self.origin = origin
        self.first = first
        self.last = last
        self.plaintext = plaintext
        entries = try ChangeBlock.entries(plaintext, first: first, last: last)
    }

    /// The index of the entry whose dots include `seq` (binary search: entries are in seq order).
    func index(containing seq: UInt64) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].lastSeq < seq { low = mid + 1 } else { high = mid }
        }
        return low < entries.count && entries[low].firstSeq <= seq ? low : nil
    }

    func changeSet(at index: Int) throws(StorageError) -> ChangeSet {
        if let set = decoded[index] { return set }
        let entry = entries[index]
        let content: ChangeSet.Content
        do {
            var reader = ByteReader(plaintext, offset: entry.body.lowerBound)
            content = try ChangeSetCodec.readBody(from: &reader, origin: origin)
            guard reader.offset == entry.body.upperBound else { throw CoreError(.malformedEncoding, "body length") }
        } catch {
            throw StorageError(.tampered, "change set \(origin):\(entry.firstSeq): \(error)")
        }
        let set = ChangeSet(origin: origin, firstSeq: entry.firstSeq, hlc: entry.hlc, entity: entry.entity, record: entry.record, content: content)
        guard set.count == entry.count else { throw StorageError(.tampered, "change set \(origin):\(entry.firstSeq): dot count") }
        decoded[index] = set
        return set
    }
}

/// Reads the change log inside one database access: finds and opens the block holding a dot,
/// keeping the last few opened (records written together share blocks, so reading them in
/// insertion order opens each block once).
final class ChangeLogReader {
    private let db: Database
    private let key: SymmetricKey
    private let capacity: Int
    /// Opened blocks per origin, sorted by first seq, with when each was last used (for eviction).
    private var opened: [ReplicaID: [OpenedBlock]] = [:]
    private var openedCount = 0
    private var lastUse: [ObjectIdentifier: Int] = [:]
    private var clock = 0
    private var last: OpenedBlock?
    /// The local index of an origin (a write transaction adds origins as it goes).
    var originIndex: (ReplicaID) -> Int64?

    init(db: Database, key: SymmetricKey, capacity: Int = 16, originIndex: @escaping (ReplicaID) -> Int64? = { _ in nil }) {
        self.db = db
        self.key = key
        self.capacity = capacity
        self.originIndex = originIndex
    }

    /// The block of `origin` that covers `seq`, or nil if the log has none (a skipped range).
    func block(_ origin: ReplicaID, containing seq: UInt64) throws -> OpenedBlock? {
        if let last, last.origin == origin, last.first <= seq, seq <= last.last { return last }
        if let blocks = opened[origin] {
            let index = Self.position(of: seq, in: blocks)
            if index > 0, blocks[index - 1].last >= seq {
                let hit = blocks[index - 1]
                clock += 1
                lastUse[ObjectIdentifier(hit)] = clock
                last = hit
                return hit
            }
        }
        guard let index = originIndex(origin),
              let row = try Row.fetchOne(db, cachedSQL: "SELECT key, last_seq, body FROM changeblock WHERE key BETWEEN ? AND ? ORDER BY key DESC LIMIT 1",
                                         arguments: [ChangeBlock.key(index, 0), ChangeBlock.key(index, seq)])
        else { return nil }
        let first = UInt64(bitPattern: row["key"]) & ((1 << ChangeBlock.seqBits) - 1), last = UInt64(bitPattern: row["last_seq"])
        guard seq <= last else { return nil }
        let block = try OpenedBlock(origin: origin, first: first, last: last, plaintext: try ChangeBlock.open([UInt8](row["body"] as Data), origin: origin, first: first, last: last, key: key))
        remember(block)
        return block
    }

    /// The index of the first block starting after `seq`.
    private static func position(of seq: UInt64, in blocks: [OpenedBlock]) -> Int {
        var low = 0, high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if blocks[mid].first <= seq { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func remember(_ block: OpenedBlock) {
        var blocks = opened[block.origin] ?? []
        let index = Self.position(of: block.first, in: blocks)
        if index > 0, blocks[index - 1].first == block.first {
            lastUse[ObjectIdentifier(blocks[index - 1])] = nil
            blocks[index - 1] = block
        } else {
            if openedCount >= capacity { evictLeastRecentlyUsed() }
            blocks.insert(block, at: Self.position(of: block.first, in: blocks))
            openedCount += 1
        }
        opened[block.origin] = blocks
        clock += 1
        lastUse[ObjectIdentifier(block)] = clock
        last = block
    }

    private func evictLeastRecentlyUsed() {
        var oldest: (origin: ReplicaID, index: Int, use: Int)?
        for (origin, blocks) in opened {
            for (index, block) in blocks.enumerated() {
                let use = lastUse[ObjectIdentifier(block)] ?? 0
                if oldest.map({ use < $0.use }) ?? true { oldest = (origin, index, use) }
            }
        }
        guard let oldest else { return }
        let evicted = opened[oldest.origin]!.remove(at: oldest.index)
        lastUse[ObjectIdentifier(evicted)] = nil
        if last === evicted { last = nil }
        openedCount -= 1
    }

    /// The change set that wrote `dot`; it must belong to `record` (anything else is corruption).
    func changeSet(containing dot: Dot, record: RecordID) throws -> ChangeSet? {
        guard let block = try block(dot.origin, containing: dot.seq), let index = block.index(containing: dot.seq) else { return nil }
        let set = try block.changeSet(at: index)
        guard set.record == record else { throw StorageError(.tampered, "change \(dot) does not belong to record \(record)") }
        return set
    }

    /// The value the change at `dot` wrote (nil for clears, removals and redacted changes).
    func value(at dot: Dot, record: RecordID) throws -> Value? {
        guard let set = try changeSet(containing: dot, record: record), case .fields(let fields) = set.content else { return nil }
        return fields[Int(dot.seq - set.firstSeq)].operation.value
    }

    /// Replaces the change sets of `record` in the block holding `dot` with their redacted form
    /// (what an erasure leaves: dots, no values), resealing the block.
    func redact(_ record: RecordID, inBlockOf dot: Dot) throws {
        guard let block = try block(dot.origin, containing: dot.seq), let index = originIndex(dot.origin) else { return }
        let sets = try block.entries.indices.map { try block.changeSet(at: $0) }
        try rewrite(block, originIndex: index, with: sets.map { $0.record == record ? $0.redacted : $0 })
    }

    /// Stores a change set inside a range the log skipped (back-fill): into the block whose range
    /// holds that gap, resealed, or as a block of its own between blocks. Dots belong to one change
    /// set only, so the set never straddles a block boundary.
    func insertBelowEnd(_ set: ChangeSet, originIndex: Int64) throws {
        guard let block = try block(set.origin, containing: set.firstSeq) else {
            return try Self.insert(try Self.seal([set], originIndex: originIndex, key: key), db: db)
        }
        var sets = try block.entries.indices.map { try block.changeSet(at: $0) }
        guard !sets.contains(where: { $0.firstSeq == set.firstSeq }) else { return }
        sets.insert(set, at: sets.firstIndex { $0.firstSeq > set.firstSeq } ?? sets.endIndex)
        try rewrite(block, originIndex: originIndex, with: sets)
    }

    /// Replaces a block's change sets (same range) under a fresh nonce, and keeps the new version open.
    private func rewrite(_ block: OpenedBlock, originIndex: Int64, with sets: [ChangeSet]) throws {
        let plaintext = ChangeBlock.encode(sets)
        try db.execute(sql: "UPDATE changeblock SET body = ?, sets = ? WHERE key = ?", arguments: [
            Data(ChangeBlock.seal(plaintext, origin: block.origin, first: block.first, last: block.last, key: key)), sets.count,
            ChangeBlock.key(originIndex, block.first),
        ])
        remember(try OpenedBlock(origin: block.origin, first: block.first, last: block.last, plaintext: plaintext))
    }

    /// A block ready to insert.
    struct SealedBlock: Sendable {
        let key: Int64
        let last: UInt64
        let sets: Int
        let body: [UInt8]
    }

    /// Groups new change sets of one origin (in seq order, after everything the log holds of it)
    /// into blocks and seals them. Pure work, so it can run on another core while SQLite writes.
    static func seal(_ sets: [ChangeSet], originIndex: Int64, key: SymmetricKey) throws(StorageError) -> [SealedBlock] {
        var blocks: [SealedBlock] = []
        var start = sets.startIndex
        while start < sets.endIndex {
            var end = start, bytes = 0
            while end < sets.endIndex, end - start < ChangeBlock.maxSets, bytes < ChangeBlock.maxPlaintextBytes {
                bytes += 40 + sets[end].count * 16
                end += 1
            }
            let slice = sets[start..<end]
            let first = slice.first!.firstSeq, last = slice.last!.lastSeq
            guard last < 1 << ChangeBlock.seqBits else { throw StorageError(.invalidChange, "sequence number \(last) is beyond the log's range") }
            let body = ChangeBlock.seal(ChangeBlock.encode(slice), origin: slice.first!.origin, first: first, last: last, key: key)
            blocks.append(SealedBlock(key: ChangeBlock.key(originIndex, first), last: last, sets: slice.count, body: body))
            start = end
        }
        return blocks
    }

    static func insert(_ blocks: [SealedBlock], db: Database) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO changeblock(key, last_seq, sets, body) VALUES (?, ?, ?, ?)")
        for block in blocks {
            try insert.execute(arguments: [block.key, Int64(bitPattern: block.last), block.sets, Data(block.body)])
        }
    }
}

/// Work started on another core now and collected later with ``value()`` (the group's wait orders
/// the worker's write before the caller's read).
final class Background<T>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var outcome: Result<T, StorageError>?

    init(_ work: @escaping @Sendable () throws(StorageError) -> T) {
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            do throws(StorageError) { outcome = .success(try work()) } catch { outcome = .failure(error) }
            group.leave()
        }
    }

    func value() throws(StorageError) -> T {
        group.wait()
        return try outcome!.get()
    }
}
