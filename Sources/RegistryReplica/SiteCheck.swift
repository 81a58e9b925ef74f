public import Foundation
public import RegistryCore
import RegistryCrypto
public import RegistryMatching
import RegistryStorage

// The site-time duplicate check (DESIGN.md §6, first run): when a registration is typed or imported
// at a site, offline, it is compared with what the site can see. Pairs in band match or possible
// mark the new registration `duplicate_check = provisional`; the central run later writes
// `confirmed` or `cleared`. Reception is never refused: the check only reports.

/// Values of a registration's `duplicate_check` field.
public enum DuplicateCheckState: String, Sendable, Codable, CaseIterable {
    /// Set at the site: the registration may be a duplicate; the central run decides.
    case provisional
    /// Set by the central run: the registration is in a match cluster (a case is open for review).
    case confirmed
    /// Set by the central run: a provisional registration that no longer pairs with anyone.
    case cleared
}

/// A new registration to check, as the matcher sees it.
public struct DuplicateProbe: Sendable {
    /// The internal id the registration has (or will have once stored).
    public let id: RecordID
    public let person: PersonRecord
    /// 1-based line of the import file, if any.
    public let line: Int?

    public init(id: RecordID, person: PersonRecord, line: Int? = nil) {
        self.id = id
        self.person = person
        self.line = line
    }
}

/// One possible duplicate found for a new registration. Ids, scores and field names only: safe to
/// log. Personal values are read with ``Registry/show(_:)`` by the operator who needs them.
public struct DuplicateFinding: Sendable, Codable, Equatable {
    /// The new registration's internal id and `record_id`.
    public let id: String
    public let recordID: String?
    /// Its line in the import file, for imports.
    public let line: Int?
    /// The registration it may duplicate.
    public let candidateID: String
    public let candidateRecordID: String?
    /// The candidate's line when it is a row of the same import file.
    public let candidateLine: Int?
    /// Where the candidate came from: `replica` (this node's registrations), `file` (the same import)
    /// or another ``DuplicateCandidateSource``'s name.
    public let source: String
    /// Posterior probability that both are the same person.
    public let score: Double
    /// `match` or `possible`.
    public let band: String
    /// Field names and agreement levels, never values.
    public let explanation: String

    public init(
        id: String, recordID: String?, line: Int?, candidateID: String, candidateRecordID: String?, candidateLine: Int?,
        source: String, score: Double, band: String, explanation: String
    ) {
        self.id = id
        self.recordID = recordID
        self.line = line
        self.candidateID = candidateID
        self.candidateRecordID = candidateRecordID
        self.candidateLine = candidateLine
        self.source = source
        self.score = score
        self.band = band
        self.explanation = explanation
    }

    enum CodingKeys: String, CodingKey {
        case id, recordID = "record_id", line, candidateID = "candidate_id", candidateRecordID = "candidate_record_id"
        case candidateLine = "candidate_line", source, score, band, explanation
    }
}

/// What a source found for a batch of probes.
public struct CandidateSourceOutcome: Sendable {
    /// Findings, each naming its probe by index into the probes given.
    public var findings: [(probe: Int, finding: DuplicateFinding)] = []
    /// Probes fully checked before the deadline (a prefix of the probes).
    public var checked = 0
    public init() {}
}

/// Somewhere a site looks for registrations that may be the same person as a new one.
///
/// The local replica is one source (``LocalReplicaCandidates``); the state-wide match index synced
/// from the central node is another, added beside it without changing the check.
public protocol DuplicateCandidateSource: Sendable {
    /// Short name reported in each finding's `source`.
    var name: String { get }
    /// Scores candidates for every probe, in order, stopping at `deadline` (then `checked` says how far
    /// it got). `exclude` are ids never to report (the probes themselves, rows of the same import).
    func check(
        _ probes: [DuplicateProbe], exclude: Set<RecordID>, matcher: Matcher, deadline: ContinuousClock.Instant
    ) throws(ReplicaError) -> CandidateSourceOutcome
}

/// Candidates from this node's own replica, found through the blind index (name keys in any script
/// or spelling, document numbers) and scored one by one with ``Matcher/score(_:_:)``.
///
/// A registration is a candidate when it shares keys with at least two name words of the new one
/// (or with its only one), or a document number. Each blind-index term is looked up once per batch,
/// so an import of thousands of rows costs one query per distinct name word.
public struct LocalReplicaCandidates: DuplicateCandidateSource {
    let registry: Registry
    /// At most this many candidates are scored per probe (most name words shared first).
    public var maxCandidatesPerProbe = 200

    public init(registry: Registry) { self.registry = registry }

    public var name: String { "replica" }

    public func check(
        _ probes: [DuplicateProbe], exclude: Set<RecordID>, matcher: Matcher, deadline: ContinuousClock.Instant
    ) throws(ReplicaError) -> CandidateSourceOutcome {
        var outcome = CandidateSourceOutcome()
        var hitsByTerm: [IndexTerm: [RecordID]] = [:]
        var people: [RecordID: (person: PersonRecord, recordID: String?)?] = [:]
        let clock = ContinuousClock()
        for (index, probe) in probes.enumerated() {
            if clock.now > deadline { break }
            let (words, documents) = Self.terms(of: probe.person)
            var counts: [RecordID: Int] = [:]
            var byDocument: Set<RecordID> = []
            for word in words {
                var hits: Set<RecordID> = []
                for term in word {
                    if hitsByTerm[term] == nil {
                        hitsByTerm[term] = try storage { () throws(StorageError) in try registry.store.records(matching: term) }
                    }
                    hits.formUnion(hitsByTerm[term]!)
                }
                for hit in hits { counts[hit, default: 0] += 1 }
            }
            for term in documents {
                if hitsByTerm[term] == nil {
                    hitsByTerm[term] = try storage { () throws(StorageError) in try registry.store.records(matching: term) }
                }
                byDocument.formUnion(hitsByTerm[term]!)
            }
            let needed = min(2, words.count)
            var candidates = counts.filter { $0.value >= needed && needed > 0 }.map { ($0.key, $0.value) }
            for id in byDocument { candidates.append((id, Int.max)) }
            var seen: Set<RecordID> = []
            candidates = candidates.filter { !exclude.contains($0.0) && $0.0 != probe.id && seen.insert($0.0).inserted }
            candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            for (candidate, _) in candidates.prefix(maxCandidatesPerProbe) {
                if people[candidate] == nil {
                    let view = try storage { () throws(StorageError) in try registry.store.record(candidate) }
                    if let view, view.entity == .registration, !view.isErased {
                        people[candidate] = (Registry.personRecord(view: view), view["record_id"]?.single?.text)
                    } else {
                        people[candidate] = .some(nil)
                    }
                }
                guard let entry = people[candidate] ?? nil else { continue }
                let pair = matcher.score(probe.person, entry.person)
                let probability = Self.probabilityWithoutTermFrequency(pair, model: matcher.model ?? .standard)
                guard probability >= matcher.configuration.possibleThreshold else { continue }
                let band: MatchBand = probability >= matcher.configuration.matchThreshold ? .match : .possible
                outcome.findings.append((index, DuplicateFinding(
                    id: probe.id.description, recordID: nil, line: probe.line, candidateID: candidate.description,
                    candidateRecordID: entry.recordID, candidateLine: nil, source: name, score: probability,
                    band: band.rawValue, explanation: pair.explanation.description)))
            }
            outcome.checked = index + 1
        }
        return outcome
    }

    /// The pair's probability from the prior and the per-field weights of its explanation, without
    /// the name term-frequency adjustment.
    ///
    /// `Matcher.score` compares two records with no population behind them, so their name frequencies
    /// are unknown and its adjustment then adds the full bonus (+3 bits per agreeing name): a namesake
    /// with another birth date would reach band possible. Until single-pair scoring takes frequencies
    /// (e.g. from a synced model), the site treats them as average, i.e. no adjustment. A pair the
    /// matcher forbids (two members of one household) stays at 0.
    static func probabilityWithoutTermFrequency(_ pair: ScoredPair, model: MatchModel) -> Double {
        guard pair.weight > -Double.infinity else { return 0 }
        return probability(fieldWeight: pair.explanation.fields.reduce(0) { $0 + $1.weight }, model: model)
    }

    /// The probability from the model's prior and the sum of a pair's field weights.
    static func probability(fieldWeight: Double, model: MatchModel) -> Double {
        let prior = min(max(model.prior, 1e-12), 0.5)
        return 1 / (1 + pow(2, -(log2(prior / (1 - prior)) + fieldWeight)))
    }

    /// Blind-index terms of a person: one group per name word, and the document numbers.
    static func terms(of person: PersonRecord) -> (words: [[IndexTerm]], documents: [IndexTerm]) {
        var words: [[IndexTerm]] = []
        for value in [person.givenName, person.familyName, person.patronymic ?? ""] {
            for word in value.split(whereSeparator: { $0 == " " || $0 == "-" }) {
                let keys = NameNormalizer.searchKeys(String(word)).map { IndexTerm(kind: "name", text: $0) }
                if !keys.isEmpty { words.append(keys) }
            }
        }
        let documents = person.documentNumbers.map { IndexTerm(kind: "doc", text: DocumentNumber.normalize($0)) }.filter { !$0.text.isEmpty }
        return (words, documents)
    }
}

/// What registering one person found.
public struct RegistrationResult: Sendable, Equatable {
    public let id: RecordID
    /// Possible duplicates, strongest first. Empty when none was found.
    public let duplicates: [DuplicateFinding]
    /// True when the registration was stored with `duplicate_check = provisional`.
    public var provisional: Bool { !duplicates.isEmpty }
}

/// What the import's site check found.
struct ImportCheck {
    /// Indices of the probes with at least one finding: stored provisional.
    var flagged: Set<Int> = []
    /// Findings to report (pairs inside the file once, from the earlier line), up to the limit.
    var pairs: [DuplicateFinding] = []
    var pairCount = 0
    /// Probes checked against the replica before the budget ran out.
    var checked = 0
}

/// Settings of the site-time check.
public struct SiteCheckSettings: Sendable {
    /// Thresholds (match 0.95, possible 0.5 by default).
    public var configuration = MatchConfiguration()
    /// A model trained elsewhere (e.g. shipped by the central node); the standard model otherwise.
    public var model: MatchModel?
    /// How long an import may spend looking for candidates in the replica; rows past it are reported
    /// as unchecked (never refused).
    public var importBudget: Duration = .seconds(60)
    /// Findings kept in an import report (all are counted).
    public var maxReportedPairs = 1_000
    public init() {}
}

extension Registry {
    /// The site-time check's settings. Fixed for now; a synced model can be plugged in here.
    public var siteCheckSettings: SiteCheckSettings {
        var settings = SiteCheckSettings()
        settings.configuration.parallel = false
        return settings
    }

    /// Where the site looks for duplicates: the local replica (the synced match index joins later).
    public var candidateSources: [any DuplicateCandidateSource] { [LocalReplicaCandidates(registry: self), MatchIndexCandidates(registry: self)] }

    /// Registers a person like ``register(_:now:)`` and reports possible duplicates found in the
    /// local replica. A registration with findings is stored with `duplicate_check = provisional`, in
    /// the same transaction. It is always stored: reception is never refused by the software.
    /// - Parameter householdID: registrations of one household (twins and namesakes in one family
    ///   are different people) share this id.
    public func registerChecked(_ input: RegistrationInput, householdID: String? = nil, now: Date = Date()) throws(ReplicaError) -> RegistrationResult {
        let issues = input.validate(line: 1)
        guard issues.isEmpty else { throw ReplicaError(.invalidInput, "the registration is not valid", issues: issues) }
        let id = recordID(for: input, now: now)
        if try storage({ () throws(StorageError) in try store.existing([id]) }).contains(id) {
            throw ReplicaError(.invalidInput, "a registration with this record_id already exists: \(id)")
        }
        let probe = DuplicateProbe(id: id, person: personRecord(input: input, id: id, householdID: householdID))
        let findings = try siteCheck([probe], exclude: [id], budget: .seconds(10)).findings.map(\.finding)
        var operations = input.operations(defaultSite: identity.siteID, defaultCountry: identity.state, now: now)
        if let householdID { operations.append(.set(Schema.registration["household_id"]!.id, .text(householdID))) }
        if !findings.isEmpty { operations.append(Self.provisionalOperation) }
        _ = try storage { () throws(StorageError) in try store.commit([RecordEdit(record: id, operations: operations)], wallMilliseconds: Self.milliseconds(now)) }
        let reference = input["record_id"]
        return RegistrationResult(id: id, duplicates: findings.map { $0.with(recordID: reference) })
    }

    static let provisionalOperation: RecordEdit.Operation = .set(Schema.registration["duplicate_check"]!.id, .text(DuplicateCheckState.provisional.rawValue))

    /// Runs every candidate source over `probes`; findings strongest first per probe.
    func siteCheck(_ probes: [DuplicateProbe], exclude: Set<RecordID>, budget: Duration) throws(ReplicaError) -> CandidateSourceOutcome {
        let settings = siteCheckSettings
        let matcher = Matcher(configuration: settings.configuration, model: settings.model)
        let deadline = ContinuousClock.now + budget
        var all = CandidateSourceOutcome()
        all.checked = probes.count
        for source in candidateSources {
            let outcome = try source.check(probes, exclude: exclude, matcher: matcher, deadline: deadline)
            all.findings += outcome.findings
            all.checked = min(all.checked, outcome.checked)
        }
        all.findings.sort { $0.probe != $1.probe ? $0.probe < $1.probe : $0.finding.score > $1.finding.score }
        return all
    }

    /// The import's check against the replica as it was before the import: candidates for each new
    /// row (bounded by the settings' budget). Nothing to look for in an empty replica.
    func replicaCheck(_ probes: [DuplicateProbe], references: [String?]) throws(ReplicaError) -> ImportCheck {
        var check = ImportCheck()
        check.checked = probes.count
        let registrations = try storage { () throws(StorageError) in try store.summary() }.byEntity[EntityKind.registration.description] ?? 0
        guard !probes.isEmpty, registrations > 0 else { return check }
        let settings = siteCheckSettings
        let outcome = try siteCheck(probes, exclude: Set(probes.map(\.id)), budget: settings.importBudget)
        check.checked = outcome.checked
        for (index, finding) in outcome.findings {
            check.flagged.insert(index)
            check.pairCount += 1
            if check.pairs.count < settings.maxReportedPairs { check.pairs.append(finding.with(recordID: references[index])) }
        }
        return check
    }

    /// The matcher the import runs over the file's own rows: the standard model unless one is
    /// supplied (a file is too small and too homogeneous to train on reliably).
    var fileMatcher: Matcher {
        var configuration = siteCheckSettings.configuration
        configuration.parallel = true
        return Matcher(configuration: configuration, model: siteCheckSettings.model ?? .standard)
    }

    /// The probability by which a pair of rows of one file flags both (and is reported): scored like
    /// single pairs at the site, without the name term-frequency bonus (see
    /// ``LocalReplicaCandidates/probabilityWithoutTermFrequency(_:model:)``); nil below the possible threshold.
    func flagging(_ pair: DedupeScan.Pair, model: MatchModel) -> Double? {
        let probability = LocalReplicaCandidates.probability(fieldWeight: pair.fieldWeight, model: model)
        return probability >= siteCheckSettings.configuration.possibleThreshold ? probability : nil
    }

    /// Adds the pairs found inside the file to `check`: each reported once (the strongest first, up
    /// to the limit), banded by its own score (clustering is the central run's).
    func addFilePairs(_ pairs: [(pair: DedupeScan.Pair, probability: Double)], scan: DedupeScan, probes: [DuplicateProbe], references: [String?], to check: inout ImportCheck) {
        let settings = siteCheckSettings
        check.pairCount += pairs.count
        let room = max(0, settings.maxReportedPairs - check.pairs.count)
        for (pair, probability) in pairs.sorted(by: { $0.probability != $1.probability ? $0.probability > $1.probability : ($0.pair.a, $0.pair.b) < ($1.pair.a, $1.pair.b) }).prefix(room) {
            let band: MatchBand = probability >= settings.configuration.matchThreshold ? .match : .possible
            let (a, b) = (pair.a, pair.b)
            check.pairs.append(DuplicateFinding(
                id: probes[a].id.description, recordID: references[a], line: probes[a].line,
                candidateID: probes[b].id.description, candidateRecordID: references[b], candidateLine: probes[b].line,
                source: "file", score: probability, band: band.rawValue, explanation: scan.explanation(of: pair).description))
        }
        check.pairs.sort { ($0.line ?? 0, -$0.score) < ($1.line ?? 0, -$1.score) }
    }

    /// The matcher's view of a registration about to be stored (values normalised as storage will).
    func personRecord(input: RegistrationInput, id: RecordID, householdID: String?) -> PersonRecord {
        PersonRecord(
            id: id.description, givenName: input[.givenName].map(RegistrationInput.composed) ?? "",
            familyName: input[.familyName].map(RegistrationInput.composed) ?? "",
            patronymic: input[.patronymic].map(RegistrationInput.composed), sex: input[.sex]?.uppercased(),
            birthDate: input[.birthDate], birthPlace: input[.birthPlace].map(RegistrationInput.composed),
            nationality: input[.nationality]?.uppercased(), documentNumbers: input[.documentNumber].map { [$0] } ?? [],
            householdID: householdID, siteID: input[.siteID] ?? identity.siteID)
    }

    /// The matcher's view of a stored registration: every document, and its household.
    static func personRecord(view: RecordView) -> PersonRecord {
        func text(_ name: String) -> String? { view.text(name) }
        return PersonRecord(
            id: view.id.description, givenName: text("given_name") ?? "", familyName: text("family_name") ?? "",
            patronymic: text("patronymic"), sex: text("sex"), birthDate: text("birth_date"), birthPlace: text("birth_place"),
            nationality: text("nationality"), documentNumbers: view["documents"]?.values.compactMap { $0.object?["number"] } ?? [],
            householdID: view["household_id"]?.single?.text, siteID: text("site_id"))
    }
}

extension DuplicateFinding {
    func with(recordID: String?) -> DuplicateFinding {
        DuplicateFinding(
            id: id, recordID: recordID, line: line, candidateID: candidateID, candidateRecordID: candidateRecordID,
            candidateLine: candidateLine, source: source, score: score, band: band, explanation: explanation)
    }
}
