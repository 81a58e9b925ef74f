/// A record as people read it: each field's live values resolved, conflicts marked.
public struct RecordView: Sendable, Hashable {
    public struct FieldValues: Sendable, Hashable {
        public let spec: FieldSpec
        /// Live values in a deterministic order: one for `lww`; one, or several in conflict, for `mv`;
        /// the distinct elements of a `set`; every event of a `log` in clock order.
        public let values: [Value]
        /// Stamps of the live entries in clock order (for logs, aligned with `values`).
        public let stamps: [Stamp]
        public var isConflict: Bool { spec.kind == .mv && values.count > 1 }
        public var single: Value? { values.count == 1 ? values[0] : nil }
    }

    public let id: RecordID
    public let entity: EntityKind
    public let isErased: Bool
    public let fields: [FieldID: FieldValues]

    /// Resolves `state` with a lookup from dot to the value that change wrote (`nil` for clears).
    public init(id: RecordID, state: RecordState, value: (Dot) -> Value?) {
        self.id = id
        entity = state.entity
        isErased = state.isErased
        let schema = Schema.entity(state.entity)
        var fields: [FieldID: FieldValues] = Dictionary(minimumCapacity: state.fields.count)
        for (id, field) in state.fields {
            guard let spec = schema[id], !field.entries.isEmpty else { continue }
            let stamps = field.entries
            let values: [Value]
            if stamps.count == 1 {
                values = value(stamps[0].dot).map { [$0] } ?? []
            } else {
                switch spec.kind {
                case .lww:
                    values = stamps.last.flatMap { value($0.dot) }.map { [$0] } ?? []
                case .mv, .set:
                    values = Array(Set(stamps.compactMap { value($0.dot) })).sorted(by: Value.canonicalOrder)
                case .log:
                    values = stamps.compactMap { value($0.dot) }
                }
            }
            if !values.isEmpty { fields[id] = FieldValues(spec: spec, values: values, stamps: stamps) }
        }
        self.fields = fields
    }

    public subscript(name: String) -> FieldValues? {
        Schema.entity(entity)[name].flatMap { fields[$0.id] }
    }

    /// The single value of a field, or the conflicting values joined for display.
    public func text(_ name: String) -> String? {
        guard let field = self[name] else { return nil }
        return field.values.map(Self.display).joined(separator: " | ")
    }

    public var conflicts: [FieldSpec] { fields.values.filter(\.isConflict).map(\.spec).sorted { $0.id < $1.id } }

    /// Status events with their stamps (log order).
    public var statusEvents: [StatusEvent] {
        guard let field = self["status_events"] else { return [] }
        return zip(field.values, field.stamps).compactMap { StatusEvent($0, stamp: $1) }
    }

    public static func display(_ value: Value) -> String {
        switch value {
        case .text(let text): text
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .object(let object): object.keys.sorted().map { "\($0)=\(object[$0]!)" }.joined(separator: ";")
        }
    }
}
