public import RegistryCore

/// Dots the receiver does not need (outside its scope, e.g. another site's registrations):
/// they advance its version vector without data, so "what you miss" stays one range per origin.
public typealias SkipRange = SeqRange

/// Change sets (and skipped dots) the receiver misses, bounded in bytes by the sender.
///
/// The receiver applies a batch **in one transaction** together with its new version vector, then
/// acknowledges that vector: a cut link loses at most the batch in flight, and a batch sent twice
/// is a no-op (every change set is identified by its dots).
///
/// ## Encoding
/// Registrations are small and numerous, and the link is a laptop's mobile connection, so a batch
/// is encoded for size (layout in `Protocol/sync-protocol.md`): origins are written once per batch
/// in a dictionary and referred to by index; each change set's first seq is a delta from where the
/// previous change set of the same origin ended (normally 0); clocks are deltas of milliseconds
/// from the previous change set; a UUIDv7 record id's timestamp is a delta from the change set's
/// clock; bodies are ``ChangeSetCodec`` bodies. The envelope then deflates
/// the whole payload, which removes the repetition of field numbers and common values.
public struct Batch: Sendable, Equatable {
    /// In seq order within each origin (the receiver refuses a gap).
    public var changeSets: [ChangeSet]
    /// Ranges of dots the receiver can count as known without data.
    public var skips: [SkipRange]
    /// What this batch brings the receiver up to (informative; the receiver computes its own vector
    /// and refuses a batch that claims more than it brings, see ``resultingVector(from:)``).
    public var through: VersionVector

    public init(changeSets: [ChangeSet] = [], skips: [SkipRange] = [], through: VersionVector = VersionVector()) {
        self.changeSets = changeSets
        self.skips = skips
        self.through = through
    }

    /// No change sets and no skips: in a download, the end of the session.
    public var isEmpty: Bool { changeSets.isEmpty && skips.isEmpty }

    /// The highest sequence numbers an encoded batch may carry (2^62): keeps `firstSeq + count`
    /// far from overflow whatever a hostile peer writes.
    public static let maxSeq: UInt64 = 1 << 62

    /// Exact size of this batch's payload in bytes, before compression.
    public var encodedSize: Int {
        var writer = ByteWriter(capacity: 1024)
        write(to: &writer)
        return writer.bytes.count
    }

    /// Exact payload size of a batch holding just `changeSets` (no skips, empty `through`): what the
    /// lead's storage layer can use to bound a batch it builds by hand. ``Builder`` does this incrementally.
    public static func encodedSize(of changeSets: [ChangeSet]) -> Int {
        Batch(changeSets: changeSets).encodedSize
    }

    /// The receiver's vector after applying this batch to a replica that knows `vector`, after checking
    /// that it can be applied: each origin's change sets and skips must continue from `vector` without
    /// a gap, every change set must fit the schema, and `through` must not claim more than is brought.
    /// - Throws: ``RejectionCode/gap``, ``RejectionCode/invalidChange``.
    public func resultingVector(from vector: VersionVector) throws(ProtocolError) -> VersionVector {
        var ranges: [ReplicaID: [(first: UInt64, last: UInt64)]] = [:]
        for changeSet in changeSets {
            do throws(CoreError) { try changeSet.validate() } catch {
                throw ProtocolError(error, in: "change set \(changeSet.origin)#\(changeSet.firstSeq)")
            }
            ranges[changeSet.origin, default: []].append((changeSet.firstSeq, changeSet.lastSeq))
        }
        for skip in skips {
            guard skip.firstSeq >= 1, skip.lastSeq >= skip.firstSeq else {
                throw ProtocolError(.malformed, "skip \(skip.origin)#\(skip.firstSeq)-\(skip.lastSeq) is empty")
            }
            ranges[skip.origin, default: []].append((skip.firstSeq, skip.lastSeq))
        }
        var result = vector
        for (origin, originRanges) in ranges {
            var reached = vector[origin]
            for range in originRanges.sorted(by: { $0.first < $1.first }) {
                guard range.first <= reached + 1 else {
                    throw ProtocolError(.gap, "origin \(origin): batch continues at \(range.first), receiver has \(reached)")
                }
                reached = max(reached, range.last)
            }
            result.advance(origin, to: reached)
        }
        for (origin, seq) in through.counters where seq > result[origin] {
            throw ProtocolError(.gap, "origin \(origin): batch claims \(seq) but brings \(result[origin])")
        }
        return result
    }

    /// Refuses change sets stamped more than `maxSkewMilliseconds` ahead of the receiver's wall clock
    /// (`clock_skew`): the sender keeps them queued and tells its operator; nothing is dropped.
    public func checkClocks(wallClockMilliseconds: UInt64, maxSkewMilliseconds: UInt64) throws(ProtocolError) {
        for changeSet in changeSets {
            let stamp = changeSet.hlc.milliseconds
            if stamp > wallClockMilliseconds, stamp - wallClockMilliseconds > maxSkewMilliseconds {
                throw ProtocolError(
                    .clockSkew,
                    "change set \(changeSet.origin)#\(changeSet.firstSeq) is \((stamp - wallClockMilliseconds) / 1000) s ahead (allowed \(maxSkewMilliseconds / 1000) s)"
                )
            }
        }
    }

    // MARK: Encoding

    /// Origins in order of first appearance: change sets, then skips, then `through` (ascending).
    private var originDictionary: [ReplicaID] {
        var seen: Set<ReplicaID> = []
        var order: [ReplicaID] = []
        func note(_ origin: ReplicaID) { if seen.insert(origin).inserted { order.append(origin) } }
        changeSets.forEach { note($0.origin) }
        skips.forEach { note($0.origin) }
        through.counters.keys.sorted().forEach(note)
        return order
    }

    func write(to writer: inout ByteWriter) {
        let origins = originDictionary
        var index: [ReplicaID: Int] = [:]
        writer.varint(UInt64(origins.count))
        for (position, origin) in origins.enumerated() {
            writer.identifier(origin)
            index[origin] = position
        }
        writer.varint(UInt64(changeSets.count))
        var previousLast: [ReplicaID: UInt64] = [:]
        var previousMilliseconds: UInt64 = 0
        for changeSet in changeSets {
            writer.varint(UInt64(index[changeSet.origin]!))
            let expected = (previousLast[changeSet.origin] ?? 0) &+ 1
            writer.zigzag(Int64(bitPattern: changeSet.firstSeq &- expected))
            previousLast[changeSet.origin] = changeSet.lastSeq
            writer.zigzag(Int64(bitPattern: changeSet.hlc.milliseconds &- previousMilliseconds))
            previousMilliseconds = changeSet.hlc.milliseconds
            writer.varint(UInt64(changeSet.hlc.counter))
            writeRecord(changeSet, to: &writer)
            ChangeSetCodec.writeBody(changeSet.content, origin: changeSet.origin, to: &writer)
        }
        writer.varint(UInt64(skips.count))
        for skip in skips {
            writer.varint(UInt64(index[skip.origin]!))
            writer.varint(skip.firstSeq)
            writer.varint(skip.lastSeq &- skip.firstSeq)
        }
        let entries = through.counters.sorted { $0.key < $1.key }
        writer.varint(UInt64(entries.count))
        for (origin, seq) in entries {
            writer.varint(UInt64(index[origin]!))
            writer.varint(seq)
        }
    }

    /// Bit 7 of the entity byte: the record id is a UUIDv7 whose 48-bit timestamp is written as a
    /// delta from the change set's clock (a registration's id is minted in the transaction that
    /// writes it, so the delta is usually 0): `zigzag(ms delta) ‖ low 16 bits of the high half ‖
    /// low half u64` — 11 bytes instead of 16 for the first change set of every record.
    static let compactRecordFlag: UInt8 = 0x80

    private func writeRecord(_ changeSet: ChangeSet, to writer: inout ByteWriter) {
        let record = changeSet.record
        let delta = Int64(bitPattern: record.unixMilliseconds &- changeSet.hlc.milliseconds)
        if (record.high >> 12) & 0xF == 7, delta.magnitude < 1 << 40 {
            writer.byte(changeSet.entity.rawValue | Self.compactRecordFlag)
            writer.zigzag(delta)
            writer.byte(UInt8(truncatingIfNeeded: record.high >> 8))
            writer.byte(UInt8(truncatingIfNeeded: record.high))
            writer.fixed64(record.low)
        } else {
            writer.byte(changeSet.entity.rawValue)
            writer.identifier(record)
        }
    }

    private static func readRecord(from reader: inout WireReader, hlcMilliseconds: UInt64) throws(ProtocolError) -> (EntityKind, RecordID) {
        let rawEntity = try reader.byte()
        guard let entity = EntityKind(rawValue: rawEntity & ~compactRecordFlag) else {
            throw ProtocolError(.malformed, "batch: unknown entity \(rawEntity & ~compactRecordFlag)")
        }
        guard rawEntity & compactRecordFlag != 0 else { return (entity, try reader.identifier()) }
        let milliseconds = hlcMilliseconds &+ UInt64(bitPattern: try reader.zigzag())
        guard milliseconds < 1 << 48 else { throw ProtocolError(.malformed, "batch: record timestamp out of range") }
        let bytes = try reader.raw(2)
        let high = milliseconds << 16 | UInt64(bytes[0]) << 8 | UInt64(bytes[1])
        guard (high >> 12) & 0xF == 7 else { throw ProtocolError(.malformed, "batch: compact record id is not a UUIDv7") }
        return (entity, RecordID(high: high, low: try reader.fixed64()))
    }

    static func read(from reader: inout WireReader) throws(ProtocolError) -> Batch {
        let originCount = try reader.count(minimumItemBytes: 16)
        var origins: [ReplicaID] = []
        origins.reserveCapacity(originCount)
        for _ in 0..<originCount { origins.append(try reader.identifier()) }
        guard Set(origins).count == origins.count else { throw ProtocolError(.malformed, "batch: origin listed twice") }
        func origin(_ reader: inout WireReader) throws(ProtocolError) -> ReplicaID {
            let position = try reader.varint()
            guard position < UInt64(origins.count) else { throw ProtocolError(.malformed, "batch: origin index \(position) out of range") }
            return origins[Int(position)]
        }

        // Smallest change set: index, seq delta, ms delta, counter, entity (1 each), record 16, body 1.
        let changeSetCount = try reader.count(minimumItemBytes: 22)
        var changeSets: [ChangeSet] = []
        changeSets.reserveCapacity(changeSetCount)
        var previousLast: [ReplicaID: UInt64] = [:]
        var previousMilliseconds: UInt64 = 0
        for _ in 0..<changeSetCount {
            let changeOrigin = try origin(&reader)
            let expected = (previousLast[changeOrigin] ?? 0) + 1
            let firstSeq = expected &+ UInt64(bitPattern: try reader.zigzag())
            guard firstSeq >= 1, firstSeq <= maxSeq else { throw ProtocolError(.malformed, "batch: first seq \(firstSeq) out of range") }
            let milliseconds = previousMilliseconds &+ UInt64(bitPattern: try reader.zigzag())
            guard milliseconds < 1 << 48 else { throw ProtocolError(.malformed, "batch: clock out of range") }
            previousMilliseconds = milliseconds
            let counter = try reader.varint()
            guard counter <= UInt64(UInt16.max) else { throw ProtocolError(.malformed, "batch: clock counter out of range") }
            let (entity, record) = try readRecord(from: &reader, hlcMilliseconds: milliseconds)
            let content = try reader.body(origin: changeOrigin)
            let changeSet = ChangeSet(
                origin: changeOrigin, firstSeq: firstSeq, hlc: HLCTimestamp(milliseconds: milliseconds, counter: UInt16(counter)),
                entity: entity, record: record, content: content)
            guard changeSet.count >= 1 else { throw ProtocolError(.invalidChange, "batch: change set \(changeOrigin)#\(firstSeq) is empty") }
            previousLast[changeOrigin] = changeSet.lastSeq
            changeSets.append(changeSet)
        }

        let skipCount = try reader.count(minimumItemBytes: 3)
        var skips: [SkipRange] = []
        skips.reserveCapacity(skipCount)
        for _ in 0..<skipCount {
            let skipOrigin = try origin(&reader)
            let first = try reader.varint()
            let span = try reader.varint()
            guard first >= 1, first <= maxSeq, span <= maxSeq else { throw ProtocolError(.malformed, "batch: skip out of range") }
            skips.append(SkipRange(origin: skipOrigin, firstSeq: first, lastSeq: first + span))
        }

        let entryCount = try reader.count(minimumItemBytes: 2)
        var counters: [ReplicaID: UInt64] = [:]
        for _ in 0..<entryCount {
            let entryOrigin = try origin(&reader)
            guard counters.updateValue(try reader.varint(), forKey: entryOrigin) == nil else {
                throw ProtocolError(.malformed, "batch: origin \(entryOrigin) twice in through")
            }
        }
        return Batch(changeSets: changeSets, skips: skips, through: VersionVector(counters))
    }

    /// Fills a batch with change sets until the next one would pass `maxBytes` of payload.
    ///
    /// The running size is an upper bound of the encoded size (it counts the worst case for the
    /// varints that depend on neighbours), so a built batch never exceeds `maxBytes` — except that the
    /// first change set is always accepted, however large, so that sync never stalls on one big record.
    /// Skips and `through` entries for origins not among the change sets are not counted (a few bytes each).
    ///
    /// ```swift
    /// var builder = Batch.Builder(maxBytes: 256 * 1024)
    /// for changeSet in pending { if !builder.add(changeSet) { break } }
    /// let batch = builder.build(through: vector)
    /// ```
    public struct Builder: Sendable {
        public let maxBytes: Int
        public private(set) var changeSets: [ChangeSet] = []
        /// Upper bound of the payload size of ``build(skips:through:)`` with what was added so far.
        public private(set) var encodedSize: Int = 4
        private var origins: Set<ReplicaID> = []

        public init(maxBytes: Int) { self.maxBytes = maxBytes }

        public var isEmpty: Bool { changeSets.isEmpty }

        /// Bytes `changeSet` would add at most.
        public func cost(of changeSet: ChangeSet) -> Int {
            let body = ChangeSetCodec.encodeBody(changeSet.content, origin: changeSet.origin).count
            // index ≤ 3, seq delta ≤ 10, ms delta ≤ 8 (48-bit zigzag), counter ≤ 3, entity 1, record 16.
            let header = 3 + 10 + 8 + 3 + 1 + 16
            // A new origin: 16 in the dictionary, and an entry in `through` (index ≤ 3, seq ≤ 10).
            let newOrigin = origins.contains(changeSet.origin) ? 0 : 16 + 13
            return header + body + newOrigin + varintSize(UInt64(changeSets.count + 1)) - varintSize(UInt64(changeSets.count))
        }

        /// Adds `changeSet` unless that would pass `maxBytes` (the first one is always added).
        /// - Returns: whether it was added; once it returns false the batch is full.
        @discardableResult
        public mutating func add(_ changeSet: ChangeSet) -> Bool {
            let cost = cost(of: changeSet)
            guard changeSets.isEmpty || encodedSize + cost <= maxBytes else { return false }
            changeSets.append(changeSet)
            origins.insert(changeSet.origin)
            encodedSize += cost
            return true
        }

        public func build(skips: [SkipRange] = [], through: VersionVector) -> Batch {
            Batch(changeSets: changeSets, skips: skips, through: through)
        }
    }
}
