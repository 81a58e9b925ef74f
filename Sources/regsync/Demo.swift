import ArgumentParser
import Foundation
import RegistrySync

/// The README's main job: a central node and three sites on loopback, one behind a flaky link,
/// syncing until they converge, then the central node finds the person registered twice.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sites and a central node on loopback: register, sync over a flaky link, converge, find duplicates.")
    @Option(help: "Where to put the demo nodes (default: a new temporary folder).") var dir: String?
    @Option(help: "Registrations per site.") var count = 300
    @Option(help: "Seed for data and link faults.") var seed: UInt64 = 2026
    @Flag(help: "Machine-readable output.") var json = false

    func run() async throws {
        let base = dir ?? NSTemporaryDirectory() + "regsync-demo-\(UUID().uuidString.prefix(8))"
        var options = LoopbackDemo.Options(directory: base)
        options.registrationsPerSite = count
        options.seed = seed
        let quiet = json
        let report = try await LoopbackDemo(options: options).run { line in if !quiet { print(line) } }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("")
            func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
            func right(_ value: Int, _ width: Int) -> String { let text = String(value); return String(repeating: " ", count: max(0, width - text.count)) + text }
            print(pad("site", 16) + "records  rounds  retries  delivered  received   bytes")
            for site in report.sites {
                print(pad(site.site + (site.flakyLink ? "*" : ""), 16) + right(site.registrations, 7) + right(site.rounds, 8) + right(site.retries, 9)
                      + right(site.changesSent, 11) + right(site.changesReceived, 10) + right(site.bytes, 8))
            }
            print("(* behind the flaky link; delivered = changes the central node holds from the site)")
            print("central node    \(report.centralRegistrations) registrations; \(report.bytesMoved) bytes moved; \(report.retries) retries (link: \(report.proxyDrops) drops, \(report.proxyTruncations) truncations); \(report.conflicts) open conflicts")
            print("converged: \(report.converged ? "yes, every replica's version vector equals the central node's" : "NO")")
            print("duplicates found at the central node: \(report.duplicatePairs.map { $0.joined(separator: " ~ ") }.joined(separator: "; "))")
            print("walk-in checked offline against the match index (\(report.matchIndexEntries) entries): \(report.walkInFlaggedByMatchIndex ? "flagged provisional" : "not flagged")")
            print(String(format: "done in %.1f s; nodes in %@", report.seconds, base))
        }
        if !report.converged { throw ExitCode(1) }
    }
}
