/// Settings of the ``Matcher``.
public struct MatchConfiguration: Sendable {
    /// The default match threshold: a pair is a **match** when its posterior match probability
    /// is at least 0.95 (match weight ≥ log2(0.95/0.05) ≈ 4.25 bits). Fixed; not fitted per data
    /// set. The benchmark README reports precision/recall at exactly this value.
    public static let defaultMatchThreshold: Double = 0.95
    /// Pairs from this probability up to the match threshold are **possible** duplicates, for review.
    public static let defaultPossibleThreshold: Double = 0.5

    public var matchThreshold: Double = defaultMatchThreshold
    public var possibleThreshold: Double = defaultPossibleThreshold
    /// Blocks up to this size are compared in full; larger ones by sorted neighbourhood.
    public var maxBlockSize: Int = 40
    /// Neighbours on each side compared inside an oversized block.
    public var window: Int = 10
    /// Random pairs drawn to estimate u probabilities.
    public var randomPairs: Int = 300_000
    /// Bits added to a pair when two *other* members of the same two households match (a family
    /// registered again at another site): namesakes from unrelated households almost never have
    /// that, so it settles the common-name pairs whose own fields are not decisive. Relatives
    /// within a re-registered family do not get through on it: their dates and given names
    /// disagree by far more. 0 turns it off.
    public var householdSupportWeight: Double = 4
    /// Two clusters merge over a match only when every other cross pair scores at least the
    /// possible threshold less this many bits (and no pair is a household conflict): the clusters
    /// may hold registrations too sparse to match each other on their own, but none that is
    /// clearly someone else. 0 is the strict rule of round 1.
    public var clusterTolerance: Double = 4
    /// Largest cluster product |A|·|B| for which a merge is checked pair by pair.
    public var maxClusterCheck: Int = 256
    /// Use all cores (normalisation, random-pair sampling and the comparison of candidates run
    /// on every core through Dispatch's `concurrentPerform`).
    public var parallel: Bool = true
    /// Called at the end of each phase of ``Matcher/dedupe(_:progress:)`` and
    /// ``Matcher/link(_:_:progress:)`` with the phase's wall time: a progress and profiling hook
    /// for batch runs (it receives no personal data). `nil` by default.
    public var phaseObserver: (@Sendable (MatchPhase, Duration) -> Void)? = nil
    /// Seed of the random pair sample (runs are deterministic).
    public var seed: UInt64 = 0x5EED_2025

    public init() {}
}

/// Phases of a deduplication or linkage run, in order (see ``MatchConfiguration/phaseObserver``).
public enum MatchPhase: String, Sendable, CaseIterable {
    /// Normalising every record and packing its comparison features.
    case prepare
    /// Estimating the model (skipped time is near zero when the matcher was trained before).
    case train
    /// Blocking, comparing and scoring the candidate pairs.
    case compare
    /// Clustering and explaining the pairs kept.
    case cluster
}

/// Band of a scored pair.
public enum MatchBand: String, Sendable {
    /// At or above the match threshold and supported by its cluster.
    case match
    /// For review: between the possible and match thresholds, or a match its cluster refused.
    case possible
}

/// A compared pair of records with its score.
public struct ScoredPair: Sendable {
    /// Indices into the input (for ``Matcher/link(_:_:progress:)``: `a` in the first list, `b` in the second).
    public let a: Int
    public let b: Int
    /// Match weight in bits (log2 odds, prior included).
    public let weight: Double
    /// Posterior probability that the two records are the same person.
    public var probability: Double { 1 / (1 + pow2(-weight)) }
    public internal(set) var band: MatchBand
    public internal(set) var explanation: MatchExplanation
}

/// Outcome of deduplication or linkage.
public struct DedupeResult: Sendable {
    /// Pairs at or above the possible threshold, strongest first.
    public let pairs: [ScoredPair]
    /// Groups of record indices judged to be one person (two or more members). For linkage,
    /// indices of the second list are offset by the size of the first.
    public let clusters: [[Int]]
    /// Number of pairs compared after blocking.
    public let comparedPairs: Int
    /// The model used.
    public let model: MatchModel
}

/// Duplicate detection: normalise → block → compare → score (Fellegi–Sunter, EM) → cluster.
///
/// ```swift
/// var matcher = Matcher()
/// let result = matcher.dedupe(records)          // trains on `records` when not trained
/// for pair in result.pairs where pair.band == .match { print(pair.explanation) }
/// ```
///
/// Records that share a `householdID` are linked only when their given names agree at least
/// phonetically and their full birth dates are equal: twins and namesakes in one household stay
/// apart. Clusters grow only through merges where every cross pair scores at least the possible
/// threshold less ``MatchConfiguration/clusterTolerance`` (no chaining through a single edge).
/// A pair from two households gains ``MatchConfiguration/householdSupportWeight`` when other
/// members of the same two households match (a family registered again elsewhere).
public struct Matcher: Sendable {
    public var configuration: MatchConfiguration
    /// The trained model, or `nil` before ``train(_:)``; ``dedupe(_:progress:)`` then trains on its input.
    public private(set) var model: MatchModel?

    public init(configuration: MatchConfiguration = MatchConfiguration(), model: MatchModel? = nil) {
        self.configuration = configuration
        self.model = model
    }

    /// Estimates m and u probabilities and the prior from the records themselves (no labels).
    public mutating func train(_ records: [PersonRecord]) {
        let engine = Engine(configuration: configuration, records: records, split: nil)
        model = withExtendedLifetime(engine.table) { engine.train() }
    }

    /// Finds duplicate registrations among `records`.
    /// - Parameter progress: called with (records done, records total) during comparison.
    public func dedupe(_ records: [PersonRecord], progress: (@Sendable (Int, Int) -> Void)? = nil) -> DedupeResult {
        let start = ContinuousClock.now
        let engine = Engine(configuration: configuration, records: records, split: nil)
        return engine.run(model: model, progress: progress, started: start)
    }

    /// Links two lists that are each free of duplicates (one-to-one), such as FEBRL4 A and B.
    public func link(_ a: [PersonRecord], _ b: [PersonRecord], progress: (@Sendable (Int, Int) -> Void)? = nil) -> DedupeResult {
        let start = ContinuousClock.now
        let engine = Engine(configuration: configuration, records: a + b, split: a.count)
        let result = engine.run(model: model, progress: progress, started: start)
        let pairs = result.pairs.map { p in
            ScoredPair(a: p.a, b: p.b - a.count, weight: p.weight, band: p.band, explanation: p.explanation)
        }
        return DedupeResult(pairs: pairs, clusters: result.clusters, comparedPairs: result.comparedPairs, model: result.model)
    }

    /// Scores one pair with the trained model (or ``MatchModel/standard`` when untrained).
    public func score(_ a: PersonRecord, _ b: PersonRecord) -> ScoredPair {
        let m = model ?? .standard
        let table = FeatureTable([PreparedRecord(a), PreparedRecord(b)])
        let (v, w) = withExtendedLifetime(table) {
            let view = table.view
            let v = view.compare(0, 1)
            return (v, Engine.householdForbids(view[0], view[1], v) ? -Double.infinity : m.weight(v, view[0], view[1]))
        }
        let band: MatchBand = w >= logit(configuration.matchThreshold) ? .match : .possible
        return ScoredPair(a: 0, b: 1, weight: w, band: band, explanation: MatchExplanation(vector: v, model: m))
    }
}

@inline(__always) func logit(_ p: Double) -> Double { lg2(p / (1 - p)) }

extension MatchModel {
    /// Hand-set parameters used before any training (rough, for single comparisons and tests).
    public static let standard = MatchModel(
        m: [[0.03, 0.07, 0.2, 0.2, 0.5], [0.03, 0.07, 0.2, 0.2, 0.5], [0.05, 0.25, 0.7], [0.02, 0.98],
            [0.03, 0.05, 0.05, 0.1, 0.75, 0.02], [0.1, 0.1, 0.8], [0.03, 0.97], [0.4, 0.05, 0.55], [0.3, 0.2, 0.5]],
        u: [[0.93, 0.04, 0.02, 0.005, 0.005], [0.97, 0.02, 0.006, 0.002, 0.002], [0.95, 0.03, 0.02], [0.5, 0.5],
            [0.985, 0.012, 0.002, 0.0005, 0.00005, 0.0002], [0.9, 0.02, 0.08], [0.2, 0.8], [0.99998, 0.00001, 0.00001],
            [0.98, 0.015, 0.005]],
        prior: 1e-5)
}

/// One run over prepared records: blocking, training, scoring, clustering.
struct Engine: Sendable {
    let configuration: MatchConfiguration
    let table: FeatureTable
    /// For linkage: records `0..<split` are list A, the rest list B.
    let split: Int?
    /// Σ tf² over distinct given-name skeletons and family-name stems.
    let meanGivenFrequency: Double
    let meanFamilyFrequency: Double

    var count: Int { table.count }
    var view: FeatureView { table.view }

    /// Normalises every record (on all cores) and packs the features with their term frequencies.
    init(configuration: MatchConfiguration, records: [PersonRecord], split: Int?) {
        self.configuration = configuration
        self.split = split
        let out = SharedBuffer<PreparedRecord?>(repeating: nil, count: records.count)
        // Large chunks (8 per run) so that each worker's cache of normalised values pays off.
        let chunkSize = max(1024, (records.count + 7) / 8)
        forEachChunk(count: records.count, chunkSize: chunkSize, parallel: configuration.parallel) { _, range in
            var cache = PreparationCache()
            for i in range { out[i] = PreparedRecord(records[i], cache: &cache) }
        }
        let prepared = out.pointer.map { $0! }
        table = FeatureTable(prepared, parallel: configuration.parallel)
        // Term frequencies of given skeletons and family stems.
        var given: [UInt64: Int32] = [:], family: [UInt64: Int32] = [:]
        let v = table.view
        for i in 0..<records.count {
            let r = v[i].pointee
            if r.hasGiven { given[r.gSkel, default: 0] += 1 }
            if r.hasFamily { family[r.fStem, default: 0] += 1 }
        }
        let n = Double(max(records.count, 1))
        for i in 0..<records.count {
            let r = v[i].pointee
            let g: Float = r.hasGiven ? Float(lg2(Double(given[r.gSkel] ?? 1) / n)) : -30
            let f: Float = r.hasFamily ? Float(lg2(Double(family[r.fStem] ?? 1) / n)) : -30
            table.setFrequencies(i, given: g, family: f)
        }
        meanGivenFrequency = given.values.reduce(0) { $0 + (Double($1) / n) * (Double($1) / n) }
        meanFamilyFrequency = family.values.reduce(0) { $0 + (Double($1) / n) * (Double($1) / n) }
    }

    @inline(__always)
    static func householdForbids(_ a: UnsafePointer<FeatureRow>, _ b: UnsafePointer<FeatureRow>, _ v: ComparisonVector) -> Bool {
        guard a.pointee.household != 0, a.pointee.household == b.pointee.household else { return false }
        let given = v[0], date = v[4]
        return !(given >= 3 && given != ComparisonVector.missing && date == 4)
    }

    @inline(__always) func accepts(_ i: Int, _ j: Int) -> Bool {
        if let split { return i < split && j >= split }
        return j > i
    }

    var totalPairs: Double {
        if let split { return Double(split) * Double(count - split) }
        let n = Double(count)
        return n * (n - 1) / 2
    }

    // MARK: Candidates, compared and scored in one pass

    struct Edge: Sendable {
        var i: Int32
        var j: Int32
        var weight: Double
        var bits: UInt32
        var householdSupport = false
    }

    /// Compares every candidate pair and keeps those at or above the possible threshold.
    func scoredCandidates(model: MatchModel, progress: (@Sendable (Int, Int) -> Void)?) -> (edges: [Edge], compared: Int) {
        let index = BlockIndex(features: view, count: count, parallel: configuration.parallel)
        return scoredCandidates(rows: 0..<(split ?? count), index: index, model: model, progress: progress)
    }

    /// The pairs (i, j) with i in `rows` (and j after i, or in list B for linkage), compared and kept
    /// from the possible threshold (less the household support they may still get).
    func scoredCandidates(rows: Range<Int>, index: BlockIndex, model: MatchModel, progress: (@Sendable (Int, Int) -> Void)?) -> (edges: [Edge], compared: Int) {
        let upper = rows.upperBound
        let chunkSize = 1024
        let chunkCount = (rows.count + chunkSize - 1) / chunkSize
        let slots = SharedBuffer<[Edge]>(repeating: [], count: chunkCount)
        let compared = SharedBuffer<Int>(repeating: 0, count: chunkCount)
        let config = configuration
        let possible = logit(config.possibleThreshold)
        // Pairs of two different households are kept from `possible − householdSupportWeight`:
        // household support may lift them later.
        let keepFrom = possible - max(0, config.householdSupportWeight)
        let batch = 16
        let engine = self
        for batchStart in stride(from: 0, to: chunkCount, by: batch) {
            let batchEnd = min(chunkCount, batchStart + batch)
            forEachChunk(count: batchEnd - batchStart, chunkSize: 1, parallel: config.parallel) { c, _ in
                let chunk = batchStart + c
                let view = engine.view
                let stamp = UnsafeMutablePointer<Int32>.allocate(capacity: engine.count)
                stamp.initialize(repeating: -1, count: engine.count)
                defer { stamp.deallocate() }
                var local: [Edge] = []
                var n = 0
                model.flatWeights.withUnsafeBufferPointer { weights in
                    let table = weights.baseAddress!
                    for i in (rows.lowerBound + chunk * chunkSize)..<min(upper, rows.lowerBound + (chunk + 1) * chunkSize) {
                        let a = view[i]
                        index.forEachCandidate(
                            of: i, maxBlockSize: config.maxBlockSize, window: config.window, stamp: stamp,
                            accept: { engine.accepts(i, $0) }
                        ) { j in
                            n += 1
                            let b = view[j]
                            let v = view.compare(a, b)
                            let w = model.weight(v, a, b, table: table)
                            if w >= keepFrom && !Self.householdForbids(a, b, v)
                                && (w >= possible || (a.pointee.household != 0 && b.pointee.household != 0)) {
                                local.append(Edge(i: Int32(i), j: Int32(j), weight: w, bits: v.bits))
                            }
                        }
                    }
                }
                slots[chunk] = local
                compared[chunk] = n
            }
            progress?(min(upper, rows.lowerBound + batchEnd * chunkSize), upper)
        }
        var all: [Edge] = []
        all.reserveCapacity(slots.pointer.reduce(0) { $0 + $1.count })
        for c in 0..<chunkCount { all += slots[c] }
        return (all, compared.pointer.reduce(0, +))
    }

    // MARK: Training

    func train() -> MatchModel {
        let fields = ComparisonVector.fieldCount
        let levelCounts = MatchField.allCases.map(\.levelCount)
        let n = count
        guard n >= 2 else { return .standard }
        let view = self.view

        // u from random pairs.
        let sampleCount = min(configuration.randomPairs, Int(min(totalPairs, 1e9)))
        let chunk = 16_384
        let chunks = (sampleCount + chunk - 1) / chunk
        let counts = SharedBuffer<[Int]>(repeating: [], count: chunks)
        let seed = configuration.seed
        let split = self.split
        let table = self.table
        forEachChunk(count: chunks, chunkSize: 1, parallel: configuration.parallel) { c, _ in
            withExtendedLifetime(table) {
                var rng = SplitMix64(seed: seed &+ UInt64(c) &* 0x9E37_79B9)
                var local = [Int](repeating: 0, count: 8 * fields)
                for _ in 0..<min(chunk, sampleCount - c * chunk) {
                    var i: Int, j: Int
                    if let split {
                        i = Int(rng.next() % UInt64(split)); j = split + Int(rng.next() % UInt64(n - split))
                    } else {
                        i = Int(rng.next() % UInt64(n)); j = Int(rng.next() % UInt64(n))
                        if i == j { continue }
                    }
                    var bits = view.compare(i, j).bits
                    for f in 0..<fields {
                        local[8 * f + Int(bits & 7)] += 1
                        bits >>= 3
                    }
                }
                counts[c] = local
            }
        }
        var u = MatchModel.standard.u
        var uTotals = [Int](repeating: 0, count: 8 * fields)
        for c in 0..<chunks { for k in 0..<counts[c].count { uTotals[k] += counts[c][k] } }
        for f in 0..<fields {
            let row = (0..<levelCounts[f]).map { uTotals[8 * f + $0] }
            let total = Double(row.reduce(0, +))
            if total > 0 {
                let floor = 0.5 / total
                u[f] = row.map { max(Double($0) / total, floor) }
                let s = u[f].reduce(0, +)
                u[f] = u[f].map { $0 / s }
            }
        }

        // m by EM on two samples selected on different fields (the selecting fields are excluded).
        // The two samples are drawn on both cores.
        let sessions = SharedBuffer<(histogram: [UInt32: Int], population: Double)>(repeating: ([:], 0), count: 2)
        let engine = self
        forEachChunk(count: 2, chunkSize: 1, parallel: configuration.parallel) { c, _ in
            if c == 0 {
                sessions[0] = engine.sessionHistogram { r in r.date % 100 != 0 ? UInt64(r.date) : nil }
            } else {
                sessions[1] = engine.sessionHistogram { r in
                    guard r.hasGiven && r.hasFamily else { return nil }
                    return mix64(r.gSkel ^ (r.fStem &* 31))
                }
            }
        }
        let dateSession = sessions[0], nameSession = sessions[1]
        let byDate = ExpectationMaximisation.estimateM(histogram: dateSession.histogram, u: u, excluded: [MatchField.birthDate.rawValue])
        let byName = ExpectationMaximisation.estimateM(
            histogram: nameSession.histogram, u: u, excluded: [MatchField.givenName.rawValue, MatchField.familyName.rawValue])
        var m = MatchModel.standard.m
        for f in 0..<fields {
            let estimates = [byDate.m[f], byName.m[f]].compactMap { $0 }
            if estimates.isEmpty { continue }
            m[f] = (0..<levelCounts[f]).map { l in estimates.map { $0[l] }.reduce(0, +) / Double(estimates.count) }
        }

        // Prior: matches among same-date pairs, scaled up by how often a match has equal full dates.
        var withDate = 0
        for i in 0..<n where view[i].pointee.date != 0 { withDate += 1 }
        let dateNonNull = Double(withDate) / Double(n)
        let exactGivenMatch = m[MatchField.birthDate.rawValue][4] * dateNonNull * dateNonNull
        let matchesWithEqualDate = byDate.lambda * dateSession.population
        var prior = matchesWithEqualDate / max(exactGivenMatch, 1e-3) / totalPairs
        if !(prior > 0) { prior = 1 / totalPairs }
        prior = min(max(prior, 1e-12), 0.5)

        var model = MatchModel(m: m, u: u, prior: prior)
        model.meanGivenFrequency = meanGivenFrequency
        model.meanFamilyFrequency = meanFamilyFrequency
        return model
    }

    /// Pairs of records that share `key` (sampled inside large groups): histogram of comparison
    /// vectors and the number of pairs in the full population.
    private func sessionHistogram(_ key: (FeatureRow) -> UInt64?) -> (histogram: [UInt32: Int], population: Double) {
        let view = self.view
        var keyed: [(UInt64, Int32)] = []
        keyed.reserveCapacity(count)
        for i in 0..<count { if let k = key(view[i].pointee) { keyed.append((k, Int32(i))) } }
        keyed.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var histogram: [UInt32: Int] = [:]
        var population = 0.0
        var p = 0
        let cap = 12
        var members: [Int] = []
        while p < keyed.count {
            var q = p + 1
            while q < keyed.count && keyed[q].0 == keyed[p].0 { q += 1 }
            members.removeAll(keepingCapacity: true)
            for k in p..<q { members.append(Int(keyed[k].1)) }
            if let split {
                let a = members.filter { $0 < split }, b = members.filter { $0 >= split }
                population += Double(a.count * b.count)
                for x in a.prefix(cap) { for y in b.prefix(cap) { histogram[view.compare(x, y).bits, default: 0] += 1 } }
            } else {
                population += Double(members.count * (members.count - 1) / 2)
                let sample = min(members.count, cap)
                for x in 0..<sample {
                    for y in (x + 1)..<sample {
                        // Two records of one household (twins share a date, a surname, a
                        // patronymic and a place) are settled by the household rule; left in,
                        // they teach EM that matches often disagree on given name and sex.
                        let hx = view[members[x]].pointee.household
                        if hx != 0 && hx == view[members[y]].pointee.household { continue }
                        histogram[view.compare(members[x], members[y]).bits, default: 0] += 1
                    }
                }
            }
            p = q
        }
        return (histogram, population)
    }

    // MARK: Scoring and clustering

    /// Which pairs of households have a pair of members that matched on their own fields.
    struct HouseholdSupport {
        let view: FeatureView
        let bonus: Double
        let matchWeight: Double
        private var strongByHouseholds: [UInt64: Int32] = [:]
        private var strongByRecord: [UInt64: Int32] = [:]  // (record, other household) → strong pairs

        init(view: FeatureView, edges: [Edge], bonus: Double, matchWeight: Double) {
            self.view = view
            self.bonus = bonus
            self.matchWeight = matchWeight
            for e in edges where e.weight >= matchWeight {
                guard let (ha, hb) = households(Int(e.i), Int(e.j)) else { continue }
                strongByHouseholds[Self.pairKey(ha, hb), default: 0] += 1
                strongByRecord[Self.recordKey(Int(e.i), hb), default: 0] += 1
                strongByRecord[Self.recordKey(Int(e.j), ha), default: 0] += 1
            }
        }

        var isEmpty: Bool { strongByHouseholds.isEmpty }

        @inline(__always) private func households(_ i: Int, _ j: Int) -> (UInt64, UInt64)? {
            let ha = view[i].pointee.household, hb = view[j].pointee.household
            guard ha != 0, hb != 0, ha != hb else { return nil }
            return (ha, hb)
        }
        @inline(__always) private static func pairKey(_ x: UInt64, _ y: UInt64) -> UInt64 {
            x < y ? mix64(x &* 31 ^ y) : mix64(y &* 31 ^ x)
        }
        @inline(__always) private static func recordKey(_ r: Int, _ h: UInt64) -> UInt64 {
            mix64(h ^ UInt64(r) &* 0x9E37_79B9_7F4A_7C15)
        }

        /// True when some pair (a′, b′) other than with a or b, between the households of a and
        /// b, matched on its own (`weight` is the pair's own weight).
        func supports(_ a: Int, _ b: Int, weight: Double) -> Bool {
            guard !strongByHouseholds.isEmpty, let (ha, hb) = households(a, b),
                  let total = strongByHouseholds[Self.pairKey(ha, hb)] else { return false }
            let own: Int32 = weight >= matchWeight ? 1 : 0
            let others = total - (strongByRecord[Self.recordKey(a, hb)] ?? 0) - (strongByRecord[Self.recordKey(b, ha)] ?? 0) + own
            return others > 0
        }
    }

    func run(model trained: MatchModel?, progress: (@Sendable (Int, Int) -> Void)?, started: ContinuousClock.Instant) -> DedupeResult {
        let clock = ContinuousClock()
        var t0 = started
        let observer = configuration.phaseObserver
        func lap(_ phase: MatchPhase) {
            guard let observer else { return }
            let now = clock.now
            observer(phase, now - t0)
            t0 = now
        }
        lap(.prepare)
        let model = trained ?? train()
        lap(.train)
        let (found, compared) = withExtendedLifetime(table) { scoredCandidates(model: model, progress: progress) }
        lap(.compare)
        let result = withExtendedLifetime(table) { finish(found: found, compared: compared, model: model) }
        lap(.cluster)
        return result
    }

    /// Household support, clustering and explanations over the scored candidates.
    func finish(found: [Edge], compared: Int, model: MatchModel) -> DedupeResult {
        let matchW = logit(configuration.matchThreshold)
        let possible = logit(configuration.possibleThreshold)
        let view = self.view
        // Household support (one pass: from pairs that matched on their own fields), then the
        // pairs kept only in case they got it are dropped unless they did.
        let bonus = max(0, configuration.householdSupportWeight)
        let support = HouseholdSupport(view: view, edges: found, bonus: bonus, matchWeight: matchW)
        var edges: [Edge] = []
        edges.reserveCapacity(found.count)
        for var e in found {
            if bonus > 0 && support.supports(Int(e.i), Int(e.j), weight: e.weight) {
                e.weight += bonus
                e.householdSupport = true
            }
            if e.weight >= possible { edges.append(e) }
        }
        edges.sort { $0.weight != $1.weight ? $0.weight > $1.weight : ($0.i != $1.i ? $0.i < $1.i : $0.j < $1.j) }

        // Clustering: union of supported edges only.
        var parent = Array(0..<count)
        var members: [Int: [Int]] = [:]
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        let tolerance = max(0, configuration.clusterTolerance)
        func supported(_ x: Int, _ y: Int) -> Bool {
            if let split, (x < split) == (y < split) { return false }  // one-to-one linkage
            let a = view[x], b = view[y]
            let v = view.compare(x, y)
            if Self.householdForbids(a, b, v) { return false }
            var w = model.weight(v, a, b)
            if bonus > 0 && support.supports(x, y, weight: w) { w += bonus }
            return w >= possible - tolerance
        }
        var linked = [Bool](repeating: false, count: edges.count)
        withExtendedLifetime(table) {
            for (k, e) in edges.enumerated() where e.weight >= matchW {
                let ra = find(Int(e.i)), rb = find(Int(e.j))
                if ra == rb { linked[k] = true; continue }
                let ma = members[ra] ?? [ra], mb = members[rb] ?? [rb]
                if ma.count * mb.count > configuration.maxClusterCheck { continue }
                var ok = true
                outer: for x in ma { for y in mb where !(x == Int(e.i) && y == Int(e.j)) && !(x == Int(e.j) && y == Int(e.i)) {
                    if !supported(x, y) { ok = false; break outer }
                } }
                if !ok { continue }
                parent[rb] = ra
                members[ra] = ma + mb
                members[rb] = nil
                linked[k] = true
            }
        }
        var pairs: [ScoredPair] = []
        pairs.reserveCapacity(edges.count)
        for (k, e) in edges.enumerated() {
            var explanation = MatchExplanation(vector: ComparisonVector(bits: e.bits), model: model)
            explanation.householdSupport = e.householdSupport
            let band: MatchBand
            if linked[k] { band = .match } else {
                band = .possible
                explanation.unsupportedByCluster = e.weight >= matchW
            }
            pairs.append(ScoredPair(a: Int(e.i), b: Int(e.j), weight: e.weight, band: band, explanation: explanation))
        }
        let clusters = members.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        return DedupeResult(pairs: pairs, clusters: clusters, comparedPairs: compared, model: model)
    }
}

/// Deduplication in steps over consecutive records, for a caller that acts on each record as soon
/// as every pair it is in is known: an import that stores its rows chunk by chunk while the next
/// chunk is scored.
///
/// Candidates are compared forward (each record with those after it), so once records `0..<end` are
/// scanned every pair touching one of them has been seen: the pairs are those
/// ``Matcher/dedupe(_:progress:)`` finds, with the same weights, for records without a household id
/// (household support and clustering need the whole run, and are left to it).
public final class DedupeScan: @unchecked Sendable {
    private let engine: Engine
    private let index: BlockIndex
    /// The model used (the matcher's, else trained on the records first).
    public let model: MatchModel
    /// Records scanned so far: `0..<scanned`.
    public private(set) var scanned = 0
    /// Pairs compared so far.
    public private(set) var comparedPairs = 0

    /// A pair found by a scan, light enough to keep by the hundred thousand.
    public struct Pair: Sendable {
        public let a: Int
        public let b: Int
        /// Match weight in bits, as ``ScoredPair/weight``.
        public let weight: Double
        /// The sum of the field weights alone: no prior, no name-frequency adjustment.
        public let fieldWeight: Double
        let bits: UInt32
    }

    /// Normalises the records, indexes their blocking keys, and trains when the matcher has no model.
    public init(matcher: Matcher, records: [PersonRecord]) {
        let engine = Engine(configuration: matcher.configuration, records: records, split: nil)
        self.engine = engine
        index = BlockIndex(features: engine.view, count: engine.count, parallel: matcher.configuration.parallel)
        model = matcher.model ?? withExtendedLifetime(engine.table) { engine.train() }
    }

    /// Scans records `scanned..<end`; returns their new pairs (`a` in that range, `b` after `a`) at or
    /// above the possible threshold.
    public func scan(through end: Int) -> [Pair] {
        let rows = scanned..<min(max(end, scanned), engine.count)
        let (edges, n) = withExtendedLifetime(engine.table) { engine.scoredCandidates(rows: rows, index: index, model: model, progress: nil) }
        scanned = rows.upperBound
        comparedPairs += n
        let possible = logit(engine.configuration.possibleThreshold)
        let weights = model.weights
        return edges.filter { $0.weight >= possible }.map { edge in
            let vector = ComparisonVector(bits: edge.bits)
            var fieldWeight = 0.0
            for field in 0..<ComparisonVector.fieldCount where vector[field] != ComparisonVector.missing {
                fieldWeight += weights[field][Int(vector[field])]
            }
            return Pair(a: Int(edge.i), b: Int(edge.j), weight: edge.weight, fieldWeight: fieldWeight, bits: edge.bits)
        }
    }

    /// Which fields agreed, and how much each weighed (names of fields, never values).
    public func explanation(of pair: Pair) -> MatchExplanation {
        MatchExplanation(vector: ComparisonVector(bits: pair.bits), model: model)
    }
}

/// Small deterministic random generator (SplitMix64).
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
