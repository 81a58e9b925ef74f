/// A `(clock, dot)` pair: the total order last-writer-wins uses (clock first, replica and seq break ties).
public struct Stamp: Hashable, Comparable, Sendable {
    public let hlc: HLCTimestamp
    public let dot: Dot

    public init(hlc: HLCTimestamp, dot: Dot) {
        self.hlc = hlc
        self.dot = dot
    }

    public static func < (lhs: Stamp, rhs: Stamp) -> Bool { (lhs.hlc, lhs.dot) < (rhs.hlc, rhs.dot) }
}

/// The merge metadata of one field: which writes are live. Values live elsewhere, keyed by dot,
/// so storage can keep them sealed while merging on metadata alone.
///
/// For `mv`, `set` and `log` fields the live entries are every write not in `removed`, whatever order
/// writes and removals arrive in; for `lww`, the greatest stamp. Both are functions of the *set* of
/// changes applied, so merge is commutative, associative and idempotent by construction.
public struct FieldState: Hashable, Sendable {
    /// Live writes in a deterministic order: by clock, then dot. Most fields hold one, so a small
    /// sorted array (no hashing, one allocation) beats a dictionary here.
    public private(set) var entries: [Stamp] = []
    /// Dots superseded or removed (`mv`, `set`). Kept so a late-arriving write stays dead.
    public private(set) var removed: Set<Dot> = []

    public init() {}

    /// Applies one change's operation. Operations that do not fit `kind` are ignored (validation
    /// rejects them before they are stored; ignoring keeps merge total and deterministic).
    public mutating func apply(_ operation: Operation, stamp: Stamp, kind: FieldKind) {
        guard operation.fits(kind) else { return }
        switch operation {
        case .assign(_, let supersedes):
            if kind == .lww {
                if let current = winner, current >= stamp { return }
                entries = [stamp]
            } else {
                remove(supersedes)
                insert(stamp)
            }
        case .add, .append:
            insert(stamp)
        case .remove(let observed):
            remove(observed)
        }
    }

    /// The join of two states of the same field.
    public mutating func merge(_ other: FieldState, kind: FieldKind) {
        if kind == .lww {
            if let theirs = other.winner, winner.map({ $0 < theirs }) ?? true { entries = other.entries }
            return
        }
        removed.formUnion(other.removed)
        for stamp in other.entries { insert(stamp) }
        if !removed.isEmpty { entries.removeAll { removed.contains($0.dot) } }
    }

    /// The greatest live stamp: the value last-writer-wins shows.
    public var winner: Stamp? { entries.last }

    private mutating func insert(_ stamp: Stamp) {
        guard !removed.contains(stamp.dot), !entries.contains(where: { $0.dot == stamp.dot }) else { return }
        if let last = entries.last, stamp < last {
            entries.insert(stamp, at: entries.firstIndex { stamp < $0 } ?? entries.endIndex)
        } else {
            entries.append(stamp)
        }
    }

    private mutating func remove(_ dots: [Dot]) {
        for dot in dots {
            removed.insert(dot)
            entries.removeAll { $0.dot == dot }
        }
    }
}

/// The merge metadata of one record: its fields and, once erased, the tombstone that wins forever.
public struct RecordState: Hashable, Sendable {
    public let entity: EntityKind
    /// The erasure, if any (the smallest stamp among concurrent erasures, so every replica agrees).
    public private(set) var erasure: Stamp?
    public private(set) var fields: [FieldID: FieldState] = [:]

    public init(entity: EntityKind) { self.entity = entity }

    public var isErased: Bool { erasure != nil }

    /// Applies one change. Once erased, a record absorbs every later change without effect.
    public mutating func apply(_ change: Change) {
        let stamp = Stamp(hlc: change.hlc, dot: change.dot)
        switch change.effect {
        case .erase:
            if erasure.map({ stamp < $0 }) ?? true { erasure = stamp }
            fields = [:]
        case .redacted:
            return
        case .field(let id, let operation):
            guard erasure == nil, let spec = Schema.entity(entity)[id] else { return }
            fields[id, default: FieldState()].apply(operation, stamp: stamp, kind: spec.kind)
        }
    }

    public mutating func apply(_ changeSet: ChangeSet) {
        guard case .fields(let changes) = changeSet.content else {
            for change in changeSet.changes { apply(change) }
            return
        }
        // The common case without building `Change` values: same effect as applying each in turn.
        guard erasure == nil else { return }
        if fields.isEmpty { fields.reserveCapacity(changes.count) }
        let schema = Schema.entity(entity)
        for (offset, change) in changes.enumerated() {
            guard let spec = schema[change.field] else { continue }
            let stamp = Stamp(hlc: changeSet.hlc, dot: Dot(origin: changeSet.origin, seq: changeSet.firstSeq + UInt64(offset)))
            fields[change.field, default: FieldState()].apply(change.operation, stamp: stamp, kind: spec.kind)
        }
    }

    /// The join of two replicas' states of the same record.
    public mutating func merge(_ other: RecordState) {
        if let theirs = other.erasure, erasure.map({ theirs < $0 }) ?? true { erasure = theirs }
        if erasure != nil {
            fields = [:]
            return
        }
        let schema = Schema.entity(entity)
        for (id, state) in other.fields {
            guard let spec = schema[id] else { continue }
            fields[id, default: FieldState()].merge(state, kind: spec.kind)
        }
    }

    /// Identity fields whose live values disagree: a conflict for a person to review.
    public func conflicts(values: (Dot) -> Value?) -> [FieldSpec] {
        Schema.entity(entity).fields.filter { spec in
            guard spec.kind == .mv, let state = fields[spec.id], state.entries.count > 1 else { return false }
            return Set(state.entries.map { values($0.dot) }).count > 1
        }
    }
}

extension FieldState {
    /// Restores a stored state. Entries that are also removed are dropped, keeping the invariant.
    public init(entries: [Stamp], removed: Set<Dot>) {
        self.removed = removed
        for stamp in entries { insert(stamp) }
    }
}

extension RecordState {
    /// Restores a stored state; an erased record keeps no fields.
    public init(entity: EntityKind, erasure: Stamp?, fields: [FieldID: FieldState]) {
        self.entity = entity
        self.erasure = erasure
        self.fields = erasure == nil ? fields : [:]
    }
}
