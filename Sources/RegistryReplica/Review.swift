public import Foundation
public import RegistryCore
import RegistryStorage

/// What a reviewer decided about a duplicate case.
public enum ReviewDecisionKind: String, Sendable, Codable, CaseIterable {
    /// The registrations are one person: they are linked under one `person_id`; both stay.
    case samePerson = "same_person"
    /// Different people (twins, namesakes): any link this case made is removed.
    case differentPeople = "different_people"
    /// One person who moved lawfully between states: linked like `same_person`; the old registration
    /// should be ended or made inactive.
    case handover
}

/// One decision as recorded in a `reviewDecision` record's `decisions` log.
public struct CaseDecision: Sendable, Equatable, Codable {
    public let decision: ReviewDecisionKind
    /// Who decided (an operator id; default: the site id).
    public let by: String
    /// When, ISO 8601 UTC.
    public let at: String
    /// On what basis (document seen, interview, letter from another state…).
    public let basis: String?
    /// Where it was decided.
    public let site: String
    public let state: String
}

/// Why a decided case needs a person's attention.
public enum CaseProblem: String, Sendable, Codable {
    /// Linked as one person, and two or more of the registrations are active TP registrations at
    /// once: one state at a time must be restored by a person (end or deactivate one). Never merged.
    case twoActiveRegistrations = "two_active_registrations"
}

/// A duplicate case as a reviewer sees it.
///
/// `members` holds the registrations' rows with their values: for the operator's own terminal only.
/// `description` names the case id, never values.
public struct DuplicateCase: Sendable, CustomStringConvertible {
    public struct Member: Sendable {
        public let id: RecordID
        /// The registration's row, or nil when this replica does not hold it (or it was erased).
        public let row: RegistrationRow?
        /// The category of its current status by this node's catalogue.
        public let category: StatusCategory?
        public var duplicateCheck: String? { extra["duplicate_check"] }
        public var personID: String? { extra["person_id"] }
        let extra: [String: String]
    }

    public let id: RecordID
    public let members: [Member]
    /// The strongest pair's probability.
    public let score: Double?
    /// `match` (a cluster) or `possible` (a pair for review).
    public let band: String?
    /// The strongest pair's explanation (field names only).
    public let explanation: String?
    public let openedBy: String?
    public let openedAt: String?
    /// Every scored pair: ids, score, band, explanation.
    public let pairs: [[String: String]]
    /// Every decision, in clock order (decisions from every replica, merged).
    public let decisions: [CaseDecision]
    public let problem: CaseProblem?

    /// The decision in force: the latest by clock.
    public var decision: ReviewDecisionKind? { decisions.last?.decision }
    /// True when reviewers decided differently (the latest is in force; all are kept).
    public var contested: Bool { Set(decisions.map(\.decision)).count > 1 }
    /// No decision yet.
    public var isOpen: Bool { decisions.isEmpty }

    public var description: String { "DuplicateCase(\(id))" }
}

/// Counts for `regsync status` and `review list`.
public struct ReviewSummary: Sendable, Equatable {
    public var cases = 0
    public var open = 0
    public var decided = 0
    public var problems = 0
}

extension Registry {
    /// Every duplicate case this replica holds, open ones first, then by id.
    public func duplicateCases() throws(ReplicaError) -> [DuplicateCase] {
        var caseViews: [RecordView] = []
        var decisions: [String: [(Stamp, CaseDecision)]] = [:]
        do {
            try store.forEachRecord(.duplicateCase) { caseViews.append($0) }
            try store.forEachRecord(.reviewDecision) { view in
                guard let caseID = view["case_id"]?.single?.text, let field = view["decisions"] else { return }
                for (value, stamp) in zip(field.values, field.stamps) {
                    if let decision = Self.decision(from: value) { decisions[caseID, default: []].append((stamp, decision)) }
                }
            }
        } catch {
            throw ReplicaError(error)
        }
        var cases: [DuplicateCase] = []
        for view in caseViews {
            let history = (decisions[view.id.description] ?? []).sorted { $0.0 < $1.0 }.map(\.1)
            cases.append(try duplicateCase(view: view, decisions: history))
        }
        return cases.sorted { ($0.isOpen ? 0 : 1, $0.id) < ($1.isOpen ? 0 : 1, $1.id) }
    }

    /// One case by its id or a unique prefix of it (at least 4 characters).
    public func duplicateCase(_ reference: String) throws(ReplicaError) -> DuplicateCase {
        let needle = reference.lowercased()
        let found = try duplicateCases().filter { $0.id.description == needle || (needle.count >= 4 && $0.id.description.hasPrefix(needle)) }
        guard found.count == 1 else {
            throw ReplicaError(.notFound, found.isEmpty ? "no duplicate case with that id" : "several cases start with that prefix; give more of the id")
        }
        return found[0]
    }

    /// Counts of cases, open ones and problems.
    public func reviewSummary() throws(ReplicaError) -> ReviewSummary {
        var summary = ReviewSummary()
        for item in try duplicateCases() {
            summary.cases += 1
            if item.isOpen { summary.open += 1 } else { summary.decided += 1 }
            if item.problem != nil { summary.problems += 1 }
        }
        return summary
    }

    /// Records a reviewer's decision on a case (a CRDT record that syncs like everything else).
    ///
    /// `same_person` and `handover` link every member this replica holds under one `person_id` (the
    /// smallest member id); `different_people` removes that link. No registration is merged, changed
    /// otherwise or deleted; two linked active registrations show as a problem for a person.
    @discardableResult
    public func decide(
        _ caseID: RecordID, decision: ReviewDecisionKind, by: String? = nil, basis: String? = nil, now: Date = Date()
    ) throws(ReplicaError) -> DuplicateCase {
        guard let view = try storage({ () throws(StorageError) in try store.record(caseID) }), view.entity == .duplicateCase, !view.isErased else {
            throw ReplicaError(.notFound, "no duplicate case \(caseID)")
        }
        if let by, by.count > 100 || by.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ReplicaError(.invalidInput, "--by must be at most 100 characters without control characters")
        }
        if let basis, basis.count > 500 || basis.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ReplicaError(.invalidInput, "--basis must be at most 500 characters without control characters")
        }
        var entry: [String: String] = [
            "decision": decision.rawValue, "by": by ?? identity.siteID, "at": RegistrationInput.formatTimestamp(milliseconds: Int64(Self.milliseconds(now))),
            "site": identity.siteID, "state": identity.state,
        ]
        entry["basis"] = basis
        let schema = Schema.reviewDecision
        var edits = [RecordEdit(record: Self.decisionRecordID(caseID), entity: .reviewDecision, operations: [
            .set(schema["case_id"]!.id, .text(caseID.description)),
            .append(schema["decisions"]!.id, .object(entry)),
        ])]
        let members = (view["members"]?.values.compactMap(\.text) ?? []).compactMap { RecordID($0) }.sorted()
        if let personID = members.first?.description {
            let field = Schema.registration["person_id"]!.id
            for member in members {
                guard let registration = try storage({ () throws(StorageError) in try store.record(member) }),
                      registration.entity == .registration, !registration.isErased else { continue }
                let current = registration["person_id"]?.single?.text
                switch decision {
                case .samePerson, .handover:
                    if current != personID { edits.append(RecordEdit(record: member, operations: [.set(field, .text(personID))])) }
                case .differentPeople:
                    if current == personID { edits.append(RecordEdit(record: member, operations: [.set(field, nil)])) }
                }
            }
        }
        _ = try storage { () throws(StorageError) in try store.commit(edits, wallMilliseconds: Self.milliseconds(now)) }
        return try duplicateCase(caseID.description)
    }

    /// The review-decision record of a case: derived from the case id alone (no key), so every
    /// replica deciding on a case appends to the same record's log and the decisions merge.
    public static func decisionRecordID(_ caseID: RecordID) -> RecordID {
        var bytes = caseID.bytes
        let salt: [UInt8] = Array("regsync/review/1".utf8)
        for i in bytes.indices { bytes[i] ^= salt[i % salt.count] }
        return .v8(hash: bytes)
    }

    static func decision(from value: Value) -> CaseDecision? {
        guard let object = value.object, let kind = object["decision"].flatMap(ReviewDecisionKind.init(rawValue:)) else { return nil }
        return CaseDecision(
            decision: kind, by: object["by"] ?? "", at: object["at"] ?? "", basis: object["basis"], site: object["site"] ?? "",
            state: object["state"] ?? "")
    }

    func duplicateCase(view: RecordView, decisions: [CaseDecision]) throws(ReplicaError) -> DuplicateCase {
        let ids = (view["members"]?.values.compactMap(\.text) ?? []).compactMap { RecordID($0) }.sorted()
        var members: [DuplicateCase.Member] = []
        for id in ids {
            let registration = try storage { () throws(StorageError) in try store.record(id) }
            guard let registration, registration.entity == .registration, !registration.isErased else {
                members.append(DuplicateCase.Member(id: id, row: nil, category: nil, extra: [:]))
                continue
            }
            let row = RegistrationRow(view: registration, catalogue: catalogue)
            var extra: [String: String] = [:]
            extra["duplicate_check"] = registration["duplicate_check"]?.single?.text
            extra["person_id"] = registration["person_id"]?.single?.text
            members.append(DuplicateCase.Member(id: id, row: row, category: row.status.flatMap { catalogue.definition($0)?.category }, extra: extra))
        }
        let decision = decisions.last?.decision
        let linked = decision == .samePerson || decision == .handover
        let active = members.filter { $0.category == .active }.count
        var openedAt: String?
        if case .int(let millis)? = view["opened_at"]?.single { openedAt = RegistrationInput.formatTimestamp(milliseconds: millis) }
        return DuplicateCase(
            id: view.id, members: members, score: view["score"]?.single?.text.flatMap(Double.init), band: view["band"]?.single?.text,
            explanation: view["explanation"]?.single?.text, openedBy: view["opened_by"]?.single?.text, openedAt: openedAt,
            pairs: view["pairs"]?.values.compactMap(\.object) ?? [], decisions: decisions,
            problem: linked && active >= 2 ? .twoActiveRegistrations : nil)
    }
}
