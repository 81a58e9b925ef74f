/// What a status means across states, whatever a state calls it.
public enum StatusCategory: String, Codable, Sendable, CaseIterable {
    /// Received; eligibility not yet decided. Reception is given meanwhile.
    case reported
    /// Eligibility check or application pending.
    case pending
    /// Temporary protection granted and in use: the state the one-state-at-a-time rule counts.
    case active
    /// Still registered but not using protection here (left, moved, returned without a formal end).
    case inactive
    /// Deregistered, handed over to another state, or transitioned out of protection.
    case ended
}

/// One status of a state's catalogue.
public struct StatusDefinition: Codable, Sendable, Hashable {
    public let code: String
    public let label: String
    public let category: StatusCategory
    /// Codes this status may change to. An event outside this list is kept and flagged, never dropped.
    public let next: [String]

    public init(code: String, label: String, category: StatusCategory, next: [String]) {
        self.code = code
        self.label = label
        self.category = category
        self.next = next
    }
}

/// A member state's status catalogue and transition rules: data, versioned, never code.
public struct StatusCatalogue: Codable, Sendable, Hashable {
    public let state: String
    public let version: Int
    public let validFrom: String
    public let initial: String
    public let statuses: [StatusDefinition]

    public init(state: String, version: Int, validFrom: String, initial: String, statuses: [StatusDefinition]) {
        self.state = state
        self.version = version
        self.validFrom = validFrom
        self.initial = initial
        self.statuses = statuses
    }

    public func definition(_ code: String) -> StatusDefinition? { statuses.first { $0.code == code } }
}

/// A status event as stored in a registration's `status_events` log.
public struct StatusEvent: Hashable, Sendable {
    public let status: String
    /// The date the status takes effect, `YYYY-MM-DD`.
    public let date: String
    public let stamp: Stamp
    public let actor: String?
    public let basis: String?

    public init(status: String, date: String, stamp: Stamp, actor: String? = nil, basis: String? = nil) {
        self.status = status
        self.date = date
        self.stamp = stamp
        self.actor = actor
        self.basis = basis
    }

    /// Reads an event from its log value; nil when the value is not an event.
    public init?(_ value: Value, stamp: Stamp) {
        guard let object = value.object, let status = object["status"], let date = object["date"] else { return nil }
        self.init(status: status, date: date, stamp: stamp, actor: object["actor"], basis: object["basis"])
    }

    public var value: Value {
        var object = ["status": status, "date": date]
        object["actor"] = actor
        object["basis"] = basis
        return .object(object)
    }
}

/// The outcome of replaying a registration's events through its state's rules.
public struct StatusOutcome: Hashable, Sendable {
    public let code: String
    public let category: StatusCategory
    /// Events that broke the rules (unknown status, transition not allowed): kept for review.
    public let anomalies: [StatusEvent]
}

extension StatusCatalogue {
    /// Current status as a pure function of the events and the rules: events in order of effective
    /// date, then clock, then dot; an event the rules do not allow is recorded as an anomaly and skipped.
    public func currentStatus(of events: [StatusEvent]) -> StatusOutcome {
        var current = definition(initial)
        var anomalies: [StatusEvent] = []
        let ordered = events.sorted { ($0.date, $0.stamp) < ($1.date, $1.stamp) }
        for event in ordered {
            guard let target = definition(event.status),
                  current.map({ $0.code == target.code || $0.next.contains(target.code) }) ?? true
            else {
                anomalies.append(event)
                continue
            }
            current = target
        }
        return StatusOutcome(
            code: current?.code ?? initial, category: current?.category ?? .reported, anomalies: anomalies)
    }
}
