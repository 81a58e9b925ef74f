public import RegistryProtocol
import Foundation
public import RegistryStorage
public import RegistryReplica

/// The sync layer's one error type. Messages name nodes, codes and counts, never personal values.
public struct SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The other side refused, with a protocol rejection code.
        case rejected
        /// The link failed (connection refused, reset, timed out, truncated reply).
        case transport
        /// This node has no certificate or no central node to talk to yet.
        case notEnrolled = "not_enrolled"
        case invalidInput = "invalid_input"
        case storage
        case io
    }

    public let code: Code
    public let message: String
    /// The protocol rejection, when `code == .rejected`.
    public let rejection: RejectionCode?

    public init(_ code: Code, _ message: String, rejection: RejectionCode? = nil) {
        self.code = code
        self.message = message
        self.rejection = rejection
    }

    init(_ error: ProtocolError) { self.init(.rejected, error.description, rejection: error.code) }
    init(_ error: StorageError) { self.init(.storage, error.description) }
    init(_ error: ReplicaError) { self.init(error.code == .invalidInput ? .invalidInput : .storage, error.description) }

    /// Worth retrying later (link trouble, a busy or skewed peer), as opposed to a refusal a person must fix.
    public var isTransient: Bool {
        switch code {
        case .transport: true
        case .rejected: [.busy, .clockSkew, .gap, .internal].contains(rejection)
        default: false
        }
    }

    public var description: String { rejection.map { "\(code.rawValue) (\($0.rawValue)): \(message)" } ?? "\(code.rawValue): \(message)" }
}

func syncStorage<T>(_ body: () throws(StorageError) -> T) throws(SyncError) -> T {
    do { return try body() } catch { throw SyncError(error) }
}

/// Message counters start from wall-clock microseconds (`Envelope.nextCounter`): strictly increasing
/// per peer, and still ahead of anything sent before even on a replica restored from a backup.
func counterFloor() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000_000) }
