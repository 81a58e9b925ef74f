import Foundation
import Logging
import ServiceLifecycle
import RegistryCore
import RegistryProtocol
import RegistryReplica
import RegistryStorage
import RegistrySync
import RegistryTestSupport
import Testing

@Suite("Sync converges under faults", .serialized)
struct ConvergenceTests {
    @Test("six sites over an in-memory link that loses requests and replies and duplicates them")
    func inMemoryFaults() async throws {
        let seed = SeededRandom.seedFromEnvironment(default: 424_242)
        print("inMemoryFaults seed \(seed) (replay with REGSYNC_SEED=\(seed))")
        var rng = SeededRandom(seed: seed)
        let harness = try Harness(sites: 6)
        let transport = InMemoryTransport(responder: harness.responder, faults: .init(dropRequest: 0.15, dropReply: 0.15, duplicate: 0.2), seed: seed)
        let synchronizers = harness.sites.map { SiteSynchronizer(node: $0, transport: transport, maxBatchBytes: 8 * 1024) }
        let deadline = Date().addingTimeInterval(90)
        // Registrations, corrections and status events keep arriving while the link misbehaves.
        for wave in 0..<3 {
            for (index, site) in harness.sites.enumerated() {
                try harness.register(at: site, count: 20 + Int(rng.next() % 20), seed: rng.next())
                if wave > 0, let row = try site.registry.search("Kovalenko").first {
                    try site.registry.edit(row.id, RegistrationInput(["patronymic": "Wave\(wave)"]))
                }
                for _ in 0..<(1 + Int(rng.next() % 3)) { _ = try? await synchronizers[index].syncOnce() }
            }
        }
        // The central node corrects a record homed at site 0: it must travel back there.
        var corrected: RecordID?
        try harness.central.registry.forEachRegistration { row in
            if corrected == nil, row.columns["site_id"] == harness.sites[0].identity.siteID { corrected = row.id }
        }
        let target = try #require(corrected)
        try harness.central.registry.edit(target, RegistrationInput(["birth_place": "Corrected at central"]))

        transport.faults = .init()
        var clean = 0
        while clean < harness.sites.count, Date() < deadline {
            clean = 0
            for synchronizer in synchronizers {
                if let report = try? await synchronizer.syncOnce(), report.changesSent == 0, report.changesReceived == 0 { clean += 1 }
            }
        }
        let problems = try harness.convergenceProblems()
        #expect(problems.isEmpty, "seed \(seed): \(problems)")
        #expect(try harness.sites[0].registry.show(target)?.columns["birth_place"] == "Corrected at central", "seed \(seed)")
        #expect(try harness.central.registry.statusReport().summary.records > 6 * 60)
    }

    @Test("five sites over real loopback HTTP through a proxy that drops, stalls, truncates and duplicates")
    func httpThroughFaultyProxy() async throws {
        let seed = SeededRandom.seedFromEnvironment(default: 77_001)
        print("httpThroughFaultyProxy seed \(seed) (replay with REGSYNC_SEED=\(seed))")
        let harness = try Harness(sites: 0)
        let server = try await RunningServer(responder: harness.responder, metrics: harness.metrics)
        let proxy = try await FaultProxy(upstreamPort: server.port, faults: .init(drop: 0.1, truncate: 0.1, stall: 0.1, stallMilliseconds: 300, duplicate: 0.1), seed: seed)
        for index in 0..<5 { harness.sites.append(try harness.addSite("NL-HTTP-\(index)", url: "http://127.0.0.1:\(proxy.port)")) }
        let synchronizers = harness.sites.map { SiteSynchronizer(node: $0, transport: HTTPSyncTransport(url: "http://127.0.0.1:\(proxy.port)", timeoutSeconds: 2), maxBatchBytes: 16 * 1024) }
        for (index, site) in harness.sites.enumerated() { try harness.register(at: site, count: 80, seed: seed &+ UInt64(index)) }
        let deadline = Date().addingTimeInterval(120)
        var attempts = 0
        for _ in 0..<4 {
            for synchronizer in synchronizers { attempts += 1; _ = try? await synchronizer.syncOnce() }
        }
        proxy.faults = .none
        var clean = 0
        while clean < synchronizers.count, Date() < deadline {
            clean = 0
            for synchronizer in synchronizers {
                if let report = try? await synchronizer.syncOnce(), report.changesSent == 0, report.changesReceived == 0 { clean += 1 }
            }
        }
        let statistics = proxy.statistics
        print("proxy: \(statistics)")
        #expect(statistics.dropped + statistics.truncated + statistics.stalled + statistics.duplicated > 0, "the proxy injected no fault")
        let problems = try harness.convergenceProblems()
        #expect(problems.isEmpty, "seed \(seed): \(problems)")
        #expect(try harness.central.registry.statusReport().summary.records == 5 * 80)
        await proxy.stop()
        await server.stop()
    }
}

/// The central node's HTTP server on a free loopback port, for the length of a test.
final class RunningServer: @unchecked Sendable {
    let port: Int
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    init(responder: CentralResponder, metrics: SyncMetrics) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = SyncServer.application(responder: responder, metrics: metrics, host: "127.0.0.1", port: 0) { continuation.yield($0) }
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
        self.group = group
        task = Task { try await group.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw SyncError(.transport, "server did not start") }
        self.port = port
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
