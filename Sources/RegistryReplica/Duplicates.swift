import Foundation
import RegistryCore
import RegistryMatching

/// A pair of registrations that may be the same person.
public struct DuplicatePair: Sendable, Codable, Equatable {
    /// The registrations' external references (`record_id`, or the internal id when there is none).
    public let recordA: String
    public let recordB: String
    public let idA: String
    public let idB: String
    /// Posterior probability that both are the same person.
    public let score: Double
    /// `match` (same person at the default threshold) or `possible` (for review).
    public let band: String
    /// Which fields agreed and how strongly; names fields, never values.
    public let explanation: String
}

/// The outcome of a duplicate run over a replica.
public struct DuplicateReport: Sendable {
    public let pairs: [DuplicatePair]
    /// Groups of internal ids judged to be one person.
    public let clusters: [[String]]
    public let registrations: Int
    public let comparedPairs: Int
}

/// Everything one matcher run over the replica produced, for the central run to act on.
struct DuplicateRun {
    /// Every live registration, in id order, with its `record_id` and `duplicate_check`.
    var ids: [RecordID] = []
    var references: [String?] = []
    var checks: [String?] = []
    var people: [PersonRecord] = []
    var result: DedupeResult?
    var configuration = MatchConfiguration()

    func reference(_ index: Int) -> String { references[index] ?? ids[index].description }

    func pair(_ scored: ScoredPair) -> DuplicatePair {
        DuplicatePair(
            recordA: reference(scored.a), recordB: reference(scored.b), idA: ids[scored.a].description, idB: ids[scored.b].description,
            score: scored.probability, band: scored.band.rawValue, explanation: scored.explanation.description)
    }
}

extension Registry {
    /// Below this many registrations the matcher's standard model is used instead of estimating one
    /// from the registry by EM, which needs many records to be stable.
    public static let minimumRegistrationsToTrain = 500

    /// Runs duplicate detection over every live registration of this replica (the central node's
    /// batch run). Reports pairs for a person to review; it never merges or refuses anyone.
    public func findDuplicates(
        matchThreshold: Double? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws(ReplicaError) -> DuplicateReport {
        let run = try duplicateRun(matchThreshold: matchThreshold, progress: progress)
        let result = run.result!
        return DuplicateReport(
            pairs: result.pairs.map(run.pair), clusters: result.clusters.map { $0.map { run.ids[$0].description } },
            registrations: run.ids.count, comparedPairs: result.comparedPairs)
    }

    func duplicateRun(matchThreshold: Double?, progress: (@Sendable (Int, Int) -> Void)?) throws(ReplicaError) -> DuplicateRun {
        var run = DuplicateRun()
        do {
            try store.forEachRecord(.registration) { view in
                run.ids.append(view.id)
                run.references.append(view["record_id"]?.single?.text)
                run.checks.append(view["duplicate_check"]?.single?.text)
                run.people.append(Self.personRecord(view: view))
            }
        } catch {
            throw ReplicaError(error)
        }
        // Id order, whatever order the replica stored them in: every node gets the same run.
        let order = run.ids.indices.sorted { run.ids[$0] < run.ids[$1] }
        (run.ids, run.references, run.checks, run.people) = (order.map { run.ids[$0] }, order.map { run.references[$0] }, order.map { run.checks[$0] }, order.map { run.people[$0] })
        if let matchThreshold {
            run.configuration.matchThreshold = matchThreshold
            run.configuration.possibleThreshold = min(run.configuration.possibleThreshold, matchThreshold)
        }
        let model: MatchModel? = run.ids.count < Self.minimumRegistrationsToTrain ? .standard : nil
        run.result = Matcher(configuration: run.configuration, model: model).dedupe(run.people, progress: progress)
        return run
    }
}
