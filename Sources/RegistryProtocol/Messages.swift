public import RegistryCore

/// The message kinds of protocol version 1. The number is the envelope header's `type` byte.
public enum MessageType: UInt8, Sendable, CaseIterable {
    /// Client → server: who I am, which schema I speak, my clock and what I know.
    case hello = 1
    /// Server → client: accepted; how far the server has the client's origin; revocations.
    case welcome = 2
    /// Either way: change sets (and skipped dots) the receiver misses.
    case batch = 3
    /// Server → client: the server's vector after applying an uploaded batch (the resume point).
    case ack = 4
    /// Client → server: "send me what I miss beyond this vector, at most this many bytes".
    case pull = 5
    /// Either way: a typed refusal; the session ends.
    case reject = 6
    /// Bundle files: the central node's acknowledgement of a bundle, optionally with data back.
    case receipt = 7
}

/// One protocol message: the plaintext payload of an envelope.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case batch(Batch)
    case ack(Ack)
    case pull(Pull)
    case reject(Rejection)
    case receipt(Receipt)

    /// The header type byte for this message.
    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .batch: .batch
        case .ack: .ack
        case .pull: .pull
        case .reject: .reject
        case .receipt: .receipt
        }
    }

    /// The payload bytes (before compression and sealing). Layouts: `Protocol/sync-protocol.md`.
    public func encodedPayload() -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        switch self {
        case .hello(let hello): hello.write(to: &writer)
        case .welcome(let welcome): welcome.write(to: &writer)
        case .batch(let batch): batch.write(to: &writer)
        case .ack(let ack): writer.vector(ack.vector)
        case .pull(let pull):
            writer.vector(pull.vector)
            writer.varint(UInt64(pull.maxBytes))
        case .reject(let rejection): rejection.write(to: &writer)
        case .receipt(let receipt):
            writer.vector(receipt.vector)
            if let batch = receipt.batch {
                writer.byte(1)
                batch.write(to: &writer)
            } else {
                writer.byte(0)
            }
        }
        return writer.bytes
    }

    /// Decodes a payload of the given type; every read is bounds-checked and trailing bytes are refused.
    /// - Throws: ``RejectionCode/malformed`` for anything that is not a well-formed payload of `type`.
    public static func decode(type: MessageType, payload: [UInt8]) throws(ProtocolError) -> Message {
        var reader = WireReader(payload, place: "\(type)")
        let message: Message
        switch type {
        case .hello: message = .hello(try Hello.read(from: &reader))
        case .welcome: message = .welcome(try Welcome.read(from: &reader))
        case .batch: message = .batch(try Batch.read(from: &reader))
        case .ack: message = .ack(Ack(vector: try reader.vector()))
        case .pull:
            let vector = try reader.vector()
            let maxBytes = try reader.varint()
            guard maxBytes <= UInt64(UInt32.max) else { throw ProtocolError(.malformed, "pull: maxBytes out of range") }
            message = .pull(Pull(vector: vector, maxBytes: UInt32(maxBytes)))
        case .reject: message = .reject(try Rejection.read(from: &reader))
        case .receipt:
            let vector = try reader.vector()
            switch try reader.byte() {
            case 0: message = .receipt(Receipt(vector: vector, batch: nil))
            case 1: message = .receipt(Receipt(vector: vector, batch: try Batch.read(from: &reader)))
            case let flag: throw ProtocolError(.malformed, "receipt: unknown batch flag \(flag)")
            }
        }
        try reader.finish()
        return message
    }
}

/// The first message of a session, client → server.
///
/// Everything the server needs to refuse the session **before any data moves**: protocol version,
/// schema fingerprint and clock (see ``SyncSession/checkHello(_:configuration:wallClockMilliseconds:maxSkewMilliseconds:)``).
public struct Hello: Sendable, Equatable {
    /// The protocol version the client speaks (``SessionConfiguration/currentProtocolVersion``).
    public var protocolVersion: UInt16
    /// `Schema.fingerprint` of the client's build.
    public var schemaFingerprint: UInt64
    /// `"site"`, `"central"` or `"hub"`.
    public var role: String
    /// The client's site id (e.g. `NL-TA-01`); for a central node its own id.
    public var siteID: String
    /// Member state (ISO 3166-1 alpha-2).
    public var state: String
    /// The client's wall clock when it said hello, Unix ms: the server refuses a clock too far ahead.
    public var wallClockMilliseconds: UInt64
    /// What the sender knows.
    public var vector: VersionVector

    public init(
        protocolVersion: UInt16, schemaFingerprint: UInt64, role: String, siteID: String, state: String,
        wallClockMilliseconds: UInt64, vector: VersionVector
    ) {
        self.protocolVersion = protocolVersion
        self.schemaFingerprint = schemaFingerprint
        self.role = role
        self.siteID = siteID
        self.state = state
        self.wallClockMilliseconds = wallClockMilliseconds
        self.vector = vector
    }

    func write(to writer: inout ByteWriter) {
        writer.varint(UInt64(protocolVersion))
        writer.fixed64(schemaFingerprint)
        writer.string(role)
        writer.string(siteID)
        writer.string(state)
        writer.varint(wallClockMilliseconds)
        writer.vector(vector)
    }

    static func read(from reader: inout WireReader) throws(ProtocolError) -> Hello {
        let version = try reader.varint()
        guard version <= UInt64(UInt16.max) else { throw ProtocolError(.malformed, "hello: protocol version out of range") }
        return Hello(
            protocolVersion: UInt16(version), schemaFingerprint: try reader.fixed64(), role: try reader.string(maxBytes: 32),
            siteID: try reader.string(maxBytes: 256), state: try reader.string(maxBytes: 16),
            wallClockMilliseconds: try reader.varint(), vector: try reader.vector())
    }
}

/// The server's answer to an accepted hello.
public struct Welcome: Sendable, Equatable {
    public var protocolVersion: UInt16
    public var schemaFingerprint: UInt64
    /// The server's wall clock, Unix ms (informative: lets the site warn its operator about its clock).
    public var wallClockMilliseconds: UInt64
    /// What the server knows; at least its entry for the client's own origin, which is where the
    /// client's upload resumes.
    public var vector: VersionVector
    /// The central node's current revocation list, when it has one newer than the client's
    /// (or always: it is small). Verified by the receiver against the issuer key it trusts.
    public var revocations: RevocationList?

    public init(
        protocolVersion: UInt16, schemaFingerprint: UInt64, wallClockMilliseconds: UInt64, vector: VersionVector,
        revocations: RevocationList? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.schemaFingerprint = schemaFingerprint
        self.wallClockMilliseconds = wallClockMilliseconds
        self.vector = vector
        self.revocations = revocations
    }

    func write(to writer: inout ByteWriter) {
        writer.varint(UInt64(protocolVersion))
        writer.fixed64(schemaFingerprint)
        writer.varint(wallClockMilliseconds)
        writer.vector(vector)
        if let revocations {
            writer.byte(1)
            revocations.writeSigned(to: &writer)
        } else {
            writer.byte(0)
        }
    }

    static func read(from reader: inout WireReader) throws(ProtocolError) -> Welcome {
        let version = try reader.varint()
        guard version <= UInt64(UInt16.max) else { throw ProtocolError(.malformed, "welcome: protocol version out of range") }
        let fingerprint = try reader.fixed64()
        let clock = try reader.varint()
        let vector = try reader.vector()
        let revocations: RevocationList?
        switch try reader.byte() {
        case 0: revocations = nil
        case 1: revocations = try RevocationList.readSigned(from: &reader)
        case let flag: throw ProtocolError(.malformed, "welcome: unknown revocation flag \(flag)")
        }
        return Welcome(
            protocolVersion: UInt16(version), schemaFingerprint: fingerprint, wallClockMilliseconds: clock, vector: vector,
            revocations: revocations)
    }
}

/// Server → client after applying an uploaded batch: its vector now. The client resumes its next
/// upload from `vector[client origin]`; a batch that is sent twice is a no-op on the server.
public struct Ack: Sendable, Equatable {
    public var vector: VersionVector
    public init(vector: VersionVector) { self.vector = vector }
}

/// Client → server: send me what I miss beyond `vector`, in a batch of at most `maxBytes`
/// (uncompressed payload bytes; the server may exceed it by one change set when a single change
/// set is larger, so that sync never stalls).
public struct Pull: Sendable, Equatable {
    public var vector: VersionVector
    public var maxBytes: UInt32
    public init(vector: VersionVector, maxBytes: UInt32) {
        self.vector = vector
        self.maxBytes = maxBytes
    }
}

/// A typed refusal. The session that receives one ends with ``SessionAction/failed(_:)``.
///
/// `detail` follows the rule of ``ProtocolError``: ids and field names, never personal values.
public struct Rejection: Sendable, Equatable {
    public var code: RejectionCode
    public var detail: String
    /// For `busy` (and optionally `internal`): when to try again.
    public var retryAfterSeconds: UInt32?

    public init(code: RejectionCode, detail: String, retryAfterSeconds: UInt32? = nil) {
        self.code = code
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The same refusal as a local error.
    public var error: ProtocolError { ProtocolError(code, detail) }

    func write(to writer: inout ByteWriter) {
        writer.string(code.rawValue)
        writer.string(detail)
        if let retryAfterSeconds {
            writer.byte(1)
            writer.varint(UInt64(retryAfterSeconds))
        } else {
            writer.byte(0)
        }
    }

    /// An unknown code (from a newer peer) decodes as `internal`, keeping its name in the detail,
    /// so that old builds still end the session cleanly.
    static func read(from reader: inout WireReader) throws(ProtocolError) -> Rejection {
        let rawCode = try reader.string(maxBytes: 64)
        var detail = try reader.string(maxBytes: 65_536)
        let code: RejectionCode
        if let known = RejectionCode(rawValue: rawCode) {
            code = known
        } else {
            code = .internal
            detail = "\(rawCode): \(detail)"
        }
        var retry: UInt32?
        switch try reader.byte() {
        case 0: retry = nil
        case 1:
            let value = try reader.varint()
            guard value <= UInt64(UInt32.max) else { throw ProtocolError(.malformed, "reject: retry-after out of range") }
            retry = UInt32(value)
        case let flag: throw ProtocolError(.malformed, "reject: unknown retry flag \(flag)")
        }
        return Rejection(code: code, detail: detail, retryAfterSeconds: retry)
    }
}

/// Bundle files: the central node's acknowledgement of an imported bundle (its vector after
/// applying it), optionally carrying a batch of data for the site, so one courier trip back
/// both confirms the upload and brings the site up to date.
public struct Receipt: Sendable, Equatable {
    public var vector: VersionVector
    public var batch: Batch?
    public init(vector: VersionVector, batch: Batch? = nil) {
        self.vector = vector
        self.batch = batch
    }
}
