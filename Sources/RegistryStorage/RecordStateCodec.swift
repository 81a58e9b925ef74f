import RegistryCore

/// Compact, replica-local encoding of ``RecordState`` for the `record.state` column, with the
/// record's history: the first dot of every change set stored for it (what an erasure redacts).
///
/// Dots refer to replicas by their small local index (table `origin`). Each entry is coded relative
/// to the previous one: a record made in one transaction costs one byte per field entry. The most
/// common record, written by one change set whose every change is live, has a compact form: the
/// change set's dot and clock, then its field ids in order (about 27 bytes for a registration).
struct RecordStateCodec {
    let indexOf: (ReplicaID) -> Int64
    let replicaAt: (Int64) throws(StorageError) -> ReplicaID

    func encode(_ state: RecordState, history: [Dot]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        var previous: (origin: Int64, seq: UInt64, hlc: UInt64) = (-1, 0, 0)
        func stamp(_ dot: Dot, _ hlc: HLCTimestamp) {
            let origin = indexOf(dot.origin)
            if origin == previous.origin, dot.seq == previous.seq + 1, hlc.rawValue == previous.hlc {
                writer.byte(0)
            } else {
                writer.byte(1)
                writer.varint(UInt64(origin))
                writer.varint(dot.seq)
                writer.fixed64(hlc.rawValue)
            }
            previous = (origin, dot.seq, hlc.rawValue)
        }
        writer.byte(state.entity.rawValue)
        if let erasure = state.erasure {
            writer.byte(1)
            stamp(erasure.dot, erasure.hlc)
            return writer.bytes
        }
        if let single = Self.singleSet(state, history: history) {
            writer.byte(2)
            writer.varint(UInt64(indexOf(single.dot.origin)))
            writer.varint(single.dot.seq)
            writer.fixed64(single.hlc.rawValue)
            writer.varint(UInt64(single.fields.count))
            for field in single.fields { writer.varint(UInt64(field.rawValue)) }
            return writer.bytes
        }
        writer.byte(0)
        writer.varint(UInt64(history.count))
        for dot in history {
            writer.varint(UInt64(indexOf(dot.origin)))
            writer.varint(dot.seq)
        }
        // Fields in the order of their smallest live dot: a record written in one transaction then
        // has every entry one past the previous, which costs one byte.
        let fields = state.fields.map { (key: $0.key, value: $0.value, first: $0.value.entries.map(\.dot).min()) }
            .sorted { lhs, rhs in
                switch (lhs.first, rhs.first) {
                case let (l?, r?): l == r ? lhs.key < rhs.key : l < r
                case (nil, nil): lhs.key < rhs.key
                case (nil, _): false
                case (_, nil): true
                }
            }
        writer.varint(UInt64(fields.count))
        for (id, field, _) in fields {
            writer.varint(UInt64(id.rawValue))
            let live = field.entries.sorted { $0.dot < $1.dot }
            writer.varint(UInt64(live.count))
            for entry in live { stamp(entry.dot, entry.hlc) }
            writer.varint(UInt64(field.removed.count))
            for dot in field.removed.sorted() {
                writer.varint(UInt64(indexOf(dot.origin)))
                writer.varint(dot.seq)
            }
        }
        return writer.bytes
    }

    /// The compact form applies when one change set made the record and each of its changes is the
    /// one live entry of its own field: then the field ids in dot order say everything.
    static func singleSet(_ state: RecordState, history: [Dot]) -> (dot: Dot, hlc: HLCTimestamp, fields: [FieldID])? {
        guard history.count == 1 else { return nil }
        let first = history[0]
        var fields = [FieldID?](repeating: nil, count: state.fields.count)
        var hlc: HLCTimestamp?
        for (id, field) in state.fields {
            guard field.removed.isEmpty, field.entries.count == 1, let dot = field.entries.first?.dot, let stamp = field.entries.first?.hlc, dot.origin == first.origin,
                  dot.seq >= first.seq, dot.seq - first.seq < UInt64(fields.count), hlc == nil || hlc == stamp
            else { return nil }
            hlc = stamp
            fields[Int(dot.seq - first.seq)] = id
        }
        guard let hlc else { return nil }
        let ordered = fields.compactMap { $0 }
        return ordered.count == fields.count ? (first, hlc, ordered) : nil
    }

    func decode(_ bytes: [UInt8]) throws(StorageError) -> (state: RecordState, history: [Dot]) {
        do {
            var reader = ByteReader(bytes)
            var previous: (origin: Int64, seq: UInt64, hlc: UInt64) = (-1, 0, 0)
            func stamp() throws(StorageError) -> (Dot, HLCTimestamp) {
                do {
                    if try reader.byte() == 1 {
                        previous = (Int64(try reader.varint()), try reader.varint(), try reader.fixed64())
                    } else {
                        previous.seq += 1
                    }
                } catch { throw StorageError(.io, "record state: \(error)") }
                return (Dot(origin: try replicaAt(previous.origin), seq: previous.seq), HLCTimestamp(rawValue: previous.hlc))
            }
            guard let entity = EntityKind(rawValue: try reader.byte()) else { throw StorageError(.io, "record state: unknown entity") }
            switch try reader.byte() {
            case 0: break
            case 1:
                let (dot, hlc) = try stamp()
                return (RecordState(entity: entity, erasure: Stamp(hlc: hlc, dot: dot), fields: [:]), [])
            case 2:
                let origin = try replicaAt(Int64(try reader.varint()))
                let first = try reader.varint()
                let hlc = HLCTimestamp(rawValue: try reader.fixed64())
                let count = try reader.count(limit: reader.remaining)
                var fields: [FieldID: FieldState] = [:]
                for offset in 0..<count {
                    let id = FieldID(rawValue: UInt16(truncatingIfNeeded: try reader.varint()))
                    fields[id] = FieldState(entries: [Stamp(hlc: hlc, dot: Dot(origin: origin, seq: first + UInt64(offset)))], removed: [])
                }
                return (RecordState(entity: entity, erasure: nil, fields: fields), [Dot(origin: origin, seq: first)])
            default:
                throw StorageError(.io, "record state: unknown form")
            }
            let historyCount = try reader.count(limit: reader.remaining / 2)
            var history: [Dot] = []
            history.reserveCapacity(historyCount)
            for _ in 0..<historyCount {
                let origin = Int64(try reader.varint())
                history.append(Dot(origin: try replicaAt(origin), seq: try reader.varint()))
            }
            let fieldCount = try reader.count(limit: reader.remaining)
            var fields: [FieldID: FieldState] = [:]
            for _ in 0..<fieldCount {
                let id = FieldID(rawValue: UInt16(truncatingIfNeeded: try reader.varint()))
                let liveCount = try reader.count(limit: reader.remaining)
                var live: [Stamp] = []
                for _ in 0..<liveCount {
                    let (dot, hlc) = try stamp()
                    live.append(Stamp(hlc: hlc, dot: dot))
                }
                let removedCount = try reader.count(limit: reader.remaining)
                var removed: Set<Dot> = []
                for _ in 0..<removedCount {
                    let origin = Int64(try reader.varint())
                    removed.insert(Dot(origin: try replicaAt(origin), seq: try reader.varint()))
                }
                fields[id] = FieldState(entries: live, removed: removed)
            }
            return (RecordState(entity: entity, erasure: nil, fields: fields), history)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "record state: \(error)")
        }
    }
}
