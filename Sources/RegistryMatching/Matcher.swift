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
    /// Largest cluster product |A|·|B| for which a merge is checked pair by pair.
    public var maxClusterCheck: Int = 256
    /// Use all cores.
    public var parallel: Bool = true
    /// Seed of the random pair sample (runs are deterministic).
    public var seed: UInt64 = 0x5EED_2025

    public init() {}
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
/// threshold (no chaining through a single edge).
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
        let prepared = Engine.prepare(records, parallel: configuration.parallel)
        let engine = Engine(configuration: configuration, records: prepared, split: nil)
        model = engine.train()
    }

    /// Finds duplicate registrations among `records`.
    /// - Parameter progress: called with (records done, records total) during comparison.
    public func dedupe(_ records: [PersonRecord], progress: (@Sendable (Int, Int) -> Void)? = nil) -> DedupeResult {
        let start = ContinuousClock.now
        let prepared = Engine.prepare(records, parallel: configuration.parallel)
        if Engine.timing { print("  prepare: \(ContinuousClock.now - start)") }
        let engine = Engine(configuration: configuration, records: prepared, split: nil)
        return engine.run(model: model, progress: progress)
    }

    /// Links two lists that are each free of duplicates (one-to-one), such as FEBRL4 A and B.
    public func link(_ a: [PersonRecord], _ b: [PersonRecord], progress: (@Sendable (Int, Int) -> Void)? = nil) -> DedupeResult {
        let prepared = Engine.prepare(a + b, parallel: configuration.parallel)
        let engine = Engine(configuration: configuration, records: prepared, split: a.count)
        let result = engine.run(model: model, progress: progress)
        let pairs = result.pairs.map { p in
            ScoredPair(a: p.a, b: p.b - a.count, weight: p.weight, band: p.band, explanation: p.explanation)
        }
        return DedupeResult(pairs: pairs, clusters: result.clusters, comparedPairs: result.comparedPairs, model: result.model)
    }

    /// Scores one pair with the trained model (or ``MatchModel/standard`` when untrained).
    public func score(_ a: PersonRecord, _ b: PersonRecord) -> ScoredPair {
        let m = model ?? .standard
        let pa = PreparedRecord(a), pb = PreparedRecord(b)
        let v = Comparator.compare(pa, pb)
        var w = m.weight(v, pa, pb)
        if Engine.householdForbids(pa, pb, v) { w = -.infinity }
        let band: MatchBand = w >= logit(configuration.matchThreshold) ? .match : .possible
        return ScoredPair(a: 0, b: 1, weight: w, band: band, explanation: MatchExplanation(vector: v, model: m))
    }
}

@inline(__always) func logit(_ p: Double) -> Double { lg2(p / (1 - p)) }

extension MatchModel {
    /// Hand-set parameters used before any training (rough, for single comparisons and tests).
    public static let standard = MatchModel(
        m: [[0.03, 0.07, 0.2, 0.2, 0.5], [0.03, 0.07, 0.2, 0.2, 0.5], [0.05, 0.25, 0.7], [0.02, 0.98],
            [0.03, 0.05, 0.07, 0.1, 0.75], [0.1, 0.1, 0.8], [0.03, 0.97], [0.4, 0.05, 0.55], [0.3, 0.2, 0.5]],
        u: [[0.93, 0.04, 0.02, 0.005, 0.005], [0.97, 0.02, 0.006, 0.002, 0.002], [0.95, 0.03, 0.02], [0.5, 0.5],
            [0.985, 0.012, 0.002, 0.0005, 0.00005], [0.9, 0.02, 0.08], [0.2, 0.8], [0.99998, 0.00001, 0.00001],
            [0.98, 0.015, 0.005]],
        prior: 1e-5)
}

/// One run over prepared records: blocking, training, scoring, clustering.
struct Engine: Sendable {
    let configuration: MatchConfiguration
    let records: [PreparedRecord]
    /// For linkage: records `0..<split` are list A, the rest list B.
    let split: Int?

    static let timing = debugTimingEnabled()

    static func prepare(_ records: [PersonRecord], parallel: Bool) -> [PreparedRecord] {
        let out = SharedBuffer<PreparedRecord?>(repeating: nil, count: records.count)
        forEachChunk(count: records.count, chunkSize: 2048, parallel: parallel) { _, range in
            for i in range { out[i] = PreparedRecord(records[i]) }
        }
        var prepared = out.pointer.map { $0! }
        // Term frequencies of given skeletons and family stems.
        var given: [UInt64: Int32] = [:], family: [UInt64: Int32] = [:]
        for r in prepared {
            if let g = r.given { given[g.skeletonHash, default: 0] += 1 }
            if let f = r.family { family[f.stemHash, default: 0] += 1 }
        }
        let n = Float(max(records.count, 1))
        for i in prepared.indices {
            if let g = prepared[i].given {
                prepared[i].givenFrequency = Float(given[g.skeletonHash] ?? 1) / n
                prepared[i].givenLogFrequency = Float(lg2(Double(prepared[i].givenFrequency)))
            }
            if let f = prepared[i].family {
                prepared[i].familyFrequency = Float(family[f.stemHash] ?? 1) / n
                prepared[i].familyLogFrequency = Float(lg2(Double(prepared[i].familyFrequency)))
            }
        }
        return prepared
    }

    static func householdForbids(_ a: PreparedRecord, _ b: PreparedRecord, _ v: ComparisonVector) -> Bool {
        guard a.household != 0, a.household == b.household else { return false }
        let given = v[0], date = v[4]
        return !(given >= 3 && given != ComparisonVector.missing && date == 4)
    }

    @inline(__always) func accepts(_ i: Int, _ j: Int) -> Bool {
        if let split { return i < split && j >= split }
        return j > i
    }

    var totalPairs: Double {
        if let split { return Double(split) * Double(records.count - split) }
        let n = Double(records.count)
        return n * (n - 1) / 2
    }

    // MARK: Candidates

    struct Candidates: Sendable {
        var left: [Int32] = []
        var right: [Int32] = []
        var vectors: [UInt32] = []
    }

    func candidates(progress: (@Sendable (Int, Int) -> Void)?) -> Candidates {
        let index = BlockIndex(records: records)
        let upper = split ?? records.count
        let chunkSize = 2048
        let chunkCount = (upper + chunkSize - 1) / chunkSize
        let slots = SharedBuffer<Candidates?>(repeating: nil, count: chunkCount)
        let config = configuration
        let batch = 8
        var done = 0
        for batchStart in stride(from: 0, to: chunkCount, by: batch) {
            let batchEnd = min(chunkCount, batchStart + batch)
            forEachChunk(count: batchEnd - batchStart, chunkSize: 1, parallel: config.parallel) { c, _ in
                let chunk = batchStart + c
                var stamp = [Int32](repeating: -1, count: records.count)
                var local = Candidates()
                records.withUnsafeBufferPointer { recs in
                    for i in (chunk * chunkSize)..<min(upper, (chunk + 1) * chunkSize) {
                        index.forEachCandidate(
                            of: i, maxBlockSize: config.maxBlockSize, window: config.window, stamp: &stamp,
                            accept: { accepts(i, $0) }
                        ) { j in
                            local.left.append(Int32(i))
                            local.right.append(Int32(j))
                            local.vectors.append(Comparator.compare(recs[i], recs[j]).bits)
                        }
                    }
                }
                slots[chunk] = local
            }
            done = min(upper, batchEnd * chunkSize)
            progress?(done, upper)
        }
        var all = Candidates()
        for c in 0..<chunkCount {
            guard let s = slots[c] else { continue }
            all.left += s.left
            all.right += s.right
            all.vectors += s.vectors
        }
        return all
    }

    // MARK: Training

    func train() -> MatchModel {
        let fields = ComparisonVector.fieldCount
        let levelCounts = MatchField.allCases.map(\.levelCount)
        let n = records.count
        guard n >= 2 else { return .standard }

        // u from random pairs.
        let sampleCount = min(configuration.randomPairs, Int(min(totalPairs, 1e9)))
        let chunk = 16_384
        let chunks = (sampleCount + chunk - 1) / chunk
        let counts = SharedBuffer<[[Int]]?>(repeating: nil, count: chunks)
        let seed = configuration.seed
        let split = self.split
        forEachChunk(count: chunks, chunkSize: 1, parallel: configuration.parallel) { c, _ in
            var rng = SplitMix64(seed: seed &+ UInt64(c) &* 0x9E37_79B9)
            var local = levelCounts.map { [Int](repeating: 0, count: $0) }
            for _ in 0..<min(chunk, sampleCount - c * chunk) {
                var i: Int, j: Int
                if let split {
                    i = Int(rng.next() % UInt64(split)); j = split + Int(rng.next() % UInt64(n - split))
                } else {
                    i = Int(rng.next() % UInt64(n)); j = Int(rng.next() % UInt64(n))
                    if i == j { continue }
                }
                let v = Comparator.compare(records[i], records[j])
                for f in 0..<fields where v[f] != ComparisonVector.missing { local[f][Int(v[f])] += 1 }
            }
            counts[c] = local
        }
        var u = MatchModel.standard.u
        var uTotals = levelCounts.map { [Int](repeating: 0, count: $0) }
        for c in 0..<chunks { if let local = counts[c] { for f in 0..<fields { for l in 0..<levelCounts[f] { uTotals[f][l] += local[f][l] } } } }
        for f in 0..<fields {
            let total = Double(uTotals[f].reduce(0, +))
            if total > 0 {
                let floor = 0.5 / total
                u[f] = uTotals[f].map { max(Double($0) / total, floor) }
                let s = u[f].reduce(0, +)
                u[f] = u[f].map { $0 / s }
            }
        }

        // m by EM on two samples selected on different fields (the selecting fields are excluded).
        let dateSession = sessionHistogram { r in r.date % 100 != 0 ? UInt64(r.date) : nil }
        let nameSession = sessionHistogram { r in
            guard let g = r.given, let f = r.family else { return nil }
            return mix64(g.skeletonHash ^ (f.stemHash &* 31))
        }
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
        let dateNonNull = Double(records.filter { $0.date != 0 }.count) / Double(n)
        let exactGivenMatch = m[MatchField.birthDate.rawValue][4] * dateNonNull * dateNonNull
        let matchesWithEqualDate = byDate.lambda * dateSession.population
        var prior = matchesWithEqualDate / max(exactGivenMatch, 1e-3) / totalPairs
        if !(prior > 0) { prior = 1 / totalPairs }
        prior = min(max(prior, 1e-12), 0.5)

        var model = MatchModel(m: m, u: u, prior: prior)
        var givenTF = 0.0, familyTF = 0.0
        var seenG = Set<UInt64>(), seenF = Set<UInt64>()
        for r in records {
            if let g = r.given, seenG.insert(g.skeletonHash).inserted { givenTF += Double(r.givenFrequency * r.givenFrequency) }
            if let f = r.family, seenF.insert(f.stemHash).inserted { familyTF += Double(r.familyFrequency * r.familyFrequency) }
        }
        model.meanGivenFrequency = givenTF
        model.meanFamilyFrequency = familyTF
        return model
    }

    /// Pairs of records that share `key` (sampled inside large groups): histogram of comparison
    /// vectors and the number of pairs in the full population.
    private func sessionHistogram(_ key: (PreparedRecord) -> UInt64?) -> (histogram: [UInt32: Int], population: Double) {
        var keyed: [(UInt64, Int32)] = []
        for (i, r) in records.enumerated() { if let k = key(r) { keyed.append((k, Int32(i))) } }
        keyed.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var histogram: [UInt32: Int] = [:]
        var population = 0.0
        var p = 0
        let cap = 12
        while p < keyed.count {
            var q = p + 1
            while q < keyed.count && keyed[q].0 == keyed[p].0 { q += 1 }
            let members = keyed[p..<q].map { Int($0.1) }
            if let split {
                let a = members.filter { $0 < split }, b = members.filter { $0 >= split }
                population += Double(a.count * b.count)
                for x in a.prefix(cap) { for y in b.prefix(cap) { histogram[Comparator.compare(records[x], records[y]).bits, default: 0] += 1 } }
            } else {
                population += Double(members.count * (members.count - 1) / 2)
                let sample = members.prefix(cap)
                for (k, x) in sample.enumerated() {
                    for y in sample.dropFirst(k + 1) { histogram[Comparator.compare(records[x], records[y]).bits, default: 0] += 1 }
                }
            }
            p = q
        }
        return (histogram, population)
    }

    // MARK: Scoring and clustering

    func run(model trained: MatchModel?, progress: (@Sendable (Int, Int) -> Void)?) -> DedupeResult {
        let clock = ContinuousClock()
        var t0 = clock.now
        func lap(_ what: String) { if Self.timing { print("  \(what): \(clock.now - t0)"); t0 = clock.now } }
        let candidates = candidates(progress: progress)
        lap("candidates")
        let model = trained ?? train()
        lap("train")
        let possible = logit(configuration.possibleThreshold)
        let matchW = logit(configuration.matchThreshold)

        struct Edge { var i: Int32; var j: Int32; var weight: Double; var bits: UInt32 }
        var edges: [Edge] = []
        records.withUnsafeBufferPointer { recs in
            for k in 0..<candidates.vectors.count {
                let i = Int(candidates.left[k]), j = Int(candidates.right[k])
                let v = ComparisonVector(bits: candidates.vectors[k])
                let w = model.weight(v, recs[i], recs[j])
                if w < possible || Self.householdForbids(recs[i], recs[j], v) { continue }
                edges.append(Edge(i: Int32(i), j: Int32(j), weight: w, bits: v.bits))
            }
        }
        edges.sort { $0.weight > $1.weight }
        lap("score")

        // Clustering: union of supported edges only.
        var parent = Array(0..<records.count)
        var members: [Int: [Int]] = [:]
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        func supported(_ x: Int, _ y: Int) -> Bool {
            let v = Comparator.compare(records[x], records[y])
            if Self.householdForbids(records[x], records[y], v) { return false }
            if split != nil && (x < split!) == (y < split!) { return false }  // one-to-one linkage
            return model.weight(v, records[x], records[y]) >= possible
        }
        var linked = [Bool](repeating: false, count: edges.count)
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
        var pairs: [ScoredPair] = []
        pairs.reserveCapacity(edges.count)
        for (k, e) in edges.enumerated() {
            var explanation = MatchExplanation(vector: ComparisonVector(bits: e.bits), model: model)
            let band: MatchBand
            if linked[k] { band = .match } else {
                band = .possible
                explanation.unsupportedByCluster = e.weight >= matchW
            }
            pairs.append(ScoredPair(a: Int(e.i), b: Int(e.j), weight: e.weight, band: band, explanation: explanation))
        }
        lap("cluster+explain")
        let clusters = members.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        return DedupeResult(pairs: pairs, clusters: clusters, comparedPairs: candidates.vectors.count, model: model)
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
