// Fellegi–Sunter model: m and u probabilities per field and level, estimated from the data.

/// The parameters of the Fellegi–Sunter model, estimated by ``Matcher/train(_:)``.
///
/// `m[f][l]` is the probability that a true match agrees on field `f` at level `l`, `u[f][l]` the
/// same for two records picked at random. The prior is the probability that two random records
/// are the same person. Contains no personal data.
public struct MatchModel: Sendable, CustomStringConvertible {
    public internal(set) var m: [[Double]]
    public internal(set) var u: [[Double]]
    /// Probability that two records drawn at random match.
    public internal(set) var prior: Double
    /// Mean term frequency of given-name skeletons and family-name stems (Σ tf²), used to turn a
    /// value's own frequency into a Bayes-factor adjustment.
    var meanGivenFrequency: Double = 0 {
        didSet { log2MeanGivenFrequency = meanGivenFrequency > 0 ? lg2(meanGivenFrequency) : 0 }
    }
    var meanFamilyFrequency: Double = 0 {
        didSet { log2MeanFamilyFrequency = meanFamilyFrequency > 0 ? lg2(meanFamilyFrequency) : 0 }
    }
    private(set) var log2MeanGivenFrequency: Double = 0
    private(set) var log2MeanFamilyFrequency: Double = 0
    /// log2(m/u) per field and level.
    var weights: [[Double]] = []
    /// The same, flat: field × 8 + level (level 7, missing, weighs 0).
    var flatWeights: [Double] = []
    var priorWeight: Double = 0

    init(m: [[Double]], u: [[Double]], prior: Double) {
        self.m = m
        self.u = u
        self.prior = prior
        refresh()
    }

    mutating func refresh() {
        weights = zip(m, u).map { ms, us in zip(ms, us).map { lg2(max($0, 1e-9) / max($1, 1e-9)) } }
        flatWeights = [Double](repeating: 0, count: 8 * weights.count)
        for (f, row) in weights.enumerated() { for (l, w) in row.enumerated() { flatWeights[8 * f + l] = w } }
        let p = min(max(prior, 1e-12), 0.5)
        priorWeight = lg2(p / (1 - p))
    }

    /// Match weight (log2 Bayes factor including the prior) of a comparison vector, with
    /// `table` = `flatWeights` (hoisted out of hot loops by the caller).
    @inline(__always)
    func weight(_ v: ComparisonVector, _ a: UnsafePointer<FeatureRow>, _ b: UnsafePointer<FeatureRow>, table: UnsafePointer<Double>) -> Double {
        var w = priorWeight
        var bits = v.bits
        for f in 0..<ComparisonVector.fieldCount {
            w += table[8 * f + Int(bits & 7)]
            bits >>= 3
        }
        // Term-frequency adjustment: agreeing on a rare name says more than on a common one.
        if !v.namesSwapped {
            let g = v[0], fam = v[1]
            if g >= 2 && g != ComparisonVector.missing {
                w += min(3, max(-3, log2MeanGivenFrequency - Double(max(a.pointee.gLogFreq, b.pointee.gLogFreq))))
            }
            if fam >= 2 && fam != ComparisonVector.missing {
                w += min(3, max(-3, log2MeanFamilyFrequency - Double(max(a.pointee.fLogFreq, b.pointee.fLogFreq))))
            }
        }
        return w
    }

    func weight(_ v: ComparisonVector, _ a: UnsafePointer<FeatureRow>, _ b: UnsafePointer<FeatureRow>) -> Double {
        flatWeights.withUnsafeBufferPointer { weight(v, a, b, table: $0.baseAddress!) }
    }

    public var description: String {
        var lines = ["MatchModel(prior: \(prior))"]
        for field in MatchField.allCases {
            let f = field.rawValue
            let ms = m[f].map { String(format3($0)) }.joined(separator: " ")
            let us = u[f].map { String(format3($0)) }.joined(separator: " ")
            lines.append("  \(field): m [\(ms)] u [\(us)]")
        }
        return lines.joined(separator: "\n")
    }
}

func format3(_ x: Double) -> String {
    if x == 0 { return "0" }
    if x < 0.001 { return "\(Double(Int(x * 1e7)) / 1e7)" }
    return "\(Double(Int(x * 1000 + 0.5)) / 1000)"
}

/// Expectation–maximisation for m with u held fixed, on a histogram of comparison vectors.
enum ExpectationMaximisation {
    /// - Parameters:
    ///   - histogram: comparison vector bits → count.
    ///   - u: fixed u probabilities.
    ///   - excluded: fields that the pairs were selected on (their m is not estimated).
    /// - Returns: estimated m (rows of excluded fields are `nil`) and the match share.
    static func estimateM(
        histogram: [UInt32: Int], u: [[Double]], excluded: Set<Int>, iterations: Int = 40
    ) -> (m: [[Double]?], lambda: Double) {
        let fields = ComparisonVector.fieldCount
        let levelCounts = MatchField.allCases.map(\.levelCount)
        var m: [[Double]] = levelCounts.map { n in
            // Start with most mass on the top levels.
            var row = (0..<n).map { Double($0 + 1) * Double($0 + 1) }
            let s = row.reduce(0, +)
            row = row.map { $0 / s }
            return row
        }
        var lambda = 0.2
        let patterns = histogram.map { (ComparisonVector(bits: $0.key), Double($0.value)) }
        let total = patterns.reduce(0) { $0 + $1.1 }
        guard total > 0 else { return (Array(repeating: nil, count: fields), 0) }
        for _ in 0..<iterations {
            var mNum = levelCounts.map { [Double](repeating: 0, count: $0) }
            var matchMass = 0.0
            for (v, count) in patterns {
                var lm = ln(lambda), lu = ln(1 - lambda)
                for f in 0..<fields where !excluded.contains(f) {
                    let l = v[f]
                    if l == ComparisonVector.missing { continue }
                    lm += ln(max(m[f][Int(l)], 1e-12))
                    lu += ln(max(u[f][Int(l)], 1e-12))
                }
                let p = 1 / (1 + expe(lu - lm))
                matchMass += p * count
                for f in 0..<fields where !excluded.contains(f) {
                    let l = v[f]
                    if l != ComparisonVector.missing { mNum[f][Int(l)] += p * count }
                }
            }
            lambda = min(max(matchMass / total, 1e-6), 1 - 1e-6)
            for f in 0..<fields where !excluded.contains(f) {
                let s = mNum[f].reduce(0, +)
                if s > 0 { m[f] = mNum[f].map { max($0 / s, 1e-5) } }
            }
        }
        let result: [[Double]?] = (0..<fields).map { f in
            if excluded.contains(f) { return nil }
            // A field never observed in the selected pairs has no estimate.
            return patterns.contains { $0.0[f] != ComparisonVector.missing } ? m[f] : nil
        }
        return (result, lambda)
    }
}
