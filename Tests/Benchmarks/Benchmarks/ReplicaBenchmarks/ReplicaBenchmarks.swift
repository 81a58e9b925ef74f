import Benchmark
import Foundation
import ReplicaBenchSupport

// Storage benchmarks (BENCHMARKS.md). Each workload has its baseline next to it, measured in the same
// run; the setup (data generation, fresh node directories, keys) is outside the measured part.
// `ReplicaFigures` prints the same figures with their ratios and the database sizes.
//
//     swift package --allow-writing-to-package-directory benchmark --target ReplicaBenchmarks

/// Data shared by the benchmarks of one process, built on first use (outside any measurement).
final class Fixtures: @unchecked Sendable {
    static let shared = Fixtures()
    private let lock = NSLock()
    private var csv: String?
    private var dataset: ApplyDataset?
    let directory = ScratchDirectory("benchmarks")

    /// 100,000 synthetic registrations as an import file.
    func importCSV() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let csv, FileManager.default.fileExists(atPath: csv) { return csv }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let path = directory.file("registrations.csv")
        try SyntheticRegistrations.writeCSV(count: 100_000, to: path)
        csv = path
        return path
    }

    /// 1,000,000 changes as a source replica sends them.
    func applyDataset() throws -> ApplyDataset {
        lock.lock()
        defer { lock.unlock() }
        if let dataset { return dataset }
        let made = try ApplyDataset.make()
        dataset = made
        return made
    }
}

let benchmarks: @Sendable () -> Void = {
    let bytes = BenchmarkMetric.custom("database bytes (checkpointed)", polarity: .prefersSmaller, useScalingFactor: false)
    let changesPerSecond = BenchmarkMetric.custom("changes per second", polarity: .prefersLarger, useScalingFactor: false)
    // Each iteration takes seconds to minutes: no warm-up, at most 3 iterations or 100 s (the 100k import
    // alone exceeds that, so it runs once). Custom metrics are reported only when listed here.
    let standard: [BenchmarkMetric] = [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal]
    let importConfiguration = Benchmark.Configuration(
        metrics: standard + [bytes], warmupIterations: 0, maxDuration: .seconds(100), maxIterations: 3,
        setup: { _ = try Fixtures.shared.importCSV() }, teardown: { Fixtures.shared.directory.remove() })
    let applyConfiguration = Benchmark.Configuration(
        metrics: standard + [changesPerSecond], warmupIterations: 0, maxDuration: .seconds(100), maxIterations: 3,
        setup: { _ = try Fixtures.shared.applyDataset() }, teardown: { Fixtures.shared.directory.remove() })

    func measured(_ benchmark: Benchmark) -> Measure {
        { body in
            benchmark.startMeasurement()
            defer { benchmark.stopMeasurement() }
            try body()
        }
    }

    Benchmark("Import 100k registrations: Registry.importFile", configuration: importConfiguration) { benchmark in
        let csv = try Fixtures.shared.importCSV()
        let result = try ImportWorkload.replica(csvPath: csv, measure: measured(benchmark))
        benchmark.measurement(bytes, result.size.pageBytes)
    }

    Benchmark("Import 100k registrations: baseline plain SQLite", configuration: importConfiguration) { benchmark in
        let csv = try Fixtures.shared.importCSV()
        let result = try ImportWorkload.plainSQLite(csvPath: csv, measure: measured(benchmark))
        benchmark.measurement(bytes, result.size.pageBytes)
    }

    Benchmark("Apply 1M peer changes: ReplicaStore.apply", configuration: applyConfiguration) { benchmark in
        let dataset = try Fixtures.shared.applyDataset()
        var elapsed = Duration.zero
        let result = try ApplyWorkload.replica(dataset) { body in
            try measured(benchmark)({ let t = ContinuousClock.now; try body(); elapsed = t.duration(to: .now) })
        }
        benchmark.measurement(changesPerSecond, Int(Double(result.changes) / seconds(elapsed)))
    }

    Benchmark("Apply 1M peer changes: baseline select-compare-update", configuration: applyConfiguration) { benchmark in
        let dataset = try Fixtures.shared.applyDataset()
        var elapsed = Duration.zero
        let result = try ApplyWorkload.plainSQLite(dataset) { body in
            try measured(benchmark)({ let t = ContinuousClock.now; try body(); elapsed = t.duration(to: .now) })
        }
        benchmark.measurement(changesPerSecond, Int(Double(result.changes) / seconds(elapsed)))
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
