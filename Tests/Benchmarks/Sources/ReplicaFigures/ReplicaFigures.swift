import Foundation
import ReplicaBenchSupport

/// Prints the three storage figures of BENCHMARKS.md with their baselines and ratios, measured in one
/// run with replica and baseline interleaved (baseline, replica, baseline, replica, …) so machine noise
/// hits both alike. Medians of `--runs` (default 3).
///
///     swift run -c release ReplicaFigures [--runs 3] [--rows 100000] [--registrations 80000] [--changes 1000000] [--only import|apply]
@main
struct ReplicaFigures {
    static func main() throws {
        var options: [String: String] = [:]
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        let usage = "usage: ReplicaFigures [--runs N] [--rows N] [--registrations N] [--changes N] [--only import|apply]"
        while let name = arguments.next() {
            if name == "--help" || name == "-h" {
                print(usage)
                return
            }
            guard name.hasPrefix("--"), let value = arguments.next() else {
                FileHandle.standardError.write(Data((usage + "\n").utf8))
                exit(64)
            }
            options[String(name.dropFirst(2))] = value
        }
        let runs = Int(options["runs"] ?? "") ?? 3
        let rows = Int(options["rows"] ?? "") ?? 100_000
        let registrations = Int(options["registrations"] ?? "") ?? 80_000
        let changes = Int(options["changes"] ?? "") ?? 1_000_000
        let only = options["only"]
        print("ReplicaFigures: \(runs) run(s) each, \(ProcessInfo.processInfo.activeProcessorCount) cores, temp dir \(NSTemporaryDirectory())")

        if only == nil || only == "import" {
            let directory = ScratchDirectory("figures")
            defer { directory.remove() }
            let csv = directory.file("registrations.csv")
            let bytes = try SyntheticRegistrations.writeCSV(count: rows, to: csv)
            print("\n## 1. Import of \(rows) registrations (CSV \(bytes / 1024) KiB)")
            var replicaTimes: [Double] = [], baselineTimes: [Double] = []
            var replica = ImportResult(), baseline = ImportResult()
            for run in 1...runs {
                baseline = try ImportWorkload.plainSQLite(csvPath: csv) { body in baselineTimes.append(try time(body)) }
                replica = try ImportWorkload.replica(csvPath: csv) { body in replicaTimes.append(try time(body)) }
                print("run \(run): plain SQLite \(format(baselineTimes.last!)) s, Registry.importFile \(format(replicaTimes.last!)) s")
            }
            let ratio = median(replicaTimes) / median(baselineTimes)
            print("| | median wall clock | rows/s |")
            print("| --- | --- | --- |")
            print("| Registry.importFile | \(format(median(replicaTimes))) s | \(Int(Double(replica.rows) / median(replicaTimes))) |")
            print("| plain SQLite (baseline) | \(format(median(baselineTimes))) s | \(Int(Double(baseline.rows) / median(baselineTimes))) |")
            print("ratio replica / baseline: \(format(ratio))× (target ≤ 2.5×: \(ratio <= 2.5 ? "met" : "NOT met"))")

            print("\n## 3. Database size after the import (WAL checkpointed and truncated)")
            let sizeRatio = Double(replica.size.pageBytes) / Double(baseline.size.pageBytes)
            print("replica: \(replica.size.pageBytes) bytes (\(mib(replica.size.pageBytes)) MiB; file \(replica.size.fileBytes), WAL \(replica.size.walBytes), free pages \(replica.size.freePages))")
            print("plain table: \(baseline.size.pageBytes) bytes (\(mib(baseline.size.pageBytes)) MiB; file \(baseline.size.fileBytes), WAL \(baseline.size.walBytes))")
            print("ratio replica / plain: \(format(sizeRatio))× (target ≤ 2×: \(sizeRatio <= 2 ? "met" : "NOT met"))")
            print("replica bytes by table/index (dbstat): " + replica.size.byObject.map { "\($0.name) \(mib($0.bytes)) MiB" }.joined(separator: ", "))
            print("replica detail: \(replica.size.replicaDetail)")
            print("per registration: replica \(replica.size.pageBytes / max(1, replica.rows)) B, plain \(baseline.size.pageBytes / max(1, baseline.rows)) B")
        }

        if only == nil || only == "apply" {
            let start = Date()
            let dataset = try ApplyDataset.make(registrations: registrations, totalChanges: changes)
            print("\n## 2. Applying \(dataset.changes) field changes from a peer (source built in \(format(Date().timeIntervalSince(start))) s)")
            print("mix: \(dataset.registrations) registrations = \(dataset.registrationChanges) changes, + \(dataset.familyNameEdits) single-field family_name edits + \(dataset.phoneEdits) single-field phone edits")
            print("\(dataset.changeSets) change sets in \(dataset.batches.count) batches of ≤ \(dataset.maxBytes / 1024) KiB (≈ \(dataset.changeSets / max(1, dataset.batches.count)) sets, \(dataset.changes / max(1, dataset.batches.count)) changes per batch)")
            var replicaTimes: [Double] = [], baselineTimes: [Double] = []
            var replica = ApplyResult(), baseline = ApplyResult()
            for run in 1...runs {
                baseline = try ApplyWorkload.plainSQLite(dataset) { body in baselineTimes.append(try time(body)) }
                replica = try ApplyWorkload.replica(dataset) { body in replicaTimes.append(try time(body)) }
                print("run \(run): plain select-compare-update \(format(baselineTimes.last!)) s, ReplicaStore.apply \(format(replicaTimes.last!)) s")
            }
            let replicaRate = Double(replica.changes) / median(replicaTimes)
            let baselineRate = Double(baseline.changes) / median(baselineTimes)
            print("| | median wall clock | changes/s |")
            print("| --- | --- | --- |")
            print("| ReplicaStore.apply | \(format(median(replicaTimes))) s | \(Int(replicaRate)) |")
            print("| plain select-compare-update (baseline) | \(format(median(baselineTimes))) s | \(Int(baselineRate)) |")
            print("ratio replica / baseline throughput: \(format(replicaRate / baselineRate))× (target ≥ 200,000 changes/s: \(replicaRate >= 200_000 ? "met" : "NOT met"))")
            print("sizes after apply: replica \(mib(replica.size.pageBytes)) MiB, plain table \(mib(baseline.size.pageBytes)) MiB")
        }
    }

    /// Wall-clock seconds of `body`; also prints the process CPU time it used, which shows how much
    /// of the wall time other jobs on a shared machine took.
    static func time(_ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let cpuBefore = cpuSeconds()
        let elapsed = try clock.measure(body)
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "  (wall %.2f s, process CPU %.2f s)", wall, cpuSeconds() - cpuBefore))
        return wall
    }

    static func cpuSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
    static func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
