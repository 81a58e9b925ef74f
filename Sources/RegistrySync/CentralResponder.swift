public import Foundation
public import Logging
import RegistryCore
public import RegistryProtocol
import RegistryStorage

/// The central node's side of sync: one sealed envelope in, one sealed envelope out.
///
/// Shared by the HTTP server and bundle import, so both paths check, apply and answer alike.
/// Nothing is applied unless the envelope is authentic, fresh, addressed here and from an enrolled,
/// unrevoked site; what a revoked site sends is quarantined for review.
public final class CentralResponder: Sendable {
    public struct Reply: Sendable {
        /// HTTP status: 200 for a sealed answer (even a sealed rejection), 4xx when no channel exists.
        public let status: Int
        public let body: [UInt8]
        public let isSealed: Bool
        /// What the request did, for metrics and reports.
        public let changesReceived: Int
        public let changesSent: Int
        public let site: String?
        /// The request, once opened (bundle import reads the site's vector from its hello).
        public var request: Message? = nil
        /// The rejection sent, if the answer is one.
        public var rejection: Rejection? = nil
    }

    public let node: SyncNode
    let metrics: SyncMetrics
    let wallClock: @Sendable () -> UInt64
    let maxClockSkewMilliseconds: UInt64
    let logger: Logger

    public init(node: SyncNode, metrics: SyncMetrics, maxClockSkewMilliseconds: UInt64 = 10 * 60 * 1000,
                wallClock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
                logger: Logger = Logger(label: "regsync.central")) {
        self.node = node
        self.metrics = metrics
        self.wallClock = wallClock
        self.maxClockSkewMilliseconds = maxClockSkewMilliseconds
        self.logger = logger
    }

    /// Answers one envelope.
    public func handle(_ envelope: [UInt8]) -> Reply {
        metrics.bytesReceived.increment(by: Int64(envelope.count))
        let header: EnvelopeHeader
        do { header = try EnvelopeHeader.parse(envelope) } catch { return plain(400, error.code, error.detail) }
        let sender: (info: PeerInfo, state: PeerState)
        do {
            guard let known = try node.peer(header.sender), known.info.role == "site" else {
                logger.notice("refused envelope from unknown sender", metadata: ["sender": "\(header.sender)"])
                return plain(403, .unknownSender, "sender is not enrolled here")
            }
            sender = known
        } catch { return plain(500, .internal, "peer lookup failed") }
        let site = sender.info.siteID
        let channel: Channel
        do { channel = try node.channel(to: sender.info, asClient: false) } catch { return plain(500, .internal, "no channel") }

        let opened: (message: Message, counter: UInt64)
        do {
            opened = try channel.open(envelope, lastCounter: sender.state.counterReceived)
        } catch {
            metrics.failures(site).increment()
            logger.warning("refused envelope", metadata: ["site": "\(site)", "code": "\(error.code.rawValue)"])
            return sealed(.reject(error.rejection()), to: sender.info, channel: channel, site: site)
        }
        if (try? node.isRevoked(header.sender)) == true {
            try? node.store.quarantine(source: "site \(site)", reason: "revoked_sender", payload: envelope, wallMilliseconds: wallClock())
            metrics.failures(site).increment()
            logger.warning("quarantined envelope from revoked site", metadata: ["site": "\(site)"])
            return sealed(.reject(Rejection(code: .revokedSender, detail: "this site's certificate is revoked; its data was quarantined for review", retryAfterSeconds: nil)), to: sender.info, channel: channel, site: site)
        }
        if let certificate = sender.info.certificate {
            do { try certificate.verify(trusting: node.publicNode, at: wallClock()) } catch {
                return sealed(.reject(error.rejection()), to: sender.info, channel: channel, site: site)
            }
        }
        do { try node.store.acceptCounter(opened.counter, from: header.sender) } catch {
            return sealed(.reject(Rejection(code: .replayed, detail: "message counter already used", retryAfterSeconds: nil)), to: sender.info, channel: channel, site: site)
        }
        metrics.lastSeen(site).set(Double(wallClock()) / 1000)
        var reply = respond(to: opened.message, from: sender.info, channel: channel, site: site)
        reply.request = opened.message
        return reply
    }

    private func respond(to message: Message, from peer: PeerInfo, channel: Channel, site: String) -> Reply {
        let store = node.store
        switch message {
        case .hello(let hello):
            do {
                try SyncSession.checkHello(hello, configuration: sessionConfiguration(), wallClockMilliseconds: wallClock(), maxSkewMilliseconds: maxClockSkewMilliseconds)
                metrics.sessions(site).increment()
                let welcome = Welcome(
                    protocolVersion: sessionConfiguration().protocolVersion, schemaFingerprint: Schema.fingerprint, wallClockMilliseconds: wallClock(),
                    vector: try store.versionVector, revocations: try node.revocations())
                updateLag(site: site, peer: peer, siteVector: hello.vector)
                return sealed(.welcome(welcome), to: peer, channel: channel, site: site)
            } catch let error as ProtocolError {
                return sealed(.reject(error.rejection()), to: peer, channel: channel, site: site)
            } catch {
                return sealed(.reject(Rejection(code: .internal, detail: "\(type(of: error))", retryAfterSeconds: 5)), to: peer, channel: channel, site: site)
            }
        case .batch(let batch):
            guard batch.changeSets.allSatisfy({ $0.origin == peer.node.replicaID }), batch.skips.isEmpty else {
                return sealed(.reject(Rejection(code: .invalidChange, detail: "a site may only send its own changes", retryAfterSeconds: nil)), to: peer, channel: channel, site: site)
            }
            do {
                let outcome = try store.apply(batch.changeSets, wallMilliseconds: wallClock())
                metrics.changesReceived(site).increment(by: Int64(outcome.changes))
                let vector = try store.versionVector
                updateLag(site: site, peer: peer, siteVector: nil)
                var reply = sealed(.ack(Ack(vector: vector)), to: peer, channel: channel, site: site)
                reply = Reply(status: reply.status, body: reply.body, isSealed: true, changesReceived: outcome.changes, changesSent: 0, site: site)
                return reply
            } catch {
                let code: RejectionCode = switch error.code {
                case .clockSkew: .clockSkew
                case .gap: .gap
                case .invalidChange, .entityMismatch: .invalidChange
                case .diskFull: .busy
                default: .internal
                }
                metrics.failures(site).increment()
                logger.warning("refused batch", metadata: ["site": "\(site)", "code": "\(code.rawValue)"])
                return sealed(.reject(Rejection(code: code, detail: error.description, retryAfterSeconds: code == .busy ? 60 : nil)), to: peer, channel: channel, site: site)
            }
        case .pull(let pull):
            do {
                let batch = try feed(for: peer, site: site, after: pull.vector, maxBytes: Int(min(pull.maxBytes, 4 << 20)))
                let sent = batch.changeSets.reduce(0) { $0 + $1.count }
                metrics.changesSent(site).increment(by: Int64(sent))
                let reply = sealed(.batch(batch), to: peer, channel: channel, site: site)
                return Reply(status: reply.status, body: reply.body, isSealed: true, changesReceived: 0, changesSent: sent, site: site)
            } catch {
                return sealed(.reject(Rejection(code: .internal, detail: "\(error)", retryAfterSeconds: 5)), to: peer, channel: channel, site: site)
            }
        default:
            return sealed(.reject(Rejection(code: .malformed, detail: "unexpected message", retryAfterSeconds: nil)), to: peer, channel: channel, site: site)
        }
    }

    /// What a site misses, in its scope: its homed records and reference data, skips for the rest.
    func feed(for peer: PeerInfo, site: String, after vector: VersionVector, maxBytes: Int) throws(SyncError) -> Batch {
        let (sets, skips) = try syncStorage { () throws(StorageError) in
            try node.store.feed(forSite: site, after: vector, excluding: [peer.node.replicaID], maxBytes: maxBytes)
        }
        var through = vector
        for set in sets { through.advance(set.origin, to: set.lastSeq) }
        for skip in skips { through.advance(skip.origin, to: skip.lastSeq) }
        return Batch(changeSets: sets, skips: skips, through: through)
    }

    func sessionConfiguration() -> SessionConfiguration {
        SessionConfiguration(siteID: node.identity.siteID, role: node.identity.role.rawValue, state: node.identity.state)
    }

    private func updateLag(site: String, peer: PeerInfo, siteVector: VersionVector?) {
        guard let vector = siteVector, let central = try? node.store.versionVector else { return }
        let behind = central.counters.reduce(UInt64(0)) { sum, entry in
            entry.key == peer.node.replicaID ? sum : sum + (entry.value > vector[entry.key] ? entry.value - vector[entry.key] : 0)
        }
        metrics.lag(site).set(Double(behind))
    }

    func sealed(_ message: Message, to peer: PeerInfo, channel: Channel, site: String) -> Reply {
        do {
            let counter = try node.store.reserveCounter(for: peer.node.replicaID, floor: counterFloor())
            let body = channel.seal(message, counter: counter)
            metrics.bytesSent.increment(by: Int64(body.count))
            var reply = Reply(status: 200, body: body, isSealed: true, changesReceived: 0, changesSent: 0, site: site)
            if case .reject(let rejection) = message { reply.rejection = rejection }
            return reply
        } catch {
            return plain(500, .internal, "could not reserve a message counter")
        }
    }

    /// A rejection that cannot be sealed (no channel to the sender): a small JSON body, no personal data.
    func plain(_ status: Int, _ code: RejectionCode, _ detail: String) -> Reply {
        let body = Array("{\"code\":\"\(code.rawValue)\",\"detail\":\"\(detail)\"}".utf8)
        metrics.bytesSent.increment(by: Int64(body.count))
        return Reply(status: status, body: body, isSealed: false, changesReceived: 0, changesSent: 0, site: nil)
    }
}
