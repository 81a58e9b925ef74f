import ArgumentParser
import Foundation
import Logging
import RegistryCrypto
import RegistryReplica
import RegistrySync
import ServiceLifecycle

/// `regsyncd`: the long-running sync daemon. A central node serves HTTP; a site syncs on a schedule,
/// soon after local changes, and with backoff while its link is down. SIGTERM/SIGINT shut it down
/// gracefully: no batch is left half-applied (each is one transaction).
@main
struct RegSyncDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "regsyncd", abstract: "RegistrySync daemon: central HTTP server or site sync loop.")

    @Option(help: "The node directory.") var dir: String
    @Option(help: "HOST:PORT to serve on (central: sync + /metrics; site: /metrics only). Central default 0.0.0.0:8443.") var listen: String?
    @Option(help: "Read the passphrase from this file (else $REGSYNC_PASSPHRASE).") var passphraseFile: String?
    @Option(help: "Seconds between scheduled sync rounds at a site.") var interval: Double = 60
    @Option(help: "Override the central node's URL (site).") var central: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"
    @Option(help: "Seconds between publications of the state's match index (central).") var matchIndexInterval: Double = 300

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "regsyncd")
        let passphrase: SecureBytes
        if let passphraseFile, let data = FileManager.default.contents(atPath: passphraseFile) {
            passphrase = SecureBytes(data.prefix { $0 != 0x0A && $0 != 0x0D })
        } else if let value = ProcessInfo.processInfo.environment["REGSYNC_PASSPHRASE"] {
            passphrase = SecureBytes(Array(value.utf8))
        } else {
            throw ValidationError("no passphrase: use --passphrase-file or REGSYNC_PASSPHRASE")
        }
        let registry = try Registry.open(directory: NodeDirectory(dir), passphrase: passphrase)
        let node = SyncNode(registry: registry)
        let metrics = SyncMetrics()
        var services: [any Service] = []
        switch registry.identity.role {
        case .central, .hub:
            let (host, port) = try Self.split(listen ?? "0.0.0.0:8443")
            let responder = CentralResponder(node: node, metrics: metrics, logger: logger)
            services.append(SyncServer.application(responder: responder, metrics: metrics, host: host, port: port, logger: logger) { bound in
                logger.notice("central node serving", metadata: ["port": "\(bound)", "site": "\(registry.identity.siteID)"])
            })
            services.append(MatchIndexPublisher(registry: registry, interval: matchIndexInterval, logger: logger))
        case .site:
            guard let url = try central ?? node.centralURL() else {
                throw ValidationError("no central URL: pass --central or install a certificate that names one")
            }
            let synchronizer = SiteSynchronizer(node: node, transport: HTTPSyncTransport(url: url), metrics: metrics, logger: logger)
            services.append(SiteSyncService(synchronizer: synchronizer, interval: interval, logger: logger))
            if let listen {
                let (host, port) = try Self.split(listen)
                services.append(MetricsOnlyServer(metrics: metrics, host: host, port: port, logger: logger))
            }
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await group.run()
        logger.notice("regsyncd stopped")
    }

    static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT")
        }
        return (String(address[..<colon]), port)
    }
}
