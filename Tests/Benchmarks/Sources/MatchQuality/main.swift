import Foundation
import RegistryMatching

// MatchQuality — quality and speed of RegistryMatching.
//
//   swift run -c release --package-path Tests/Benchmarks MatchQuality [command] [options]
//
// Commands: febrl, synthetic, speed, index, export, all (default: all).
// Options:  --speed-set (export: also the 150,000 set of `speed`), --threshold P (speed and
//           diagnose, exploration only), --data DIR (FEBRL; default $FEBRL_DIR or ../../../shared/data/febrl relative to the
//           package), --seed N, --persons N, --records N (speed), --entries N (index),
//           --out DIR (export), --json.

struct Options {
    var command = "all"
    var data: String
    var seed: UInt64 = 20_250_301
    var persons = 8_000
    var records = 150_000
    var entries = 1_500_000
    var queries = 2_000
    var out = "splink-data"
    var json = false
    /// `export` also writes the 150,000-registration set of `speed` (synthetic-150k.csv).
    var speedSet = false
    /// Match threshold for `speed` and `diagnose` (exploration only; the reported numbers use the default).
    var threshold = MatchConfiguration.defaultMatchThreshold

    init(_ args: [String]) {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        data = environment("FEBRL_DIR") ?? here.appendingPathComponent("../../../shared/data/febrl").standardized.path
        var i = 0
        func value() -> String { i += 1; return i < args.count ? args[i] : "" }
        while i < args.count {
            switch args[i] {
            case "--data": data = value()
            case "--seed": seed = UInt64(value()) ?? seed
            case "--persons": persons = Int(value()) ?? persons
            case "--records": records = Int(value()) ?? records
            case "--entries": entries = Int(value()) ?? entries
            case "--queries": queries = Int(value()) ?? queries
            case "--out": out = value()
            case "--json": json = true
            case "--speed-set": speedSet = true
            case "--threshold": threshold = Double(value()) ?? threshold
            default: command = args[i]
            }
            i += 1
        }
    }
}

/// Ordered result rows: (section, metric, value).
final class Report {
    var rows: [(String, String, String)] = []
    func add(_ section: String, _ metric: String, _ value: String) { rows.append((section, metric, value)) }

    func table() -> String {
        let w0 = max(8, rows.map(\.0.count).max() ?? 0), w1 = max(8, rows.map(\.1.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = ["| \(pad("set", w0)) | \(pad("metric", w1)) | value |", "|\(String(repeating: "-", count: w0 + 2))|\(String(repeating: "-", count: w1 + 2))|-------|"]
        for (a, b, c) in rows { lines.append("| \(pad(a, w0)) | \(pad(b, w1)) | \(c) |") }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var sections: [String: [(String, String)]] = [:]
        var order: [String] = []
        for (a, b, c) in rows {
            if sections[a] == nil { order.append(a) }
            sections[a, default: []].append((b, c))
        }
        func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let body = order.map { s in
            let fields = sections[s]!.map { k, v in "\(quote(k)): \(Double(v) != nil ? v : quote(v))" }.joined(separator: ", ")
            return "  \(quote(s)): {\(fields)}"
        }.joined(separator: ",\n")
        return "{\n\(body)\n}"
    }
}

nonisolated(unsafe) let options = Options(Array(CommandLine.arguments.dropFirst()))
nonisolated(unsafe) let report = Report()
nonisolated(unsafe) let clock = ContinuousClock()
func log(_ s: String) { if !options.json { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) } }

func runFebrl() throws {
    let dir = options.data
    // FEBRL4: link A to B.
    let a = try Febrl.load(dir + "/dataset4a.csv"), b = try Febrl.load(dir + "/dataset4b.csv")
    var start = clock.now
    let linked = Matcher().link(a.records, b.records)
    var elapsed = seconds(clock.now - start)
    let lm = PairMetrics.link(linked.pairs, entityA: a.entity, entityB: b.entity)
    report.add("febrl4-link", "records", "\(a.records.count)+\(b.records.count)")
    report.add("febrl4-link", "compared_pairs", "\(linked.comparedPairs)")
    report.add("febrl4-link", "precision", fmt(lm.precision))
    report.add("febrl4-link", "recall", fmt(lm.recall))
    report.add("febrl4-link", "f1", fmt(lm.f1))
    report.add("febrl4-link", "seconds", fmt(elapsed, 3))
    // FEBRL3: deduplicate.
    let d3 = try Febrl.load(dir + "/dataset3.csv")
    start = clock.now
    let deduped = Matcher().dedupe(d3.records)
    elapsed = seconds(clock.now - start)
    let dm = PairMetrics.dedupe(clusters: deduped.clusters, entity: d3.entity)
    report.add("febrl3-dedupe", "records", "\(d3.records.count)")
    report.add("febrl3-dedupe", "compared_pairs", "\(deduped.comparedPairs)")
    report.add("febrl3-dedupe", "precision", fmt(dm.precision))
    report.add("febrl3-dedupe", "recall", fmt(dm.recall))
    report.add("febrl3-dedupe", "f1", fmt(dm.f1))
    report.add("febrl3-dedupe", "seconds", fmt(elapsed, 3))
    if environment("MATCH_DEBUG") != nil { log(deduped.model.description); log(linked.model.description) }
}

func runSynthetic() {
    var generator = SyntheticGenerator(seed: options.seed)
    let set = generator.generate(persons: options.persons)
    let start = clock.now
    let result = Matcher().dedupe(set.records)
    let elapsed = seconds(clock.now - start)
    let m = PairMetrics.dedupe(clusters: result.clusters, entity: set.entity)
    let section = "synthetic-hard"
    report.add(section, "seed", "\(options.seed)")
    report.add(section, "records", "\(set.records.count)")
    report.add(section, "true_pairs", "\(m.truePositives + m.falseNegatives)")
    report.add(section, "compared_pairs", "\(result.comparedPairs)")
    report.add(section, "precision", fmt(m.precision))
    report.add(section, "recall", fmt(m.recall))
    report.add(section, "f1", fmt(m.f1))
    report.add(section, "seconds", fmt(elapsed, 3))
    if environment("MATCH_DEBUG") != nil {
        log(result.model.description)
        debugErrors(set, result)
    }
}

func debugErrors(_ set: SyntheticSet, _ result: DedupeResult) {
    var clusterOf = [Int](repeating: -1, count: set.records.count)
    for (c, members) in result.clusters.enumerated() { for x in members { clusterOf[x] = c } }
    var byEntity: [String: [Int]] = [:]
    for (i, e) in set.entity.enumerated() { byEntity[e, default: []].append(i) }
    let matcher = Matcher(model: result.model)
    func show(_ r: PersonRecord) -> String {
        "\(r.givenName) | \(r.familyName) | \(r.patronymic ?? "-") | \(r.sex ?? "-") | \(r.birthDate ?? "-") | \(r.birthPlace ?? "-") | \(r.nationality ?? "-") | \(r.documentNumbers.joined(separator: ";")) | \(r.householdID ?? "-")"
    }
    var shownFN = 0, shownFP = 0
    for (_, members) in byEntity.sorted(by: { $0.key < $1.key }) where members.count > 1 && shownFN < 25 {
        for x in 0..<members.count { for y in (x + 1)..<members.count {
            let a = members[x], b = members[y]
            if clusterOf[a] == -1 || clusterOf[a] != clusterOf[b], shownFN < 25 {
                shownFN += 1
                let s = matcher.score(set.records[a], set.records[b])
                log("FN w=\(fmt(s.weight, 1))  \(s.explanation)\n   \(show(set.records[a]))\n   \(show(set.records[b]))")
            }
        } }
    }
    for members in result.clusters where shownFP < 25 {
        for x in 0..<members.count { for y in (x + 1)..<members.count {
            let a = members[x], b = members[y]
            if set.entity[a] != set.entity[b], shownFP < 25 {
                shownFP += 1
                let s = matcher.score(set.records[a], set.records[b])
                log("FP w=\(fmt(s.weight, 1))  \(s.explanation)\n   \(show(set.records[a]))\n   \(show(set.records[b]))")
            }
        } }
    }
}

func runSpeed() {
    var generator = SyntheticGenerator(seed: options.seed &+ 1)
    let set = generator.generate(persons: options.records * 10 / 13)
    let records = Array(set.records.prefix(options.records))
    let phases = PhaseTimes()
    var configuration = MatchConfiguration()
    configuration.matchThreshold = options.threshold
    configuration.phaseObserver = { phase, duration in phases.add(phase, duration) }
    let start = clock.now
    let cpuStart = cpuSeconds()
    phases.cpuStart = cpuStart
    let result = Matcher(configuration: configuration).dedupe(records)
    let elapsed = seconds(clock.now - start)
    let cpu = cpuSeconds() - cpuStart
    let m = PairMetrics.dedupe(clusters: result.clusters, entity: Array(set.entity.prefix(records.count)))
    report.add("speed-dedupe", "records", "\(records.count)")
    for (phase, duration, cpu) in phases.list {
        report.add("speed-dedupe", "seconds_\(phase.rawValue)", fmt(seconds(duration), 3))
        report.add("speed-dedupe", "cpu_seconds_\(phase.rawValue)", fmt(cpu, 3))
    }
    report.add("speed-dedupe", "compared_pairs", "\(result.comparedPairs)")
    report.add("speed-dedupe", "seconds_end_to_end", fmt(elapsed, 3))
    report.add("speed-dedupe", "cpu_seconds_end_to_end", fmt(cpu, 3))
    report.add("speed-dedupe", "load_average_1min", loadAverage())
    report.add("speed-dedupe", "f1", fmt(m.f1))
    report.add("speed-dedupe", "precision", fmt(m.precision))
    report.add("speed-dedupe", "recall", fmt(m.recall))
    report.add("speed-dedupe", "max_rss_mib", "\(maxRSSBytes() / 1_048_576)")
}

/// Where the false negatives and false positives of the 150,000 set come from (development aid):
/// blocking misses (the pair scores a match but was never compared), scoring misses (compared,
/// below the threshold) and cluster refusals (scored a match, clustering kept it apart).
func runDiagnose() {
    var generator = SyntheticGenerator(seed: options.seed &+ 1)
    let set = generator.generate(persons: options.records * 10 / 13)
    let records = Array(set.records.prefix(options.records))
    let entity = Array(set.entity.prefix(records.count))
    var configuration = MatchConfiguration()
    configuration.matchThreshold = options.threshold
    let result = Matcher(configuration: configuration).dedupe(records)
    let matcher = Matcher(model: result.model)
    let matchW = log2(options.threshold / (1 - options.threshold))
    var cluster = [Int](repeating: -1, count: records.count)
    for (c, members) in result.clusters.enumerated() { for x in members { cluster[x] = c } }
    var scored: [Int: ScoredPair] = [:]
    for p in result.pairs { scored[min(p.a, p.b) * records.count + max(p.a, p.b)] = p }
    var byEntity: [String: [Int]] = [:]
    for (i, e) in entity.enumerated() { byEntity[e, default: []].append(i) }
    var blockingMiss = 0, scoringMiss = 0, refused = 0, truth = 0, blockingBelow = 0
    var examples: [String: [String]] = [:]
    var weightHistogram = [Int](repeating: 0, count: 9)
    func show(_ r: PersonRecord) -> String {
        "\(r.givenName) | \(r.familyName) | \(r.patronymic ?? "-") | \(r.sex ?? "-") | \(r.birthDate ?? "-") | \(r.birthPlace ?? "-") | \(r.documentNumbers.joined(separator: ";")) | \(r.householdID ?? "-")"
    }
    func note(_ kind: String, _ a: Int, _ b: Int, _ s: ScoredPair) {
        if examples[kind, default: []].count < 12 {
            examples[kind, default: []].append("w=\(fmt(s.weight, 1)) \(s.explanation)\n     \(show(records[a]))\n     \(show(records[b]))")
        }
    }
    var trueAgreement: [String: Int] = [:]
    for members in byEntity.values where members.count > 1 {
        for x in 0..<members.count { for y in (x + 1)..<members.count {
            truth += 1
            let a = min(members[x], members[y]), b = max(members[x], members[y])
            if environment("MATCH_DEBUG") != nil {
                for f in matcher.score(records[a], records[b]).explanation.fields { trueAgreement["\(f.field) \(f.agreement)", default: 0] += 1 }
            }
            if cluster[a] != -1 && cluster[a] == cluster[b] { continue }
            let s = matcher.score(records[a], records[b])
            if let p = scored[a * records.count + b] {
                if p.weight >= matchW { refused += 1; note("refused", a, b, p) } else {
                    scoringMiss += 1; note("scoring", a, b, p)
                    weightHistogram[max(0, min(8, Int(p.weight * 2)))] += 1
                }
            } else if s.weight >= matchW {
                blockingMiss += 1; note("blocking", a, b, s)
            } else {
                blockingBelow += 1; note("low", a, b, s)
            }
        } }
    }
    var falsePositive = 0
    for members in result.clusters {
        for x in 0..<members.count { for y in (x + 1)..<members.count where entity[members[x]] != entity[members[y]] {
            falsePositive += 1
            let a = members[x], b = members[y]
            note("fp", a, b, matcher.score(records[a], records[b]))
        } }
    }
    report.add("diagnose", "true_pairs", "\(truth)")
    report.add("diagnose", "fn_blocking_would_match", "\(blockingMiss)")
    report.add("diagnose", "fn_not_compared_below", "\(blockingBelow)")
    report.add("diagnose", "fn_compared_below_threshold", "\(scoringMiss)")
    report.add("diagnose", "fn_cluster_refused", "\(refused)")
    report.add("diagnose", "fp_pairs", "\(falsePositive)")
    report.add("diagnose", "compared_pairs", "\(result.comparedPairs)")
    report.add("diagnose", "fn_compared_weight_half_bits", weightHistogram.map(String.init).joined(separator: " "))
    log(result.model.description)
    for (k, v) in trueAgreement.sorted(by: { $0.key < $1.key }) { log("true pairs: \(k) \(fmt(Double(v) / Double(truth), 3))") }
    for (kind, list) in examples.sorted(by: { $0.key < $1.key }) { log("== \(kind)"); for e in list { log("  " + e) } }
}

/// Phase times reported by ``MatchConfiguration/phaseObserver`` (called on the caller's thread).
/// Each phase's wall time and the process CPU time (both threads) spent in it.
final class PhaseTimes: @unchecked Sendable {
    var list: [(MatchPhase, Duration, Double)] = []
    var cpuStart = 0.0
    func add(_ phase: MatchPhase, _ duration: Duration) {
        let now = cpuSeconds()
        list.append((phase, duration, now - cpuStart))
        cpuStart = now
    }
}

/// The 1-minute load average (Linux), to print next to wall times.
func loadAverage() -> String {
    guard let text = try? readFile("/proc/loadavg"), let first = text.split(separator: " ").first else { return "?" }
    return String(first)
}

func runExport() throws {
    try makeDirectory(options.out)
    var generator = SyntheticGenerator(seed: options.seed)
    let set = generator.generate(persons: options.persons)
    var lines = ["unique_id,truth_id,given_name,family_name,patronymic,sex,birth_date,birth_place,nationality,documents,household_id,site_id"]
    for (i, r) in set.records.enumerated() {
        lines.append([r.id, set.entity[i], r.givenName, r.familyName, r.patronymic ?? "", r.sex ?? "", r.birthDate ?? "",
                      r.birthPlace ?? "", r.nationality ?? "", r.documentNumbers.joined(separator: " "), r.householdID ?? "",
                      r.siteID ?? ""].map(csvField).joined(separator: ","))
    }
    try writeFile(options.out + "/synthetic.csv", lines.joined(separator: "\n") + "\n")
    if options.speedSet {
        // The exact set `speed` measures (150,000 registrations, seed + 1).
        var speedGenerator = SyntheticGenerator(seed: options.seed &+ 1)
        let big = speedGenerator.generate(persons: options.records * 10 / 13)
        var out = [lines[0]]
        for (i, r) in big.records.prefix(options.records).enumerated() {
            out.append([r.id, big.entity[i], r.givenName, r.familyName, r.patronymic ?? "", r.sex ?? "", r.birthDate ?? "",
                        r.birthPlace ?? "", r.nationality ?? "", r.documentNumbers.joined(separator: " "), r.householdID ?? "",
                        r.siteID ?? ""].map(csvField).joined(separator: ","))
        }
        try writeFile(options.out + "/synthetic-150k.csv", out.joined(separator: "\n") + "\n")
        report.add("export", "speed_set_records", "\(out.count - 1)")
    }
    for name in ["dataset3", "dataset4a", "dataset4b"] {
        let d = try Febrl.load(options.data + "/\(name).csv")
        var out = ["unique_id,truth_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id"]
        for (k, row) in d.rows.enumerated() {
            out.append(([row[0], d.entity[k]] + Array(row[1...10])).map(csvField).joined(separator: ","))
        }
        try writeFile(options.out + "/\(name).csv", out.joined(separator: "\n") + "\n")
    }
    report.add("export", "directory", options.out)
    report.add("export", "synthetic_records", "\(set.records.count)")
}

switch options.command {
case "febrl": try runFebrl()
case "synthetic": runSynthetic()
case "speed": runSpeed()
case "index": runIndex()
case "diagnose": runDiagnose()
case "export": try runExport()
default:
    try runFebrl()
    runSynthetic()
    runSpeed()
    runIndex()
}
print(options.json ? report.json() : report.table())
