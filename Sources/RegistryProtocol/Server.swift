public import RegistryCore

/// The central node's view of its peers: picks the channel for an incoming envelope from its clear
/// header, refusing misaddressed envelopes, senders it has not enrolled (`not_enrolled`) and revoked
/// ones (`revoked_sender`) before any cryptography.
///
/// Channels (their `crypto_kx` keys) are derived once, at init.
public struct PeerDirectory: Sendable {
    public let localID: ReplicaID
    public let revocations: RevocationList?
    private let channels: [ReplicaID: Channel]

    /// - Parameters:
    ///   - localIsClient: false for a central node serving sites; true for a central node talking to its hub.
    ///   - revocations: a revocation list the caller has verified.
    /// - Throws: ``RejectionCode/malformed`` when a peer's key-exchange key is unusable.
    public init(local: LocalNode, peers: [PeerNode], revocations: RevocationList?, localIsClient: Bool = false) throws(ProtocolError) {
        var channels: [ReplicaID: Channel] = [:]
        for peer in peers where peer.replicaID != local.replicaID {
            channels[peer.replicaID] = try Channel(local: local, peer: peer, localIsClient: localIsClient, revocations: revocations)
        }
        self.channels = channels
        self.localID = local.replicaID
        self.revocations = revocations
    }

    /// The channel with `peer`, if enrolled.
    public func channel(with peer: ReplicaID) -> Channel? { channels[peer] }

    /// The channel to open `envelope` with.
    /// - Throws: everything ``EnvelopeHeader/parse(_:)`` throws, then ``RejectionCode/misaddressed``,
    ///   ``RejectionCode/revokedSender``, ``RejectionCode/notEnrolled``.
    public func channel(for envelope: [UInt8]) throws(ProtocolError) -> Channel {
        let header = try EnvelopeHeader.parse(envelope)
        guard header.recipient == localID else { throw ProtocolError(.misaddressed, "envelope for \(header.recipient), this node is \(localID)") }
        if let revocations, revocations.isRevoked(header.sender) {
            throw ProtocolError(.revokedSender, "sender \(header.sender) is revoked")
        }
        guard let channel = channels[header.sender] else { throw ProtocolError(.notEnrolled, "sender \(header.sender) is not enrolled here") }
        return channel
    }

    /// Opens `envelope` from whichever enrolled peer sent it.
    /// - Parameter lastCounter: the last counter accepted from a sender, looked up by its id.
    public func open(_ envelope: [UInt8], lastCounter: (ReplicaID) -> UInt64) throws(ProtocolError) -> (sender: ReplicaID, message: Message, counter: UInt64) {
        let channel = try channel(for: envelope)
        let (message, counter) = try channel.open(envelope, lastCounter: lastCounter(channel.peer.replicaID))
        return (channel.peer.replicaID, message, counter)
    }
}

extension Envelope {
    /// The counter to send next: one above the last sent, and at least the wall clock in
    /// microseconds, so that a node restored from a backup (whose stored counter went back) still
    /// sends counters its peers accept.
    public static func nextCounter(after lastSent: UInt64, wallClockMilliseconds: UInt64) -> UInt64 {
        max(lastSent &+ 1, wallClockMilliseconds &* 1000)
    }
}

extension Batch {
    /// The server's answer to a pull: change sets the client misses and may see, skips for those it
    /// may not, bounded by `min(pull.maxBytes, maxBytes)`.
    ///
    /// Walks origins in ascending order; within an origin, `changeSets(origin, afterSeq)` must yield
    /// that origin's change sets with `lastSeq > afterSeq`, in seq order, up to the server's vector
    /// (storage reads them lazily: the walk stops at the first change set that does not fit).
    /// Consecutive out-of-scope change sets merge into one skip. `through` is the client's vector
    /// advanced over everything included or skipped.
    ///
    /// - Parameters:
    ///   - serverVector: what the server has (contiguous).
    ///   - inScope: whether the client receives this change set (by record home, entity, origin…).
    public static func answering(
        _ pull: Pull, serverVector: VersionVector, maxBytes: Int = .max,
        changeSets: (_ origin: ReplicaID, _ afterSeq: UInt64) -> [ChangeSet], inScope: (ChangeSet) -> Bool
    ) -> Batch {
        var builder = Builder(maxBytes: min(Int(pull.maxBytes), maxBytes))
        var skips: [SkipRange] = []
        var through = pull.vector
        origins: for origin in serverVector.counters.keys.sorted() where serverVector[origin] > pull.vector[origin] {
            var reached = pull.vector[origin]
            for changeSet in changeSets(origin, pull.vector[origin]) {
                guard changeSet.origin == origin, changeSet.lastSeq > reached, changeSet.lastSeq <= serverVector[origin] else { continue }
                // Never leave a hole: a change set must continue from what is reached.
                guard changeSet.firstSeq <= reached + 1 else { break }
                if inScope(changeSet) {
                    guard builder.add(changeSet) else { break origins }
                } else if let last = skips.last, last.origin == origin, last.lastSeq + 1 >= changeSet.firstSeq {
                    skips[skips.count - 1].lastSeq = changeSet.lastSeq
                } else {
                    skips.append(SkipRange(origin: origin, firstSeq: max(changeSet.firstSeq, reached + 1), lastSeq: changeSet.lastSeq))
                }
                reached = changeSet.lastSeq
                through.advance(origin, to: reached)
            }
        }
        return builder.build(skips: skips, through: through)
    }
}
