import Foundation
import Logging
import RegistryCore
import RegistryCrypto
import RegistryProtocol
import RegistryReplica
import ServiceLifecycle

/// The README's main job: on loopback, a central node and three sites (one reaching the central
/// node only through a link that drops and truncates connections) register synthetic people — the
/// same person at two sites among them — and sync until every replica has converged.
public struct LoopbackDemo: Sendable {
    public struct Options: Sendable {
        public var directory: String
        public var registrationsPerSite = 300
        public var seed: UInt64 = 2026
        public var maxRounds = 200
        public init(directory: String) { self.directory = directory }
    }

    public struct SiteReport: Sendable, Codable, Equatable {
        public var site: String
        public var registrations = 0
        public var rounds = 0
        public var retries = 0
        public var changesSent = 0
        public var changesReceived = 0
        public var bytes = 0
        public var flakyLink = false
    }

    public struct Report: Sendable, Codable, Equatable {
        public var sites: [SiteReport] = []
        public var centralRegistrations = 0
        public var converged = false
        public var bytesMoved = 0
        public var retries = 0
        public var conflicts = 0
        public var proxyDrops = 0
        public var proxyTruncations = 0
        public var duplicatePairs: [[String]] = []
        /// A walk-in at a third site, checked offline against the state's match index.
        public var walkInFlaggedByMatchIndex = false
        public var matchIndexEntries = 0
        public var seconds = 0.0
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Runs the demo; `say` receives progress lines for a terminal.
    public func run(say: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Report {
        let started = Date()
        let passphrase = SecureBytes(Array("demo passphrase, not for real use".utf8))
        let base = options.directory
        var logger = Logger(label: "regsync.demo")
        logger.logLevel = .critical

        let central = try Registry.initialize(directory: NodeDirectory(base + "/central"), role: .central, state: "NL", siteID: "NL-CENTRAL", passphrase: passphrase, cost: .minimum)
        let centralNode = SyncNode(registry: central)
        let metrics = SyncMetrics()
        let responder = CentralResponder(node: centralNode, metrics: metrics, logger: logger)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = SyncServer.application(responder: responder, metrics: metrics, host: "127.0.0.1", port: 0, logger: logger) { portContinuation.yield($0) }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let serverTask = Task { try await group.run() }
        defer { serverTask.cancel() }
        var ports = portStream.makeAsyncIterator()
        guard let port = await ports.next() else { throw SyncError(.transport, "the central node did not start") }
        say("central node NL-CENTRAL serving on 127.0.0.1:\(port)")
        let proxy = try await FaultProxy(upstreamPort: port, faults: .init(drop: 0.25, truncate: 0.15), seed: options.seed)
        say("flaky link on 127.0.0.1:\(proxy.port): drops 25 % and truncates 15 % of replies")

        // Three sites, enrolled with files carried by hand (here: in memory).
        let names = ["NL-TER-APEL", "NL-AMSTERDAM", "NL-BUDEL"]
        var sites: [(name: String, node: SyncNode, synchronizer: SiteSynchronizer)] = []
        for (index, name) in names.enumerated() {
            let flaky = index == 2
            let registry = try Registry.initialize(directory: NodeDirectory(base + "/" + name.lowercased()), role: .site, state: "NL", siteID: name, passphrase: passphrase, cost: .minimum)
            let node = SyncNode(registry: registry)
            let url = "http://127.0.0.1:\(flaky ? proxy.port : port)"
            let certificate = try centralNode.sign(try node.enrollmentRequest(), validityDays: 30, url: url)
            try node.install(certificate)
            let transport = HTTPSyncTransport(url: url, timeoutSeconds: 5)
            sites.append((name, node, SiteSynchronizer(node: node, transport: transport, metrics: metrics, maxBatchBytes: 64 * 1024, logger: logger)))
            say("enrolled \(name)\(flaky ? " (behind the flaky link)" : "")")
        }

        // Each site registers its arrivals offline; one person turns up at two sites.
        var report = Report()
        for (index, site) in sites.enumerated() {
            let file = base + "/\(site.name.lowercased())-arrivals.csv"
            try SampleRegistrations.csv(count: options.registrationsPerSite, seed: options.seed &+ UInt64(index), site: site.name).write(toFile: file, atomically: true, encoding: .utf8)
            _ = try site.node.registry.importFile(file)
        }
        _ = try sites[0].node.registry.register(RegistrationInput([
            "given_name": "Олександр", "family_name": "Коваленко", "patronymic": "Петрович", "sex": "M", "birth_date": "1984-05-17",
            "birth_place": "Харків", "nationality": "UA", "document_type": "PASSPORT", "document_number": "FE 031337",
        ]))
        _ = try sites[2].node.registry.register(RegistrationInput([
            "given_name": "Aleksandr", "family_name": "Kowalenko", "sex": "M", "birth_date": "1984-05-17",
            "birth_place": "Charkow", "nationality": "UKR", "document_type": "PASSPORT", "document_number": "FE031337",
        ]))
        say("registered \(options.registrationsPerSite) people at each site, and the same man at \(names[0]) (Cyrillic) and \(names[2]) (Polish spelling)")

        // Sync until nothing moves anywhere; the flaky site retries.
        var siteReports = sites.map { SiteReport(site: $0.name, flakyLink: $0.name == names[2]) }
        var quietRounds = 0
        var round = 0
        while quietRounds < 2 && round < options.maxRounds {
            round += 1
            var moved = 0
            for (index, site) in sites.enumerated() {
                do {
                    let result = try await site.synchronizer.syncOnce()
                    siteReports[index].rounds += 1
                    siteReports[index].changesSent += result.changesSent
                    siteReports[index].changesReceived += result.changesReceived
                    siteReports[index].bytes += result.bytesSent + result.bytesReceived
                    moved += result.changesSent + result.changesReceived
                } catch {
                    siteReports[index].retries += 1
                    moved += 1  // not quiet until every site completes a clean round
                    guard error.isTransient || error.code == .transport else { throw error }
                }
            }
            quietRounds = moved == 0 ? quietRounds + 1 : 0
            say("round \(round): \(moved) changes moved")
        }

        // Convergence: the central node holds everything; each site its own records.
        let centralSummary = try central.statusReport()
        report.centralRegistrations = centralSummary.summary.byEntity["registration"] ?? 0
        var converged = true
        let centralVector = try central.store.versionVector
        for (index, site) in sites.enumerated() {
            let summary = try site.node.registry.statusReport()
            siteReports[index].registrations = summary.summary.byEntity["registration"] ?? 0
            let siteVector = try site.node.store.versionVector
            converged = converged && siteVector == centralVector
            // What reached the central node, even when the reply to a successful upload was cut.
            siteReports[index].changesSent = Int(centralVector[site.node.identity.replicaID])
            report.conflicts += summary.summary.recordsWithConflicts
        }
        converged = converged && report.centralRegistrations == sites.count * options.registrationsPerSite + 2
        report.converged = converged
        report.sites = siteReports
        report.bytesMoved = siteReports.reduce(0) { $0 + $1.bytes }
        report.retries = siteReports.reduce(0) { $0 + $1.retries }
        report.conflicts += centralSummary.summary.recordsWithConflicts
        report.proxyDrops = proxy.statistics.dropped
        report.proxyTruncations = proxy.statistics.truncated

        // The central node looks for the same person registered twice.
        let duplicates = try central.findDuplicates()
        report.duplicatePairs = duplicates.pairs.filter { $0.band == "match" }.map { [$0.recordA, $0.recordB] }
        say("central duplicate run: \(report.duplicatePairs.count) pair(s) of registrations of the same person")

        // It publishes the state's match index (keyed encodings, no plaintext); the sites pick it up,
        // and the same man walking into a third site is flagged there, offline, as a possible duplicate.
        report.matchIndexEntries = try central.publishMatchIndex()
        for site in sites.prefix(2) { _ = try? await site.synchronizer.syncOnce() }
        let walkIn = try sites[1].node.registry.registerChecked(RegistrationInput([
            "given_name": "Oleksandr", "family_name": "Kovalenko", "sex": "M", "birth_date": "1984-05-17", "nationality": "UA",
        ]))
        report.walkInFlaggedByMatchIndex = walkIn.duplicates.contains { $0.source == "match_index" }
        say("match index: \(report.matchIndexEntries) entries published; a walk-in at \(names[1]) is \(report.walkInFlaggedByMatchIndex ? "flagged as a possible duplicate (provisional), offline, from keyed encodings only" : "not flagged")")
        report.seconds = Date().timeIntervalSince(started)
        await proxy.stop()
        await group.triggerGracefulShutdown()
        return report
    }
}
