import RegistryMatching

/// Pairwise precision, recall and F1 against known entity labels.
struct PairMetrics: Sendable {
    var truePositives = 0
    var falsePositives = 0
    var falseNegatives = 0

    var precision: Double { truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives) }
    var recall: Double { truePositives + falseNegatives == 0 ? 1 : Double(truePositives) / Double(truePositives + falseNegatives) }
    var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    /// Deduplication: predicted pairs are all pairs inside each cluster.
    static func dedupe(clusters: [[Int]], entity: [String]) -> PairMetrics {
        var m = PairMetrics()
        var predicted = 0
        for c in clusters {
            for x in 0..<c.count {
                for y in (x + 1)..<c.count {
                    predicted += 1
                    if entity[c[x]] == entity[c[y]] { m.truePositives += 1 }
                }
            }
        }
        m.falsePositives = predicted - m.truePositives
        var sizes: [String: Int] = [:]
        for e in entity { sizes[e, default: 0] += 1 }
        let truth = sizes.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 }
        m.falseNegatives = truth - m.truePositives
        return m
    }

    /// Deduplication measured on raw scored pairs at or above the match threshold (no clustering).
    static func pairs(_ pairs: [ScoredPair], threshold: Double, entityA: [String], entityB: [String], truth: Int) -> PairMetrics {
        var m = PairMetrics()
        for p in pairs where p.probability >= threshold {
            if entityA[p.a] == entityB[p.b] { m.truePositives += 1 } else { m.falsePositives += 1 }
        }
        m.falseNegatives = truth - m.truePositives
        return m
    }

    /// Linkage: predicted pairs are the match-band pairs (a in A, b in B).
    static func link(_ pairs: [ScoredPair], entityA: [String], entityB: [String]) -> PairMetrics {
        var m = PairMetrics()
        for p in pairs where p.band == .match {
            if entityA[p.a] == entityB[p.b] { m.truePositives += 1 } else { m.falsePositives += 1 }
        }
        var countB: [String: Int] = [:]
        for e in entityB { countB[e, default: 0] += 1 }
        let truth = entityA.reduce(0) { $0 + (countB[$1] ?? 0) }
        m.falseNegatives = truth - m.truePositives
        return m
    }
}
