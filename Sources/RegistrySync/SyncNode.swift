public import Foundation
public import RegistryCore
public import RegistryProtocol
public import RegistryReplica
public import RegistryStorage

/// What a node keeps about a peer, stored as JSON in the replica's `peer` table.
public struct PeerInfo: Codable, Sendable, Equatable {
    public var node: PeerNode
    public var role: String
    public var siteID: String
    public var state: String
    public var url: String?
    public var certificate: Certificate?

    enum CodingKeys: String, CodingKey { case node, role, siteID = "site_id", state, url, certificate }
}

/// A node's sync identity and trust: enrolment, certificates, revocations, channels to peers.
public final class SyncNode: Sendable {
    public let registry: Registry
    public let local: LocalNode

    public init(registry: Registry) {
        self.registry = registry
        local = LocalNode(replicaID: registry.identity.replicaID, signing: registry.signingKey, keyExchange: registry.keyExchangeKey)
    }

    public var store: ReplicaStore { registry.store }
    public var identity: ReplicaIdentity { registry.identity }
    public var publicNode: PeerNode {
        PeerNode(replicaID: local.replicaID, signing: local.signing.publicKey, keyExchange: local.keyExchange.publicKey)
    }

    // MARK: Enrolment (files carried by hand)

    /// A site's request: its id, state and public keys, signed to prove it holds the keys.
    public func enrollmentRequest(now: Date = Date()) throws(SyncError) -> EnrollmentRequest {
        EnrollmentRequest.make(local: local, siteID: identity.siteID, state: identity.state, now: iso(now))
    }

    /// At the central node: checks the request, signs a certificate and enrols the site as a peer.
    public func sign(_ request: EnrollmentRequest, validityDays: Int = 365, url: String?, now: Date = Date()) throws(SyncError) -> Certificate {
        guard identity.role == .central else { throw SyncError(.invalidInput, "only a central node signs certificates") }
        do { try request.verify() } catch { throw SyncError(error) }
        guard request.state == identity.state else {
            throw SyncError(.invalidInput, "the request is for state \(request.state), this central node serves \(identity.state)")
        }
        let serial = UInt64(try syncStorage { () throws(StorageError) in try store.peers() }.count + 1)
        let certificate: Certificate
        do {
            certificate = try Certificate.issue(
                for: request, by: local, serial: serial, validFrom: iso(now),
                validUntil: iso(now.addingTimeInterval(Double(validityDays) * 86_400)), issuerURL: url)
        } catch { throw SyncError(error) }
        let info = PeerInfo(node: certificate.subject, role: certificate.role, siteID: request.siteID, state: request.state, url: nil, certificate: certificate)
        try savePeer(info)
        return certificate
    }

    /// At the site: checks the certificate was issued to this node, trusts its issuer as the central node.
    public func install(_ certificate: Certificate, now: Date = Date()) throws(SyncError) {
        guard certificate.subject.replicaID == local.replicaID, certificate.subject.signing == local.signing.publicKey else {
            throw SyncError(.invalidInput, "this certificate was issued to another node")
        }
        do { try certificate.verify(trusting: nil, at: Self.milliseconds(now)) } catch { throw SyncError(error) }
        let central = PeerInfo(node: certificate.issuer, role: "central", siteID: "", state: certificate.state, url: certificate.issuerURL ?? registry.configuration.centralURL, certificate: nil)
        try savePeer(central)
        try setting("certificate", json(certificate))
        try setting("central", certificate.issuer.replicaID.description)
        if let url = certificate.issuerURL { try setting("central_url", url) }
    }

    /// At the central node: revokes a site. What it sends afterwards is quarantined, not applied.
    public func revoke(siteID: String, reason: String, now: Date = Date()) throws(SyncError) -> RevocationList {
        guard identity.role == .central else { throw SyncError(.invalidInput, "only a central node revokes sites") }
        let peers = try allPeers()
        guard let site = peers.first(where: { $0.info.siteID == siteID && $0.info.role == "site" }) else {
            throw SyncError(.invalidInput, "no enrolled site \(siteID)")
        }
        let current = try revocations()
        var entries = current?.entries ?? []
        if !entries.contains(where: { $0.replicaID == site.info.node.replicaID }) {
            entries.append(RevocationList.Entry(replicaID: site.info.node.replicaID, serial: site.info.certificate?.serial ?? 0, revokedAt: iso(now), reason: reason))
        }
        let list = RevocationList.sign(issuer: local, version: (current?.version ?? 0) + 1, entries: entries)
        try setting("revocations", json(list))
        return list
    }

    /// The revocation list in force here (issued here, or received from the central node).
    public func revocations() throws(SyncError) -> RevocationList? {
        guard let text = try syncStorage({ () throws(StorageError) in try store.setting("revocations") }) else { return nil }
        return try? JSONDecoder().decode(RevocationList.self, from: Data(text.utf8))
    }

    /// Keeps a newer revocation list from the central node (checked against its key).
    func adopt(_ list: RevocationList, from central: PeerInfo) throws(SyncError) {
        do { try list.verify(issuer: central.node.signing) } catch { throw SyncError(error) }
        if let current = try revocations(), current.version >= list.version { return }
        try setting("revocations", json(list))
    }

    func isRevoked(_ replica: ReplicaID) throws(SyncError) -> Bool { try revocations()?.isRevoked(replica) ?? false }

    // MARK: Peers

    public func allPeers() throws(SyncError) -> [(info: PeerInfo, state: PeerState)] {
        try syncStorage { () throws(StorageError) in try store.peers() }.compactMap { state in
            (try? JSONDecoder().decode(PeerInfo.self, from: Data(state.info))).map { ($0, state) }
        }
    }

    public func peer(_ replica: ReplicaID) throws(SyncError) -> (info: PeerInfo, state: PeerState)? {
        guard let state = try syncStorage({ () throws(StorageError) in try store.peer(replica) }),
              let info = try? JSONDecoder().decode(PeerInfo.self, from: Data(state.info)) else { return nil }
        return (info, state)
    }

    /// The central node a site syncs with, and its URL.
    public func central() throws(SyncError) -> (info: PeerInfo, state: PeerState) {
        guard let text = try syncStorage({ () throws(StorageError) in try store.setting("central") }), let id = ReplicaID(text),
              let central = try peer(id) else {
            throw SyncError(.notEnrolled, "no certificate installed: run regsync enroll request / sign / install first")
        }
        return central
    }

    public func centralURL() throws(SyncError) -> String? {
        try syncStorage { () throws(StorageError) in try store.setting("central_url") } ?? registry.configuration.centralURL
    }

    func savePeer(_ info: PeerInfo) throws(SyncError) {
        let bytes = Array(json(info).utf8)
        try syncStorage { () throws(StorageError) in try store.savePeer(info.node.replicaID, info: bytes) }
    }

    func channel(to peer: PeerInfo, asClient: Bool) throws(SyncError) -> Channel {
        do { return try Channel(local: local, peer: peer.node, localIsClient: asClient) } catch { throw SyncError(error) }
    }

    private func setting(_ key: String, _ value: String) throws(SyncError) {
        try syncStorage { () throws(StorageError) in try store.setSetting(key, value) }
    }

    static func milliseconds(_ date: Date) -> UInt64 { UInt64(max(0, date.timeIntervalSince1970 * 1000)) }
}

func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

func json(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}
