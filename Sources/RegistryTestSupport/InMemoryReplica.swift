public import RegistryCore

/// The reference model of a replica: pure, in memory, accepting change sets in any order.
///
/// Storage must agree with it; convergence tests compare replicas of it after random delivery.
public struct InMemoryReplica: Sendable {
    public let id: ReplicaID
    public private(set) var clock = HybridLogicalClock()
    public private(set) var nextSeq: UInt64 = 1
    public private(set) var records: [RecordID: RecordState] = [:]
    /// Values written, per record then dot (`nil` for a clear); wiped on erasure.
    public private(set) var values: [RecordID: [Dot: Value?]] = [:]
    /// Every change set known, in arrival order (what gossip forwards).
    public private(set) var known: [ChangeSet] = []
    private var knownKeys: Set<Dot> = []

    public init(id: ReplicaID) { self.id = id }

    /// Writes `changes` to `record` locally and returns the change set to send.
    @discardableResult
    public mutating func write(
        _ entity: EntityKind, _ record: RecordID, _ changes: [FieldChange], wall: UInt64
    ) -> ChangeSet {
        let changeSet = ChangeSet(
            origin: id, firstSeq: nextSeq, hlc: clock.tick(wallMilliseconds: wall), entity: entity, record: record,
            content: .fields(changes))
        nextSeq += UInt64(changes.count)
        receive(changeSet)
        return changeSet
    }

    @discardableResult
    public mutating func erase(_ entity: EntityKind, _ record: RecordID, wall: UInt64) -> ChangeSet {
        let changeSet = ChangeSet(
            origin: id, firstSeq: nextSeq, hlc: clock.tick(wallMilliseconds: wall), entity: entity, record: record,
            content: .erase)
        nextSeq += 1
        receive(changeSet)
        return changeSet
    }

    /// Applies a change set from anywhere; a known one is a no-op.
    public mutating func receive(_ changeSet: ChangeSet) {
        let key = changeSet.dot(at: 0)
        guard !knownKeys.contains(key) else { return }
        knownKeys.insert(key)
        known.append(changeSet)
        if changeSet.hlc > clock.last { try? clock.receive(changeSet.hlc, wallMilliseconds: changeSet.hlc.milliseconds) }
        var state = records[changeSet.record] ?? RecordState(entity: changeSet.entity)
        state.apply(changeSet)
        records[changeSet.record] = state
        if state.isErased {
            values[changeSet.record] = nil
        } else if case .fields(let fields) = changeSet.content {
            for (index, field) in fields.enumerated() {
                values[changeSet.record, default: [:]][changeSet.dot(at: index)] = .some(field.operation.value)
            }
        }
    }

    /// The dots currently live in a field: what a new `mv` write supersedes.
    public func liveDots(_ record: RecordID, _ field: FieldID) -> [Dot] {
        records[record]?.fields[field]?.entries.map(\.dot) ?? []
    }

    public func view(_ record: RecordID) -> RecordView? {
        guard let state = records[record] else { return nil }
        let recordValues = values[record] ?? [:]
        return RecordView(id: record, state: state) { recordValues[$0] ?? nil }
    }

    /// Every record's view: what "identical materialised state" compares.
    public var views: [RecordID: RecordView] {
        Dictionary(uniqueKeysWithValues: records.keys.compactMap { id in view(id).map { (id, $0) } })
    }
}
