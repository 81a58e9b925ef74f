import ArgumentParser
import Foundation
import RegistryProtocol
import RegistryReplica
import RegistrySync

/// Runs sync-layer work, printing a ``SyncError`` like other typed errors.
extension Output {
    func sync<T>(_ body: () throws -> T) throws -> T {
        do {
            return try guarding(body)
        } catch let error as SyncError {
            report(ReplicaError(error.code == .invalidInput ? .invalidInput : .io, error.description))
            throw ExitCode(error.code == .invalidInput ? 2 : error.code == .notEnrolled ? 4 : error.code == .rejected ? 6 : 1)
        }
    }
}

func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw ReplicaError(.io, "cannot read \(URL(fileURLWithPath: path).lastPathComponent)") }
    return data
}

func writeOut(_ path: String, _ data: Data) throws {
    guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw ReplicaError(.io, "cannot write \(URL(fileURLWithPath: path).lastPathComponent)")
    }
}

struct Enroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol a site with its central node, with files carried by hand.",
        subcommands: [Request.self, Sign.self, Install.self])

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "At a site: write an enrolment request (site id, state, public keys).")
        @OptionGroup var node: NodeOptions
        @Option(help: "Where to write the request.") var out: String

        func run() throws {
            let output = Output(json: node.json)
            let sync = SyncNode(registry: try node.open())
            try output.sync {
                let request = try sync.enrollmentRequest()
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try writeOut(out, try encoder.encode(request))
            }
            output.emit(["request": out, "site_id": sync.identity.siteID, "replica_id": sync.identity.replicaID.description]) {
                "wrote enrolment request for \(sync.identity.siteID) to \(out); carry it to the central node"
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "At the central node: check a request and sign the site's certificate.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The site's request file.") var request: String
        @Option(help: "Where to write the certificate.") var out: String
        @Option(help: "Days the certificate is valid.") var validityDays = 365
        @Option(help: "The URL sites reach this central node at.") var url: String?

        func run() throws {
            let output = Output(json: node.json)
            let sync = SyncNode(registry: try node.open())
            let certificate = try output.sync {
                let request = try JSONDecoder().decode(EnrollmentRequest.self, from: try readFile(self.request))
                let certificate = try sync.sign(request, validityDays: validityDays, url: url ?? sync.registry.configuration.centralURL)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try writeOut(out, try encoder.encode(certificate))
                return certificate
            }
            output.emit(["certificate": out, "site_id": certificate.siteID, "serial": certificate.serial, "valid_until": certificate.validUntil]) {
                "signed certificate \(certificate.serial) for \(certificate.siteID), valid until \(certificate.validUntil); carry \(out) back to the site"
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "At a site: install the certificate; its issuer becomes the trusted central node.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The certificate file.") var certificate: String

        func run() throws {
            let output = Output(json: node.json)
            let sync = SyncNode(registry: try node.open())
            let certificate = try output.sync {
                let certificate = try JSONDecoder().decode(Certificate.self, from: try readFile(self.certificate))
                try sync.install(certificate)
                return certificate
            }
            output.emit(["installed": true, "central": certificate.issuer.replicaID.description, "central_url": certificate.issuerURL ?? NSNull()]) {
                "installed; this site now syncs with central node \(certificate.issuer.replicaID)" + (certificate.issuerURL.map { " at \($0)" } ?? "")
            }
        }
    }
}

struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "At the central node: revoke a site; what it sends afterwards is quarantined.")
    @OptionGroup var node: NodeOptions
    @Argument(help: "The site id.") var site: String
    @Option(help: "Why (kept in the revocation list).") var reason = "revoked by operator"

    func run() throws {
        let output = Output(json: node.json)
        let sync = SyncNode(registry: try node.open())
        let list = try output.sync { try sync.revoke(siteID: site, reason: reason) }
        output.emit(["revoked": site, "revocation_list_version": list.version]) { "revoked \(site); revocation list version \(list.version) reaches every site at its next sync" }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "At a site: run one sync round with the central node now.")
    @OptionGroup var node: NodeOptions
    @Option(help: "The central node's URL (default: from the certificate or configuration).") var central: String?

    func run() async throws {
        let output = Output(json: node.json)
        let sync = SyncNode(registry: try node.open())
        guard let url = try output.sync({ try central ?? sync.centralURL() }) else {
            try output.guarding { throw ReplicaError(.invalidInput, "no central URL: pass --central") }
            return
        }
        let synchronizer = SiteSynchronizer(node: sync, transport: HTTPSyncTransport(url: url))
        let report: SyncReport
        do {
            report = try await synchronizer.syncOnce()
        } catch {
            output.report(ReplicaError(.io, error.description))
            throw ExitCode(error.code == .notEnrolled ? 4 : error.code == .rejected ? 6 : 1)
        }
        output.emit([
            "changes_sent": report.changesSent, "changes_received": report.changesReceived, "skipped": report.skipped,
            "round_trips": report.roundTrips, "bytes_sent": report.bytesSent, "bytes_received": report.bytesReceived, "ms": report.milliseconds,
        ]) {
            "sent \(report.changesSent) changes, received \(report.changesReceived) (\(report.bytesSent + report.bytesReceived) bytes, \(report.roundTrips) round trips, \(report.milliseconds) ms)"
        }
    }
}

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Sync without a link: sealed bundle files carried by hand.", subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "At a site: write everything the central node has not acknowledged.")
        @OptionGroup var node: NodeOptions
        @Option(help: "The bundle file to write.") var out: String

        func run() throws {
            let output = Output(json: node.json)
            let sync = SyncNode(registry: try node.open())
            let (bytes, changes) = try output.sync { try SiteSynchronizer.exportBundle(node: sync) }
            try output.guarding { try writeOut(out, Data(bytes)) }
            output.emit(["bundle": out, "changes": changes, "bytes": bytes.count]) { "wrote \(changes) changes (\(bytes.count) bytes, sealed) to \(out)" }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "At the central node: import a site's bundle and write a receipt. At a site: import a receipt.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The bundle or receipt file.") var file: String
        @Option(help: "Where the central node writes the receipt (default: FILE.receipt).") var receipt: String?

        func run() throws {
            let output = Output(json: node.json)
            let sync = SyncNode(registry: try node.open())
            let bytes = try output.guarding { [UInt8](try readFile(file)) }
            if sync.identity.role == .site {
                let report = try output.sync { try SiteSynchronizer.importReceipt(node: sync, bytes) }
                output.emit(["applied": report.changesApplied, "already_imported": report.alreadyImported, "acknowledged_seq": report.acknowledgedSeq.map { Int($0) } ?? NSNull()]) {
                    report.alreadyImported > 0 && report.acknowledgedSeq == nil
                        ? "receipt already imported: nothing to do"
                        : "receipt imported: central node holds this site's changes up to \(report.acknowledgedSeq ?? 0); \(report.changesApplied) changes received"
                }
            } else {
                let responder = CentralResponder(node: sync, metrics: SyncMetrics())
                let (report, receiptBytes) = try output.sync { try responder.importBundle(bytes) }
                let path = receipt ?? file + ".receipt"
                try output.guarding { try writeOut(path, Data(receiptBytes)) }
                output.emit(["applied": report.changesApplied, "already_imported": report.alreadyImported, "receipt": path]) {
                    "applied \(report.changesApplied) changes (\(report.alreadyImported) envelopes already imported); receipt written to \(path)"
                }
            }
        }
    }
}

struct Quarantine: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List what was received but not applied (e.g. from a revoked site), for review.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        let output = Output(json: node.json)
        let registry = try node.open()
        let entries = try output.guarding { () throws -> [QuarantineEntryView] in
            do { return try registry.store.quarantined().map(QuarantineEntryView.init) } catch { throw ReplicaError(.storage, "\(error)") }
        }
        output.emit(["entries": entries.map { ["id": $0.id, "source": $0.source, "reason": $0.reason, "bytes": $0.bytes, "received_at_ms": $0.receivedAt] }]) {
            entries.isEmpty ? "quarantine is empty" : entries.map { "#\($0.id) \($0.source): \($0.reason) (\($0.bytes) bytes)" }.joined(separator: "\n")
        }
    }
}

struct QuarantineEntryView {
    let id: Int64, source: String, reason: String, bytes: Int, receivedAt: UInt64
    init(_ entry: RegistryStorage.QuarantineEntry) {
        id = entry.id
        source = entry.source
        reason = entry.reason
        bytes = entry.payload.count
        receivedAt = entry.receivedAtMilliseconds
    }
}

import RegistryStorage
