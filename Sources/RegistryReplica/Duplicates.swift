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

extension Registry {
    /// Runs duplicate detection over every live registration of this replica (the central node's
    /// batch run). Reports pairs for a person to review; it never merges or refuses anyone.
    public func findDuplicates(
        matchThreshold: Double? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws(ReplicaError) -> DuplicateReport {
        var rows: [RegistrationRow] = []
        try forEachRegistration { rows.append($0) }
        let records = rows.map(Self.personRecord)
        var configuration = MatchConfiguration()
        if let matchThreshold { configuration.matchThreshold = matchThreshold }
        var matcher = Matcher(configuration: configuration)
        let result = matcher.dedupe(records, progress: progress)
        let pairs = result.pairs.map { pair in
            let a = rows[pair.a], b = rows[pair.b]
            return DuplicatePair(
                recordA: a.columns["record_id"] ?? a.id.description, recordB: b.columns["record_id"] ?? b.id.description,
                idA: a.id.description, idB: b.id.description, score: pair.probability, band: pair.band.rawValue,
                explanation: pair.explanation.description)
        }
        return DuplicateReport(
            pairs: pairs, clusters: result.clusters.map { $0.map { rows[$0].id.description } },
            registrations: rows.count, comparedPairs: result.comparedPairs)
    }

    static func personRecord(_ row: RegistrationRow) -> PersonRecord {
        PersonRecord(
            id: row.id.description, givenName: row.columns["given_name"] ?? "", familyName: row.columns["family_name"] ?? "",
            patronymic: row.columns["patronymic"], sex: row.columns["sex"], birthDate: row.columns["birth_date"],
            birthPlace: row.columns["birth_place"], nationality: row.columns["nationality"],
            documentNumbers: row.columns["document_number"].map { [$0] } ?? [], siteID: row.columns["site_id"])
    }
}
