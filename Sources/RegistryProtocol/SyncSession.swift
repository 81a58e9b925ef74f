public import RegistryCore

/// What a client session says about itself, and how it bounds its batches.
public struct SessionConfiguration: Sendable, Equatable {
    /// The protocol version this build speaks.
    public static let currentProtocolVersion: UInt16 = 1

    /// Upper bound of a batch's payload, uploaded or requested (uncompressed bytes).
    public var maxBatchBytes: Int
    public var protocolVersion: UInt16
    public var schemaFingerprint: UInt64
    public var siteID: String
    /// `"site"`, `"central"` or `"hub"`.
    public var role: String
    /// Member state, ISO 3166-1 alpha-2.
    public var state: String

    public init(
        maxBatchBytes: Int = 256 * 1024, protocolVersion: UInt16 = SessionConfiguration.currentProtocolVersion,
        schemaFingerprint: UInt64 = Schema.fingerprint, siteID: String, role: String = "site", state: String
    ) {
        self.maxBatchBytes = maxBatchBytes
        self.protocolVersion = protocolVersion
        self.schemaFingerprint = schemaFingerprint
        self.siteID = siteID
        self.role = role
        self.state = state
    }
}

/// What the session asks its driver to do. The driver does the I/O and reports back.
public enum SessionAction: Sendable, Equatable {
    /// Seal and transmit this message to the server, then feed the answer to ``SyncSession/receive(_:)``.
    case send(Message)
    /// Read this node's OWN origin's change sets after `afterSeq`, at most `maxBytes` of payload
    /// (``Batch/Builder``), and call ``SyncSession/uploadReady(_:)`` (an empty batch when there are none).
    case upload(afterSeq: UInt64, maxBytes: Int)
    /// Apply this batch in ONE transaction together with the new vector, then call
    /// ``SyncSession/applied(newVector:)`` with the replica's vector after the commit.
    case apply(Batch)
    /// Done: both sides are current (as of this session).
    case finished(SessionReport)
    /// The session ended on an error; nothing more to do until the next session. For `clock_skew`
    /// the local changes stay queued and the operator must be told to fix the clock.
    case failed(ProtocolError)
}

/// Counts of one session, for logs and metrics (no personal data).
public struct SessionReport: Sendable, Equatable {
    public var changeSetsSent = 0
    public var changeSetsReceived = 0
    public var skipsReceived = 0
    public var batchesSent = 0
    public var batchesReceived = 0
    /// Pull rounds (pull → batch), including the final empty one.
    public var rounds = 0
    /// The replica's vector at the end.
    public var finalVector = VersionVector()
    /// The server's vector as last acknowledged or announced.
    public var serverVector = VersionVector()

    public init() {}
}

/// The client side of a sync session, as a state machine that does no I/O (STYLE point 4).
///
/// ```
/// start ─► send hello ─► welcome ─► upload(after: server's seq of my origin) ─► uploadReady(batch)
///            ─► send batch ─► ack ─► upload … ─► uploadReady(empty) ─► send pull(my vector)
///            ─► batch ─► apply ─► applied(new vector) ─► send pull … ─► empty batch ─► finished
/// ```
/// A `reject` at any point ends the session with ``SessionAction/failed(_:)``; so does a message
/// that makes no sense in the current state (`malformed`), a welcome with another protocol version
/// (`unsupported_version`) or schema (`schema_mismatch`), or a downloaded batch that does not continue
/// from this replica's vector (`gap`, `invalid_change`).
///
/// Resuming: the session keeps nothing between runs. A new session's hello/welcome finds where the
/// server is with this replica's origin, and its pulls carry the replica's committed vector, so a
/// link cut at any point loses at most the batch in flight.
public struct SyncSession: Sendable {
    enum Phase: Sendable, Equatable {
        case idle
        case awaitingWelcome
        case preparingUpload(afterSeq: UInt64)
        case awaitingAck(lastSeq: UInt64, previousServerSeq: UInt64)
        case awaitingBatch
        case applying(expected: VersionVector)
        case finished
        case failed
    }

    public let configuration: SessionConfiguration
    public let localOrigin: ReplicaID
    public let wallClockMilliseconds: UInt64
    /// The replica's vector: as given at start, then as reported by ``applied(newVector:)``.
    public private(set) var vector: VersionVector
    /// What the server said it knows (welcome, then each ack).
    public private(set) var serverVector = VersionVector()
    /// The revocation list from the welcome, if any: **unverified** — the driver verifies it against
    /// the issuer key it trusts before storing it.
    public private(set) var revocations: RevocationList?
    /// `retryAfterSeconds` of the rejection that ended the session, if any.
    public private(set) var retryAfterSeconds: UInt32?
    public private(set) var report = SessionReport()
    private(set) var phase: Phase = .idle

    public init(configuration: SessionConfiguration, localOrigin: ReplicaID, localVector: VersionVector, wallClockMilliseconds: UInt64) {
        self.configuration = configuration
        self.localOrigin = localOrigin
        self.vector = localVector
        self.wallClockMilliseconds = wallClockMilliseconds
    }

    /// True once the session finished or failed.
    public var isOver: Bool { phase == .finished || phase == .failed }

    /// `[.send(.hello(…))]`.
    public mutating func start() -> [SessionAction] {
        guard phase == .idle else { return fail(.malformed, "session already started") }
        phase = .awaitingWelcome
        return [
            .send(
                .hello(
                    Hello(
                        protocolVersion: configuration.protocolVersion, schemaFingerprint: configuration.schemaFingerprint,
                        role: configuration.role, siteID: configuration.siteID, state: configuration.state,
                        wallClockMilliseconds: wallClockMilliseconds, vector: vector)))
        ]
    }

    /// Feeds the server's answer.
    public mutating func receive(_ message: Message) -> [SessionAction] {
        if case .reject(let rejection) = message, !isOver {
            retryAfterSeconds = rejection.retryAfterSeconds
            phase = .failed
            return [.failed(rejection.error)]
        }
        switch (phase, message) {
        case (.awaitingWelcome, .welcome(let welcome)):
            guard welcome.protocolVersion == configuration.protocolVersion else {
                return fail(.unsupportedVersion, "server speaks protocol \(welcome.protocolVersion), this node \(configuration.protocolVersion)")
            }
            guard welcome.schemaFingerprint == configuration.schemaFingerprint else {
                return fail(.schemaMismatch, "server schema \(hex(welcome.schemaFingerprint)), this node \(hex(configuration.schemaFingerprint))")
            }
            serverVector = welcome.vector
            report.serverVector = welcome.vector
            revocations = welcome.revocations
            return uploadOrPull(serverSeq: welcome.vector[localOrigin])

        case (.awaitingAck(let lastSeq, let previous), .ack(let ack)):
            serverVector = ack.vector
            report.serverVector = ack.vector
            let serverSeq = ack.vector[localOrigin]
            guard serverSeq > previous else {
                return fail(.gap, "server acknowledged \(serverSeq) of \(localOrigin) after a batch up to \(lastSeq): no progress")
            }
            return uploadOrPull(serverSeq: serverSeq)

        case (.awaitingBatch, .batch(let batch)):
            report.rounds += 1
            if batch.isEmpty {
                return finish()
            }
            let expected: VersionVector
            do throws(ProtocolError) { expected = try batch.resultingVector(from: vector) } catch { return fail(error) }
            guard expected != vector else {
                return fail(.gap, "batch brings nothing new: the server repeats what this node has")
            }
            report.batchesReceived += 1
            report.changeSetsReceived += batch.changeSets.count
            report.skipsReceived += batch.skips.count
            phase = .applying(expected: expected)
            return [.apply(batch)]

        default:
            return fail(.malformed, "unexpected \(message.type) in state \(phase)")
        }
    }

    /// The driver read the next upload batch of this node's origin (empty: nothing more to upload).
    public mutating func uploadReady(_ batch: Batch) -> [SessionAction] {
        guard case .preparingUpload(let afterSeq) = phase else { return fail(.malformed, "upload batch not asked for") }
        let own = batch.changeSets.filter { $0.origin == localOrigin }
        guard own.count == batch.changeSets.count else {
            return fail(.internal, "upload batch holds change sets of another origin")
        }
        guard let last = own.map(\.lastSeq).max() else { return pull() }
        guard let first = own.map(\.firstSeq).min(), first <= afterSeq + 1 else {
            return fail(.gap, "upload batch of \(localOrigin) starts past \(afterSeq + 1)")
        }
        report.batchesSent += 1
        report.changeSetsSent += own.count
        phase = .awaitingAck(lastSeq: last, previousServerSeq: afterSeq)
        var outgoing = batch
        if outgoing.through[localOrigin] < last {
            var through = outgoing.through
            through.advance(localOrigin, to: last)
            outgoing.through = through
        }
        return [.send(.batch(outgoing))]
    }

    /// The driver committed the batch; `newVector` is the replica's vector after the commit.
    public mutating func applied(newVector: VersionVector) -> [SessionAction] {
        guard case .applying(let expected) = phase else { return fail(.malformed, "nothing was being applied") }
        guard expected.isCovered(by: newVector) else {
            return fail(.internal, "replica vector after apply does not cover what the batch brought")
        }
        vector = newVector
        return pull()
    }

    /// For the server: refuses a hello before any data moves.
    /// - Throws: ``RejectionCode/unsupportedVersion``, ``RejectionCode/schemaMismatch``,
    ///   ``RejectionCode/clockSkew`` (the client's clock more than `maxSkewMilliseconds` **ahead**; a
    ///   clock behind is harmless to the merge: its stamps only lose ties), ``RejectionCode/malformed``
    ///   (an unknown role).
    public static func checkHello(
        _ hello: Hello, configuration: SessionConfiguration, wallClockMilliseconds: UInt64, maxSkewMilliseconds: UInt64
    ) throws(ProtocolError) {
        guard hello.protocolVersion == configuration.protocolVersion else {
            throw ProtocolError(.unsupportedVersion, "client speaks protocol \(hello.protocolVersion), server \(configuration.protocolVersion)")
        }
        guard hello.schemaFingerprint == configuration.schemaFingerprint else {
            throw ProtocolError(.schemaMismatch, "client schema \(hex(hello.schemaFingerprint)), server \(hex(configuration.schemaFingerprint))")
        }
        guard ["site", "central", "hub"].contains(hello.role) else {
            throw ProtocolError(.malformed, "unknown role in hello")
        }
        if hello.wallClockMilliseconds > wallClockMilliseconds, hello.wallClockMilliseconds - wallClockMilliseconds > maxSkewMilliseconds {
            throw ProtocolError(
                .clockSkew,
                "client clock \((hello.wallClockMilliseconds - wallClockMilliseconds) / 1000) s ahead (allowed \(maxSkewMilliseconds / 1000) s)")
        }
    }

    // MARK: - Steps

    private mutating func uploadOrPull(serverSeq: UInt64) -> [SessionAction] {
        if vector[localOrigin] > serverSeq {
            phase = .preparingUpload(afterSeq: serverSeq)
            return [.upload(afterSeq: serverSeq, maxBytes: configuration.maxBatchBytes)]
        }
        return pull()
    }

    private mutating func pull() -> [SessionAction] {
        phase = .awaitingBatch
        return [.send(.pull(Pull(vector: vector, maxBytes: UInt32(clamping: configuration.maxBatchBytes))))]
    }

    private mutating func finish() -> [SessionAction] {
        phase = .finished
        report.finalVector = vector
        return [.finished(report)]
    }

    private mutating func fail(_ code: RejectionCode, _ detail: String) -> [SessionAction] {
        fail(ProtocolError(code, detail))
    }

    private mutating func fail(_ error: ProtocolError) -> [SessionAction] {
        phase = .failed
        report.finalVector = vector
        return [.failed(error)]
    }
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
