public import Foundation
public import RegistryCore
import RegistryCrypto
import RegistryMatching
import RegistryStorage

/// What one central duplicate run did (`regsync dedupe`).
public struct DedupeRunReport: Sendable, Equatable {
    public var registrations = 0
    /// Pairs compared after blocking.
    public var comparedPairs = 0
    /// Rows written: every pair inside a cluster, and every possible pair for review.
    public var pairs: [DuplicatePair] = []
    public var matchPairs = 0
    public var possiblePairs = 0
    /// Clusters of two or more registrations judged to be one person.
    public var clusters = 0
    /// Duplicate cases opened by this run, and cases it found already open (a run is idempotent).
    public var casesOpened = 0
    public var casesExisting = 0
    /// Registrations whose `duplicate_check` this run set to `confirmed` / `cleared`.
    public var confirmed = 0
    public var cleared = 0
    /// The match threshold in force (probability).
    public var matchThreshold = MatchConfiguration.defaultMatchThreshold
    public init() {}
}

extension Registry {
    /// The CSV header of `regsync dedupe --out`. A contract: tools read these names.
    public static let dedupeCSVHeader = ["record_id_a", "record_id_b", "score", "band", "explanation"]

    /// The central node's duplicate run over the whole registry.
    ///
    /// Writes one CSV row per pair (every pair inside a cluster, then every other pair in band
    /// `possible`) to `csv`, opens one duplicate case per cluster and per possible pair outside a
    /// cluster (deterministic ids: a second run opens nothing new), writes `duplicate_check =
    /// confirmed` on registrations in a match cluster and `cleared` on provisional ones that pair with
    /// nobody. Never merges, deletes or refuses a registration.
    /// - Parameter matchThreshold: overrides the default match threshold (0.95) for this run.
    public func dedupe(
        csv handle: FileHandle?, matchThreshold: Double? = nil, now: Date = Date(), progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws(ReplicaError) -> DedupeRunReport {
        if let matchThreshold, !(matchThreshold > 0 && matchThreshold < 1) {
            throw ReplicaError(.invalidInput, "--threshold must be a probability between 0 and 1 (exclusive)")
        }
        let run = try duplicateRun(matchThreshold: matchThreshold, progress: progress)
        let result = run.result!
        var report = DedupeRunReport()
        report.registrations = run.ids.count
        report.comparedPairs = result.comparedPairs
        report.matchThreshold = run.configuration.matchThreshold
        report.clusters = result.clusters.count

        // Pairs: every pair inside a cluster (scored by the run's model when blocking skipped it),
        // then the other pairs the run found (possible, for review).
        var clusterOf: [Int: Int] = [:]
        for (c, members) in result.clusters.enumerated() { for m in members { clusterOf[m] = c } }
        var scored: [PairKey: ScoredPair] = [:]
        for pair in result.pairs { scored[PairKey(pair.a, pair.b)] = pair }
        let rescorer = Matcher(configuration: run.configuration, model: result.model)
        var inCluster: [[(Int, Int, DuplicatePair)]] = Array(repeating: [], count: result.clusters.count)
        for (c, members) in result.clusters.enumerated() {
            for (k, a) in members.enumerated() {
                for b in members.dropFirst(k + 1) {
                    let row: DuplicatePair
                    if let pair = scored[PairKey(a, b)] {
                        row = run.pair(pair)
                    } else {
                        let pair = rescorer.score(run.people[a], run.people[b])
                        row = DuplicatePair(
                            recordA: run.reference(a), recordB: run.reference(b), idA: run.ids[a].description, idB: run.ids[b].description,
                            score: pair.probability, band: pair.band.rawValue, explanation: pair.explanation.description)
                    }
                    inCluster[c].append((a, b, row))
                }
            }
        }
        let outside = result.pairs.filter { pair in
            guard let ca = clusterOf[pair.a], let cb = clusterOf[pair.b] else { return true }
            return ca != cb
        }
        report.pairs = inCluster.flatMap { $0.map(\.2) } + outside.map(run.pair)
        report.matchPairs = report.pairs.filter { $0.band == MatchBand.match.rawValue }.count
        report.possiblePairs = report.pairs.count - report.matchPairs
        if let handle { try writeDedupeCSV(report.pairs, to: handle) }

        // Cases: one per cluster, one per possible pair outside a cluster.
        var edits: [RecordEdit] = []
        var groups: [(members: [Int], band: MatchBand, pairs: [DuplicatePair])] = []
        for (c, members) in result.clusters.enumerated() { groups.append((members, .match, inCluster[c].map(\.2))) }
        for pair in outside { groups.append(([pair.a, pair.b], .possible, [run.pair(pair)])) }
        let caseIDs = groups.map { caseID(members: $0.members.map { run.ids[$0] }) }
        let existing = try storage { () throws(StorageError) in try store.existing(caseIDs) }
        for (group, id) in zip(groups, caseIDs) {
            if existing.contains(id) {
                report.casesExisting += 1
                continue
            }
            report.casesOpened += 1
            edits.append(caseEdit(id: id, members: group.members.map { run.ids[$0] }, band: group.band, pairs: group.pairs, now: now))
        }

        // The site's provisional flags: confirmed in a match cluster, cleared when pairing with nobody.
        let paired = Set(result.pairs.flatMap { [$0.a, $0.b] })
        let field = Schema.registration["duplicate_check"]!.id
        for index in run.ids.indices {
            let current = run.checks[index]
            if clusterOf[index] != nil {
                guard current != DuplicateCheckState.confirmed.rawValue else { continue }
                report.confirmed += 1
                edits.append(RecordEdit(record: run.ids[index], operations: [.set(field, .text(DuplicateCheckState.confirmed.rawValue))]))
            } else if current == DuplicateCheckState.provisional.rawValue, !paired.contains(index) {
                report.cleared += 1
                edits.append(RecordEdit(record: run.ids[index], operations: [.set(field, .text(DuplicateCheckState.cleared.rawValue))]))
            }
        }
        if !edits.isEmpty {
            _ = try storage { () throws(StorageError) in try store.commit(edits, wallMilliseconds: Self.milliseconds(now)) }
        }
        return report
    }

    /// A case's id: UUIDv8 from a keyed hash of its sorted member ids, so the same cluster always
    /// maps to the same case on this node.
    public func caseID(members: [RecordID]) -> RecordID {
        let material = "regsync/case/v1\u{0}" + members.sorted().map(\.description).joined(separator: "\u{0}")
        return .v8(hash: RegistryCrypto.KeyedHash.hash(Array(material.utf8), key: keys.storageKeys.indexKey, outputByteCount: 16))
    }

    func caseEdit(id: RecordID, members: [RecordID], band: MatchBand, pairs: [DuplicatePair], now: Date) -> RecordEdit {
        let schema = Schema.duplicateCase
        var operations: [RecordEdit.Operation] = members.sorted().map { .add(schema["members"]!.id, .text($0.description)) }
        let strongest = pairs.max { $0.score < $1.score }
        operations.append(.set(schema["score"]!.id, .text(Self.formatScore(strongest?.score ?? 0))))
        operations.append(.set(schema["explanation"]!.id, .text(strongest?.explanation ?? "")))
        operations.append(.set(schema["opened_by"]!.id, .text(identity.siteID)))
        operations.append(.set(schema["band"]!.id, .text(band.rawValue)))
        operations.append(.set(schema["opened_at"]!.id, .int(Int64(Self.milliseconds(now)))))
        for pair in pairs {
            operations.append(.add(schema["pairs"]!.id, .object([
                "a": pair.idA, "b": pair.idB, "score": Self.formatScore(pair.score), "band": pair.band, "explanation": pair.explanation,
            ])))
        }
        return RecordEdit(record: id, entity: .duplicateCase, operations: operations)
    }

    func writeDedupeCSV(_ pairs: [DuplicatePair], to handle: FileHandle) throws(ReplicaError) {
        var buffer = Data(CSV.line(Self.dedupeCSVHeader).utf8)
        for pair in pairs {
            buffer.append(Data(CSV.line([pair.recordA, pair.recordB, Self.formatScore(pair.score), pair.band, pair.explanation]).utf8))
            if buffer.count > 1 << 16 {
                handle.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(buffer)
    }

    /// Scores as text: six decimals, enough to order pairs and stable across platforms.
    static func formatScore(_ score: Double) -> String { String(format: "%.6f", score) }
}

/// An unordered pair of indices.
struct PairKey: Hashable {
    let low: Int
    let high: Int
    init(_ a: Int, _ b: Int) {
        low = min(a, b)
        high = max(a, b)
    }
}
