import Foundation
import Logging
import RegistryCrypto
import RegistryReplica
import RegistrySync
import ServiceLifecycle

/// Sync figures of the sync issue, each against a baseline measured in the same run:
/// wire bytes per registration vs gzip -6 of the same registrations as JSON Lines; loopback
/// throughput site → central; 1,000 registrations over an emulated 64 kbit/s link that drops the
/// connection every few seconds vs the floor bytes ÷ bandwidth; resident memory of an idle site daemon.
@main
struct SyncFigures {
    static let passphrase = SecureBytes(Array("benchmark passphrase".utf8))

    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        let which = arguments.first { !$0.hasPrefix("--") } ?? "all"
        let json = arguments.contains("--json")
        let daemon = arguments.firstIndex(of: "--regsyncd").map { arguments[arguments.index(after: $0)] }
        var results: [String: [String: Double]] = [:]
        if which == "all" || which == "wire" { results["wire"] = try await wire() }
        if which == "all" || which == "throughput" { results["throughput"] = try await throughput() }
        if which == "all" || which == "slowlink" { results["slowlink"] = try await slowLink() }
        if which == "all" || which == "idle" {
            if let daemon { results["idle"] = try await idleMemory(daemon: daemon) } else { print("idle: pass --regsyncd PATH (a release build of regsyncd)") }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: Set-up

    final class Pair: @unchecked Sendable {
        let dir: String
        let central: SyncNode
        let site: SyncNode
        let responder: CentralResponder
        let metrics = SyncMetrics()

        init(registrations: Int, seed: UInt64 = 7, url: String? = nil) throws {
            dir = NSTemporaryDirectory() + "regsync-syncbench-\(UUID().uuidString.prefix(8))"
            central = SyncNode(registry: try Registry.initialize(directory: NodeDirectory(dir + "/central"), role: .central, state: "NL", siteID: "NL-CENTRAL", passphrase: passphrase, cost: .minimum))
            site = SyncNode(registry: try Registry.initialize(directory: NodeDirectory(dir + "/site"), role: .site, state: "NL", siteID: "NL-BENCH", passphrase: passphrase, cost: .minimum))
            try site.install(try central.sign(try site.enrollmentRequest(), url: url))
            var logger = Logger(label: "bench")
            logger.logLevel = .critical
            responder = CentralResponder(node: central, metrics: metrics, logger: logger)
            let file = dir + "/arrivals.csv"
            try SampleRegistrations.csv(count: registrations, seed: seed, site: "NL-BENCH").write(toFile: file, atomically: true, encoding: .utf8)
            _ = try site.registry.importFile(file)
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Counts every byte both ways.
    final class CountingTransport: SyncTransport, @unchecked Sendable {
        let inner: any SyncTransport
        var bytes = 0
        init(_ inner: any SyncTransport) { self.inner = inner }
        func exchange(_ envelope: [UInt8]) async throws(SyncError) -> [UInt8] {
            bytes += envelope.count
            let reply = try await inner.exchange(envelope)
            bytes += reply.count
            return reply
        }
    }

    /// The central node's HTTP server in this process, on a free loopback port.
    final class Server: @unchecked Sendable {
        let port: Int
        let group: ServiceGroup
        let task: Task<Void, any Error>
        init(_ pair: Pair) async throws {
            let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "bench.http")
            logger.logLevel = .critical
            let application = SyncServer.application(responder: pair.responder, metrics: pair.metrics, host: "127.0.0.1", port: 0, logger: logger) { continuation.yield($0) }
            let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
            self.group = group
            task = Task { try await group.run() }
            var iterator = stream.makeAsyncIterator()
            port = await iterator.next() ?? 0
        }
        func stop() async {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
    }

    // MARK: Figures

    /// Bytes on the wire per registration for 10,000 registrations, against gzip -6 of their JSON Lines.
    static func wire() async throws -> [String: Double] {
        let count = 10_000
        let pair = try Pair(registrations: count)
        let transport = CountingTransport(InMemoryTransport(responder: pair.responder))
        let report = try await SiteSynchronizer(node: pair.site, transport: transport).syncOnce()
        precondition(report.changesSent > 0)
        let jsonl = pair.dir + "/registrations.jsonl"
        _ = FileManager.default.createFile(atPath: jsonl, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: jsonl))
        let exported = try pair.site.registry.export(.jsonl, to: handle)
        try handle.close()
        let plain = (try FileManager.default.attributesOfItem(atPath: jsonl)[.size] as? Int) ?? 0
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-6", "-k", "-f", jsonl]
        try gzip.run()
        gzip.waitUntilExit()
        let gzipped = (try FileManager.default.attributesOfItem(atPath: jsonl + ".gz")[.size] as? Int) ?? 0
        let perRegistration = Double(transport.bytes) / Double(count)
        let baseline = Double(gzipped) / Double(exported)
        print(String(format: "wire: %d registrations, %d bytes on the wire both ways (%d round trips) = %.1f B/registration; JSON Lines %.1f B, gzip -6 %.1f B/registration; ratio %.2f (target ≤ 1.0)",
                     count, transport.bytes, report.roundTrips, perRegistration, Double(plain) / Double(exported), baseline, perRegistration / baseline))
        return ["bytes_per_registration": perRegistration, "gzip6_jsonl_bytes_per_registration": baseline, "ratio": perRegistration / baseline]
    }

    /// Registrations per second from a site to the central node over loopback HTTP, against the
    /// central node importing the same file locally (the apply path without the network).
    static func throughput() async throws -> [String: Double] {
        let count = 20_000
        let pair = try Pair(registrations: count, seed: 11)
        let server = try await Server(pair)
        let synchronizer = SiteSynchronizer(node: pair.site, transport: HTTPSyncTransport(url: "http://127.0.0.1:\(server.port)"), maxBatchBytes: 1 << 20)
        let started = Date()
        let report = try await synchronizer.syncOnce()
        let seconds = Date().timeIntervalSince(started)
        await server.stop()
        let received = try pair.central.registry.statusReport().summary.records
        precondition(received == count, "central holds \(received) of \(count)")
        // Baseline: the same registrations imported directly into a fresh central replica.
        let baselinePair = try Pair(registrations: 0, seed: 12)
        let file = pair.dir + "/arrivals.csv"
        let importStarted = Date()
        _ = try baselinePair.central.registry.importFile(file)
        let importSeconds = Date().timeIntervalSince(importStarted)
        let rate = Double(count) / seconds
        print(String(format: "throughput: %d registrations site → central over loopback HTTP in %.2f s = %.0f registrations/s (%d round trips; target ≥ 20,000/s); local import of the same file %.2f s = %.0f/s",
                     count, seconds, rate, report.roundTrips, importSeconds, Double(count) / importSeconds))
        return ["registrations_per_second": rate, "seconds": seconds, "local_import_per_second": Double(count) / importSeconds]
    }

    /// 1,000 registrations over an emulated 64 kbit/s link that drops the connection every 2–4 s.
    static func slowLink() async throws -> [String: Double] {
        let count = 1_000
        let rate = 64_000 / 8
        // Floor: the bytes of a clean session over the same proxy (HTTP framing included) ÷ bandwidth.
        let clean = try Pair(registrations: count, seed: 21)
        let cleanServer = try await Server(clean)
        let cleanProxy = try await FaultProxy(upstreamPort: cleanServer.port, faults: .none, seed: 1)
        _ = try await SiteSynchronizer(node: clean.site, transport: HTTPSyncTransport(url: "http://127.0.0.1:\(cleanProxy.port)"), maxBatchBytes: 4 * 1024).syncOnce()
        let stats = cleanProxy.statistics
        let floorUp = Double(stats.bytesUp) / Double(rate)
        let floorDown = Double(stats.bytesDown) / Double(rate)
        let floor = max(floorUp, floorDown)
        await cleanProxy.stop()
        await cleanServer.stop()

        let pair = try Pair(registrations: count, seed: 21)
        let server = try await Server(pair)
        let proxy = try await FaultProxy(upstreamPort: server.port, faults: .init(bytesPerSecond: rate, linkCutEveryMilliseconds: 2_000...4_000), seed: 5)
        let synchronizer = SiteSynchronizer(node: pair.site, transport: HTTPSyncTransport(url: "http://127.0.0.1:\(proxy.port)", timeoutSeconds: 10), maxBatchBytes: 4 * 1024)
        let started = Date()
        var attempts = 0
        while true {
            attempts += 1
            _ = try? await synchronizer.syncOnce()
            if try pair.central.registry.statusReport().summary.records == count { break }
        }
        let seconds = Date().timeIntervalSince(started)
        let dropped = proxy.statistics.dropped
        await proxy.stop()
        await server.stop()
        print(String(format: "slow link: %d registrations over 64 kbit/s dropping every 2–4 s: %.1f s (%d attempts, %d connections cut); floor %d B up / %d B down ÷ 8,000 B/s = %.1f s; ratio %.2f (target ≤ 1.5)",
                     count, seconds, attempts, dropped, stats.bytesUp, stats.bytesDown, floor, seconds / floor))
        return ["seconds": seconds, "floor_seconds": floor, "ratio": seconds / floor, "attempts": Double(attempts)]
    }

    /// Resident memory of an idle site daemon (after its first sync), from /proc.
    static func idleMemory(daemon: String) async throws -> [String: Double] {
        let pair = try Pair(registrations: 2_000, seed: 31)
        let server = try await Server(pair)
        try pair.site.install(try pair.central.sign(try pair.site.enrollmentRequest(), url: "http://127.0.0.1:\(server.port)"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.arguments = ["--dir", pair.dir + "/site", "--interval", "5", "--log-level", "warning"]
        process.environment = ["REGSYNC_PASSPHRASE": "benchmark passphrase"]
        try process.run()
        try await Task.sleep(nanoseconds: 8_000_000_000)
        let synced = try pair.central.registry.statusReport().summary.records
        let proc = "/proc/\(process.processIdentifier)"
        let status = kibFields(readProcFile(proc + "/status"))
        let rollup = kibFields(readProcFile(proc + "/smaps_rollup"))
        let top = residentByMapping(readProcFile(proc + "/smaps"))
        process.terminate()
        process.waitUntilExit()
        await server.stop()
        func mib(_ kib: Int?) -> Double { Double(kib ?? -1024) / 1024 }
        let rss = mib(status["VmRSS"]), peak = mib(status["VmHWM"])
        print(String(format: "idle site daemon: %.1f MiB resident after syncing %d registrations and idling (peak %.1f MiB; target ≤ 30 MB = 28.6 MiB)", rss, synced, peak))
        print(String(format: "  VmRSS = RssAnon %.1f + RssFile %.1f + RssShmem %.1f MiB; Pss %.1f MiB (anon %.1f, file %.1f); Private_Dirty %.1f MiB",
                     mib(status["RssAnon"]), mib(status["RssFile"]), mib(status["RssShmem"]), mib(rollup["Pss"]), mib(rollup["Pss_Anon"]), mib(rollup["Pss_File"]), mib(rollup["Private_Dirty"])))
        print("  largest mappings by Rss (KiB, summed per file):")
        for (name, kib) in top.prefix(12) { print("    \(String(kib).padding(toLength: 7, withPad: " ", startingAt: 0)) \(name)") }
        return ["resident_mib": rss, "peak_mib": peak, "anon_mib": mib(status["RssAnon"]), "file_mib": mib(status["RssFile"]), "pss_mib": mib(rollup["Pss"])]
    }

    /// A /proc file read to its end (they report size 0, so read until EOF rather than trusting stat).
    static func readProcFile(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// "Name:   123 kB" lines of /proc/PID/status or smaps_rollup, as KiB by name.
    static func kibFields(_ text: String) -> [String: Int] {
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split { $0 == " " || $0 == "\t" }
            guard parts.count >= 2, parts[0].hasSuffix(":"), let value = Int(parts[1]) else { continue }
            fields[String(parts[0].dropLast())] = value
        }
        return fields
    }

    /// Rss of /proc/PID/smaps summed per mapped file (anonymous mappings as "[anon]"), largest first.
    static func residentByMapping(_ smaps: String) -> [(String, Int)] {
        var sums: [String: Int] = [:]
        var current = "[anon]"
        for line in smaps.split(separator: "\n") {
            let parts = line.split { $0 == " " || $0 == "\t" }
            if let first = parts.first, first.contains("-"), !first.hasSuffix(":") {
                current = parts.count >= 6 ? String(parts[5...].joined(separator: " ")) : "[anon]"
            } else if parts.first == "Rss:", parts.count >= 2, let kib = Int(parts[1]) {
                sums[current, default: 0] += kib
            }
        }
        return sums.filter { $0.value > 0 }.sorted { $0.value > $1.value }
    }
}
