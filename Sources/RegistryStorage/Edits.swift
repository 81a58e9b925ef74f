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
    /// Dots advanced over without data (outside this replica's scope).
    public var skipped = 0
    public init() {}
}

/// A node this replica syncs with, as storage keeps it.
public struct PeerState: Sendable, Equatable {
    public let replica: ReplicaID
    /// Keys, certificate and address, encoded by the sync layer.
    public let info: [UInt8]
    /// The last message counter used towards the peer.
    public let counterSent: UInt64
    /// The highest message counter accepted from the peer (replay protection).
    public let counterReceived: UInt64
    /// How far the peer has acknowledged this replica's own changes.
    public let ackedSeq: UInt64
}

/// Something received that must not be applied (a revoked sender, a refused batch), kept for a person.
public struct QuarantineEntry: Sendable, Equatable {
    public let id: Int64
    public let receivedAtMilliseconds: UInt64
    public let source: String
    public let reason: String
    public let payload: [UInt8]
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
