/// What kind of record a change is about.
public enum EntityKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case registration = 1
    case household = 2
    case site = 3
    case duplicateCase = 4
    case reviewDecision = 5
    /// A registration's privacy-preserving match encoding, published by the central node to every site.
    case matchEntry = 6

    public var description: String {
        switch self {
        case .registration: "registration"
        case .household: "household"
        case .site: "site"
        case .duplicateCase: "duplicate_case"
        case .reviewDecision: "review_decision"
        case .matchEntry: "match_entry"
        }
    }
}

/// How concurrent writes to a field merge.
public enum FieldKind: UInt8, Sendable {
    /// Last writer wins by `(hlc, origin, seq)`: ordinary fields.
    case lww = 1
    /// Multi-value register: concurrent writes all survive and show as a conflict to review.
    /// Used for identity fields, because nothing a person typed may be silently lost.
    case mv = 2
    /// Add-wins observed-remove set: documents, aliases, flags.
    case set = 3
    /// Grow-only set of events: status lifecycle, placements.
    case log = 4
}

/// How carefully a field's values are handled (all are sealed at rest and in transit).
public enum Sensitivity: UInt8, Sendable {
    /// Reference data: site ids, states, timestamps, links. Not about a person's identity.
    case reference = 0
    /// Personal data.
    case personal = 1
    /// GDPR article 9 data (health, vulnerability, disability): shown only to those who need it.
    case specialCategory = 2
}

/// A field's stable wire number. Numbers are never reused; names are for people.
public struct FieldID: RawRepresentable, Hashable, Comparable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (lhs: FieldID, rhs: FieldID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One field of an entity: number, name, merge kind and sensitivity.
public struct FieldSpec: Sendable, Hashable {
    public let id: FieldID
    public let name: String
    public let kind: FieldKind
    public let sensitivity: Sensitivity

    init(_ id: UInt16, _ name: String, _ kind: FieldKind, _ sensitivity: Sensitivity = .personal) {
        self.id = FieldID(rawValue: id)
        self.name = name
        self.kind = kind
        self.sensitivity = sensitivity
    }
}

/// The fields of one entity kind.
public struct EntitySchema: Sendable {
    public let entity: EntityKind
    public let fields: [FieldSpec]
    /// Specs by wire number (numbers are small): looked up for every change merged.
    private let byID: [FieldSpec?]
    private let byName: [String: FieldSpec]

    init(_ entity: EntityKind, _ fields: [FieldSpec]) {
        self.entity = entity
        self.fields = fields
        var byID = [FieldSpec?](repeating: nil, count: Int(fields.map(\.id.rawValue).max() ?? 0) + 1)
        for field in fields {
            precondition(byID[Int(field.id.rawValue)] == nil, "field number \(field.id.rawValue) used twice")
            byID[Int(field.id.rawValue)] = field
        }
        self.byID = byID
        byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
    }

    public subscript(id: FieldID) -> FieldSpec? { Int(id.rawValue) < byID.count ? byID[Int(id.rawValue)] : nil }
    public subscript(name: String) -> FieldSpec? { byName[name] }
}

/// The registration schema of DOMAIN.md, each field with its merge kind.
///
/// Wire numbers: 1–9 provenance, 10–19 identity, 20–29 eligibility and household,
/// 30–39 lifecycle, 40–49 duplicate handling. Add fields; never renumber.
public enum Schema {
    public static let registration = EntitySchema(.registration, [
        // Provenance: the external reference is kept from imports and appears in every export.
        FieldSpec(1, "record_id", .lww),
        FieldSpec(2, "site_id", .lww, .reference),
        FieldSpec(3, "country", .lww, .reference),
        FieldSpec(4, "registered_at", .lww, .reference),
        // Identity: multi-value, so concurrent corrections surface as conflicts.
        FieldSpec(10, "given_name", .mv),
        FieldSpec(11, "family_name", .mv),
        FieldSpec(12, "patronymic", .mv),
        FieldSpec(13, "sex", .mv),
        FieldSpec(14, "birth_date", .mv),
        FieldSpec(15, "birth_place", .mv),
        FieldSpec(16, "nationality", .mv),
        FieldSpec(17, "documents", .set),
        FieldSpec(18, "aliases", .set),
        // Eligibility and household.
        FieldSpec(20, "eligibility_group", .lww),
        FieldSpec(21, "tcn_subtype", .lww),
        FieldSpec(22, "arrival_date", .lww),
        FieldSpec(23, "present_before_2022_02_24", .lww),
        FieldSpec(24, "earlier_countries", .set),
        FieldSpec(25, "region_of_origin", .lww),
        FieldSpec(26, "household_id", .lww, .reference),
        FieldSpec(27, "household_role", .lww),
        FieldSpec(28, "phone", .lww),
        // Lifecycle: events, never overwritten.
        FieldSpec(30, "status_events", .log),
        FieldSpec(31, "placements", .log),
        FieldSpec(32, "special_needs", .set, .specialCategory),
        FieldSpec(33, "unaccompanied_minor", .lww),
        FieldSpec(34, "notes", .lww),
        // Duplicate handling: the site's provisional flag, confirmed or cleared centrally.
        FieldSpec(40, "duplicate_check", .lww, .reference),
        // The person a "same person" or "handover" review decision links this registration to (the
        // smallest member id of the case). Both registrations stay; nothing is merged or deleted.
        FieldSpec(41, "person_id", .lww, .reference),
    ])

    public static let household = EntitySchema(.household, [
        FieldSpec(1, "label", .lww),
        FieldSpec(2, "site_id", .lww, .reference),
        FieldSpec(3, "notes", .lww),
    ])

    public static let site = EntitySchema(.site, [
        FieldSpec(1, "site_id", .lww, .reference),
        FieldSpec(2, "name", .lww, .reference),
        FieldSpec(3, "site_type", .lww, .reference),
        FieldSpec(4, "capacity", .lww, .reference),
        // The state's match-index key (base64), on the central node's own site record: sites need it
        // to encode a new registration the way the index was encoded. Sealed like every value.
        FieldSpec(5, "match_key", .lww),
    ])

    /// One entry of the state's match index: keyed hashes only (``RegistryMatching/MatchEncoding``).
    public static let matchEntry = EntitySchema(.matchEntry, [
        FieldSpec(1, "encoding", .lww, .reference),
        FieldSpec(2, "registration", .lww, .reference),
        FieldSpec(3, "site_id", .lww, .reference),
    ])

    public static let duplicateCase = EntitySchema(.duplicateCase, [
        FieldSpec(1, "members", .set, .reference),
        FieldSpec(2, "score", .lww, .reference),
        FieldSpec(3, "explanation", .lww, .reference),
        FieldSpec(4, "opened_by", .lww, .reference),
        // `match` (a cluster at the match threshold) or `possible` (a pair for review).
        FieldSpec(5, "band", .lww, .reference),
        FieldSpec(6, "opened_at", .lww, .reference),
        // Every scored pair of the case: {a, b, score, band, explanation}; ids and field names only.
        FieldSpec(7, "pairs", .set, .reference),
    ])

    public static let reviewDecision = EntitySchema(.reviewDecision, [
        FieldSpec(1, "case_id", .lww, .reference),
        FieldSpec(2, "decisions", .log, .reference),
    ])

    public static func entity(_ kind: EntityKind) -> EntitySchema {
        switch kind {
        case .registration: registration
        case .household: household
        case .site: site
        case .duplicateCase: duplicateCase
        case .reviewDecision: reviewDecision
        case .matchEntry: matchEntry
        }
    }

    /// A 64-bit FNV-1a digest of every entity's field numbers, names and kinds: peers with different
    /// schemas refuse each other before any data moves.
    public static let fingerprint: UInt64 = {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for kind in EntityKind.allCases {
            mix(kind.rawValue)
            for field in entity(kind).fields {
                mix(UInt8(field.id.rawValue >> 8)); mix(UInt8(field.id.rawValue & 0xFF))
                field.name.utf8.forEach(mix)
                mix(field.kind.rawValue); mix(field.sensitivity.rawValue)
            }
        }
        return hash
    }()
}
