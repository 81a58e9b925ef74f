import Foundation
import Logging
import NIOCore
import RegistryCrypto
import RegistryReplica
import RegistrySync
import ServiceLifecycle

/// `regsyncd`: the long-running sync daemon. A central node serves HTTP; a site syncs on a schedule,
/// soon after local changes, and with backoff while its link is down. SIGTERM/SIGINT shut it down
/// gracefully: no batch is left half-applied (each is one transaction).
///
/// Its few options are parsed by hand (`DaemonOptions`), not with ArgumentParser: an idle site keeps
/// resident every page of code it ever ran, and ArgumentParser's reflection-driven parsing alone
/// touched about 3 MiB of it (BENCHMARKS.md, idle site daemon).
@main
struct RegSyncDaemon {
    static func main() async {
        let options: DaemonOptions
        do {
            options = try DaemonOptions(parsing: Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("regsyncd: \(error.message)\n\(DaemonOptions.usage)".utf8))
            exit(64)  // EX_USAGE
        }
        if options.help {
            print(DaemonOptions.usage, terminator: "")
            return
        }
        do {
            try await run(options)
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("regsyncd: \(error.message)\n".utf8))
            exit(64)
        } catch {
            FileHandle.standardError.write(Data("regsyncd: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: DaemonOptions) async throws {
        let level = Logger.Level(rawValue: options.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "regsyncd")
        let passphrase: SecureBytes
        if let file = options.passphraseFile, let data = FileManager.default.contents(atPath: file) {
            passphrase = SecureBytes(data.prefix { $0 != 0x0A && $0 != 0x0D })
        } else if let value = ProcessInfo.processInfo.environment["REGSYNC_PASSPHRASE"] {
            passphrase = SecureBytes(Array(value.utf8))
        } else {
            throw UsageError("no passphrase: use --passphrase-file or REGSYNC_PASSPHRASE")
        }
        let registry = try Registry.open(directory: NodeDirectory(options.dir), passphrase: passphrase)
        let node = SyncNode(registry: registry)
        let metrics = SyncMetrics()
        var services: [any Service] = []
        switch registry.identity.role {
        case .central, .hub:
            let (host, port) = try split(options.listen ?? "0.0.0.0:8443")
            let responder = CentralResponder(node: node, metrics: metrics, logger: logger)
            services.append(SyncServer.application(responder: responder, metrics: metrics, host: host, port: port, logger: logger) { bound in
                logger.notice("central node serving", metadata: ["port": "\(bound)", "site": "\(registry.identity.siteID)"])
            })
            services.append(MatchIndexPublisher(registry: registry, interval: options.matchIndexInterval, logger: logger))
        case .site:
            // A site makes one request at a time: one event-loop thread and one blocking-pool thread
            // are plenty (the defaults are one per core, each with its own stack and malloc arena).
            // Set before anything touches NIO's singletons.
            NIOSingletons.groupLoopCountSuggestion = 1
            NIOSingletons.blockingPoolThreadCountSuggestion = 1
            guard let url = try options.central ?? node.centralURL() else {
                throw UsageError("no central URL: pass --central or install a certificate that names one")
            }
            let synchronizer = SiteSynchronizer(node: node, transport: HTTPSyncTransport(url: url), metrics: metrics, logger: logger)
            services.append(SiteSyncService(synchronizer: synchronizer, interval: options.interval, logger: logger))
            if let listen = options.listen {
                let (host, port) = try split(listen)
                services.append(MetricsOnlyServer(metrics: metrics, host: host, port: port, logger: logger))
            }
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await group.run()
        logger.notice("regsyncd stopped")
    }

    static func split(_ address: String) throws(UsageError) -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw UsageError("--listen must be HOST:PORT")
        }
        return (String(address[..<colon]), port)
    }
}

/// A command-line mistake (or missing configuration): printed with the usage, exit status 64.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// regsyncd's options: `--name value` or `--name=value`, each at most once; `--help`.
struct DaemonOptions {
    var dir = ""
    var listen: String?
    var passphraseFile: String?
    var interval: Double = 60
    var central: String?
    var logLevel = "info"
    var matchIndexInterval: Double = 300
    var help = false

    static let usage = """
        OVERVIEW: RegistrySync daemon: central HTTP server or site sync loop.

        USAGE: regsyncd --dir <dir> [--listen <host:port>] [--passphrase-file <file>] [--interval <s>]
                        [--central <url>] [--log-level <level>] [--match-index-interval <s>]

        OPTIONS:
          --dir <dir>                    The node directory.
          --listen <host:port>           Serve on (central: sync + /metrics; site: /metrics only).
                                         Central default 0.0.0.0:8443.
          --passphrase-file <file>       Read the passphrase from this file (else $REGSYNC_PASSPHRASE).
          --interval <s>                 Seconds between scheduled sync rounds at a site. (default: 60)
          --central <url>                Override the central node's URL (site).
          --log-level <level>            trace, debug, info, notice, warning, error. (default: info)
          --match-index-interval <s>     Seconds between publications of the state's match index
                                         (central). (default: 300)
          -h, --help                     Show help information.

        """

    init(parsing arguments: [String]) throws(UsageError) {
        var seen: Set<String> = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "-h" || argument == "--help" {
                help = true
                continue
            }
            guard argument.hasPrefix("--") else { throw UsageError("unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            guard let set = Self.setters[String(name.prefix { $0 != "=" })] else { throw UsageError("unknown option '--\(name.prefix { $0 != "=" })'") }
            let value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else if let next = rest.popFirst() {
                value = next
            } else {
                throw UsageError("missing value for '--\(name)'")
            }
            guard seen.insert(name).inserted else { throw UsageError("'--\(name)' given more than once") }
            try set(&self, value)
        }
        if !help && dir.isEmpty { throw UsageError("missing '--dir <dir>'") }
    }

    /// Every option by name, with what its value sets (the one list of option names).
    static let setters: [String: @Sendable (inout DaemonOptions, String) throws(UsageError) -> Void] = [
        "dir": { $0.dir = $1 },
        "listen": { $0.listen = $1 },
        "passphrase-file": { $0.passphraseFile = $1 },
        "interval": { (options: inout DaemonOptions, value: String) throws(UsageError) in options.interval = try seconds(value, "interval") },
        "central": { $0.central = $1 },
        "log-level": { $0.logLevel = $1 },
        "match-index-interval": { (options: inout DaemonOptions, value: String) throws(UsageError) in options.matchIndexInterval = try seconds(value, "match-index-interval") },
    ]

    static func seconds(_ value: String, _ name: String) throws(UsageError) -> Double {
        guard let seconds = Double(value), seconds > 0, seconds.isFinite else {
            throw UsageError("'--\(name)' needs a positive number of seconds, not '\(value)'")
        }
        return seconds
    }
}
