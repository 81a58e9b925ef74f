public import RegistryCore

/// Why a message, envelope, certificate or session was refused: the one error type of RegistryProtocol.
///
/// The same codes travel inside a ``Rejection`` message, so both ends of a link speak of a failure in
/// the same words. Their raw values are the snake_case names used in `Protocol/sync-protocol.md`
/// and in the test vectors; they are part of the wire format and never change.
public enum RejectionCode: String, Sendable, Codable, CaseIterable {
    /// The envelope or a length-prefixed part of it ends early.
    case truncated
    /// The envelope does not start with `"RSYN"` (or a bundle with `"RSBN"`).
    case badMagic = "bad_magic"
    /// An envelope, bundle or hello of a protocol version this build does not speak.
    case unsupportedVersion = "unsupported_version"
    /// A message type number this build does not know.
    case unknownType = "unknown_type"
    /// Over a size limit: envelope, decompressed payload (zip bomb) or a count inside a message.
    case oversize
    /// The envelope is addressed to another replica.
    case misaddressed
    /// The sender is not the peer this channel talks to, or not enrolled here.
    case unknownSender = "unknown_sender"
    /// The sender's certificate is on the revocation list.
    case revokedSender = "revoked_sender"
    /// The Ed25519 signature does not verify: the envelope was altered or forged.
    case badSignature = "bad_signature"
    /// Signed by the right key but the sealed payload does not open (wrong key-exchange key or altered before signing).
    case tampered
    /// A counter at or below the last one accepted from this sender.
    case replayed
    /// The peers' schema fingerprints differ; nothing moves until one of them is upgraded.
    case schemaMismatch = "schema_mismatch"
    /// A clock (hello or change-set stamp) is too far ahead of the receiver's wall clock.
    case clockSkew = "clock_skew"
    /// A change set starts past what the receiver has of its origin: something is missing before it.
    case gap
    /// A change set that does not fit the schema (unknown field, operation of the wrong kind).
    case invalidChange = "invalid_change"
    /// Bytes that do not decode as what they claim to be, or a message that makes no sense in this state.
    case malformed
    /// The sender has no certificate from this central node.
    case notEnrolled = "not_enrolled"
    /// A certificate outside its validity period.
    case certificateExpired = "certificate_expired"
    /// The server is overloaded; retry after the time it gives.
    case busy
    /// A fault on the side that reports it (storage, a bug); retry later.
    case `internal`
}

/// A typed refusal: a ``RejectionCode`` and a detail for logs.
///
/// The detail names replica ids, field names, sizes and counters, **never personal values**
/// (STYLE point 9): it is safe to log and to send to the peer inside a ``Rejection``.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; switch on this.
    public let code: RejectionCode
    /// Where and why, for an operator: ids, fields and numbers only.
    public let detail: String

    public init(code: RejectionCode, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// Shorthand used throughout the module.
    public init(_ code: RejectionCode, _ detail: String) {
        self.init(code: code, detail: detail)
    }

    /// `code: detail`, e.g. `replayed: counter 7 <= last accepted 9 from 0190…`.
    public var description: String { "\(code.rawValue): \(detail)" }

    /// The rejection message that reports this error to the peer.
    public func rejection(retryAfterSeconds: UInt32? = nil) -> Rejection {
        Rejection(code: code, detail: detail, retryAfterSeconds: retryAfterSeconds)
    }

    /// Maps a failure of RegistryCore (its contexts carry no values either).
    public init(_ error: CoreError, in place: String) {
        switch error.code {
        case .invalidChange: self.init(.invalidChange, "\(place): \(error.context)")
        case .malformedEncoding, .entityMismatch: self.init(.malformed, "\(place): \(error.context)")
        case .oversize: self.init(.oversize, "\(place): \(error.context)")
        }
    }
}
