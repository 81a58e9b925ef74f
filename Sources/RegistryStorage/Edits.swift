public import RegistryCore

/// A local edit to one record, in terms a person uses ("set the family name"); storage turns it into
/// CRDT operations against what the replica currently holds (which dots a write supersedes, which a
/// removal observed).
public struct RecordEdit: Sendable {
    public enum Operation: Sendable {
        /// `lww` and `mv` fields: replace what this replica sees (`nil` clears).
        case set(FieldID, Value?)
        /// `set` fields: add an element.
        case add(FieldID, Value)
        /// `set` fields: remove the element equal to the value, as this replica sees it.
        case remove(FieldID, Value)
        /// `log` fields: append an event.
        case append(FieldID, Value)
    }

    public let record: RecordID
    public let entity: EntityKind
    public let operations: [Operation]
    public let erase: Bool

    public init(record: RecordID, entity: EntityKind = .registration, operations: [Operation]) {
        self.record = record
        self.entity = entity
        self.operations = operations
        erase = false
    }

    private init(erasing record: RecordID, entity: EntityKind) {
        self.record = record
        self.entity = entity
        operations = []
        erase = true
    }

    /// Erasure: every value of the record is wiped on every replica; only its id and dots remain.
    public static func erasure(of record: RecordID, entity: EntityKind = .registration) -> RecordEdit {
        RecordEdit(erasing: record, entity: entity)
    }
}

/// A term for exact lookup through a keyed blind index (e.g. a name skeleton or a document number).
public struct IndexTerm: Hashable, Sendable {
    public let kind: String
    public let text: String

    public init(kind: String, text: String) {
        self.kind = kind
        self.text = text
    }
}

/// What one `apply` did.
public struct ApplyOutcome: Sendable, Equatable {
    /// Change sets new to this replica, now durable.
    public var applied = 0
    /// Change sets already known: re-sent batches are no-ops.
    public var alreadyKnown = 0
    /// Changes (dots) the applied sets carried.
    public var changes = 0
    public var recordsTouched = 0
    public init() {}
}

/// Counts for `regsync status`.
public struct ReplicaSummary: Sendable, Equatable {
    public var records = 0
    public var erased = 0
    public var byStatus: [String: Int] = [:]
    public var byEntity: [String: Int] = [:]
    public var recordsWithConflicts = 0
    public var changeSets = 0
    public var versionVector = VersionVector()
    public init() {}
}
