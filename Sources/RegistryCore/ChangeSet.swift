/// What one change does to one field.
public enum Operation: Hashable, Sendable {
    /// `lww` or `mv` write; `nil` clears the field. For `mv`, `supersedes` lists the dots the writer saw
    /// (they are replaced); concurrent writes that it did not see survive as a conflict.
    case assign(Value?, supersedes: [Dot])
    /// `set`: adds an element, tagged with this change's dot.
    case add(Value)
    /// `set` or `mv`: removes exactly the entries the writer observed (a concurrent add wins).
    case remove(observed: [Dot])
    /// `log`: appends an event. Events are never removed, only erased with the record.
    case append(Value)

    /// Whether this operation makes sense on a field of `kind`.
    public func fits(_ kind: FieldKind) -> Bool {
        switch (self, kind) {
        case (.assign(_, let supersedes), .lww): supersedes.isEmpty
        case (.assign, .mv), (.remove, .mv), (.add, .set), (.remove, .set), (.append, .log): true
        default: false
        }
    }

    /// The value this operation carries, if any.
    public var value: Value? {
        switch self {
        case .assign(let value, _): value
        case .add(let value), .append(let value): value
        case .remove: nil
        }
    }
}

/// One change as the CRDT sees it: its dot, clock, target and effect.
public struct Change: Hashable, Sendable {
    public enum Effect: Hashable, Sendable {
        case field(FieldID, Operation)
        /// Record-level tombstone: wipes every value on every replica, never undone.
        case erase
        /// A change whose content was wiped by an erasure; only its dot remains, so sync stays gap-free.
        case redacted
    }

    public let dot: Dot
    public let hlc: HLCTimestamp
    public let entity: EntityKind
    public let record: RecordID
    public let effect: Effect

    public init(dot: Dot, hlc: HLCTimestamp, entity: EntityKind, record: RecordID, effect: Effect) {
        self.dot = dot
        self.hlc = hlc
        self.entity = entity
        self.record = record
        self.effect = effect
    }
}

/// The unit a replica writes, stores and sends: consecutive changes of one origin on one record,
/// made in one local transaction and sharing one clock reading.
///
/// Change `i` has dot `(origin, firstSeq + i)`. Grouping keeps per-change overhead (ids, clocks,
/// encryption tags) paid once per transaction instead of once per field.
public struct ChangeSet: Hashable, Sendable {
    public enum Content: Hashable, Sendable {
        case fields([FieldChange])
        case erase
        /// What is left of a change set after its record was erased: how many dots it covered.
        case redacted(count: Int)
    }

    public let origin: ReplicaID
    public let firstSeq: UInt64
    public let hlc: HLCTimestamp
    public let entity: EntityKind
    public let record: RecordID
    public let content: Content

    public init(
        origin: ReplicaID, firstSeq: UInt64, hlc: HLCTimestamp, entity: EntityKind, record: RecordID,
        content: Content
    ) {
        self.origin = origin
        self.firstSeq = firstSeq
        self.hlc = hlc
        self.entity = entity
        self.record = record
        self.content = content
    }

    /// How many dots this change set covers.
    public var count: Int {
        switch content {
        case .fields(let changes): changes.count
        case .erase: 1
        case .redacted(let count): count
        }
    }

    public var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }

    public func dot(at index: Int) -> Dot { Dot(origin: origin, seq: firstSeq + UInt64(index)) }

    /// The individual changes, in dot order.
    public var changes: [Change] {
        func change(_ index: Int, _ effect: Change.Effect) -> Change {
            Change(dot: dot(at: index), hlc: hlc, entity: entity, record: record, effect: effect)
        }
        switch content {
        case .fields(let fields): return fields.enumerated().map { change($0.offset, .field($0.element.field, $0.element.operation)) }
        case .erase: return [change(0, .erase)]
        case .redacted(let count): return (0..<count).map { change($0, .redacted) }
        }
    }

    /// The same dots with every value wiped: what an erased record's history becomes.
    public var redacted: ChangeSet {
        ChangeSet(origin: origin, firstSeq: firstSeq, hlc: hlc, entity: entity, record: record, content: .redacted(count: count))
    }

    /// Checks the change set against the schema: known fields, operations that fit their kind, no empty set.
    public func validate() throws(CoreError) {
        guard case .fields(let fields) = content else { return }
        guard !fields.isEmpty else { throw CoreError(.invalidChange, "empty change set") }
        let schema = Schema.entity(entity)
        for change in fields {
            guard let spec = schema[change.field] else {
                throw CoreError(.invalidChange, "unknown field \(change.field.rawValue) of \(entity)")
            }
            guard change.operation.fits(spec.kind) else {
                throw CoreError(.invalidChange, "operation does not fit field \(spec.name)")
            }
        }
    }
}

/// One field's change inside a ``ChangeSet``.
public struct FieldChange: Hashable, Sendable {
    public let field: FieldID
    public let operation: Operation

    public init(_ field: FieldID, _ operation: Operation) {
        self.field = field
        self.operation = operation
    }
}

/// The module's one error type: a code and a context that names fields and ids, never values.
public struct CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case invalidChange
        case malformedEncoding
        /// Data that would expand past its limit once inflated.
        case oversize
        case entityMismatch
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code): \(context)" }
}
