import Dispatch
import RegistryMatching

/// Builds a match index of `--entries` synthetic registrations (streamed, encoded in parallel),
/// then times `--queries` look-ups of registered records and checks that their other
/// registrations are found.
func runIndex() {
    let key = (0..<32).map { UInt8(($0 * 37 + 11) & 0xff) }
    let hash = MatchIndex.sipHash(key: key)
    var generator = SyntheticGenerator(seed: options.seed &+ 2)
    var index = MatchIndex(expectedCount: options.entries)
    var entity: [Int32] = []
    entity.reserveCapacity(options.entries)
    var kept: [(Int, MatchEncoding)] = []  // sample of entries to query
    var rng = SplitMix(seed: options.seed)
    let buildStart = clock.now
    var encodeSeconds = 0.0
    while index.count < options.entries {
        let batch = generator.generate(persons: 20_000)
        let n = min(batch.records.count, options.entries - index.count)
        let encodings = UnsafeBox<MatchEncoding>(count: n)
        let t = clock.now
        DispatchQueue.concurrentPerform(iterations: 16) { c in
            for i in stride(from: c, to: n, by: 16) { encodings[i] = MatchEncoding(batch.records[i], hash: hash) }
        }
        encodeSeconds += seconds(clock.now - t)
        for i in 0..<n {
            let e = encodings[i]!
            let entry = index.insert(e)
            entity.append(Int32(batch.entity[i].dropFirst())!)
            if rng.unit() < Double(options.queries) * 2 / Double(options.entries) { kept.append((entry, e)) }
        }
    }
    let buildSeconds = seconds(clock.now - buildStart)
    var byEntity: [Int32: Int] = [:]
    for e in entity { byEntity[e, default: 0] += 1 }
    var latencies: [Double] = []
    var withDuplicate = 0, found = 0, hits = 0
    for (entry, e) in kept.prefix(options.queries) {
        let t = clock.now
        let result = index.query(e)
        latencies.append(seconds(clock.now - t) * 1000)
        hits += result.count
        if byEntity[entity[entry]]! > 1 {
            withDuplicate += 1
            if result.contains(where: { $0.entry != entry && entity[$0.entry] == entity[entry] }) { found += 1 }
        }
    }
    latencies.sort()
    func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    let bytes = index.memoryBytes
    report.add("match-index", "entries", "\(index.count)")
    report.add("match-index", "build_seconds_incl_generation", fmt(buildSeconds, 1))
    report.add("match-index", "encode_seconds", fmt(encodeSeconds, 1))
    report.add("match-index", "bytes_per_entry", fmt(Double(bytes) / Double(index.count), 1))
    report.add("match-index", "encoding_bytes_max", "117")
    report.add("match-index", "queries", "\(latencies.count)")
    report.add("match-index", "query_ms_p50", fmt(pct(0.5), 3))
    report.add("match-index", "query_ms_p99", fmt(pct(0.99), 3))
    report.add("match-index", "query_ms_max", fmt(latencies.last ?? 0, 3))
    report.add("match-index", "mean_hits", fmt(Double(hits) / Double(max(1, latencies.count)), 2))
    report.add("match-index", "duplicate_found_rate", fmt(Double(found) / Double(max(1, withDuplicate)), 4))
    report.add("match-index", "max_rss_mib", "\(maxRSSBytes() / 1_048_576)")
}

final class UnsafeBox<T>: @unchecked Sendable {
    var storage: UnsafeMutableBufferPointer<T?>
    init(count: Int) { storage = .allocate(capacity: count); storage.initialize(repeating: nil) }
    deinit { storage.deinitialize(); storage.deallocate() }
    subscript(i: Int) -> T? { get { storage[i] } set { storage[i] = newValue } }
}
