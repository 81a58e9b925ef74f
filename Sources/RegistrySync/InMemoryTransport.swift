import NIOConcurrencyHelpers

/// Hands envelopes straight to a ``CentralResponder`` in the same process, optionally losing or
/// repeating them: the transport of fast convergence tests.
public final class InMemoryTransport: SyncTransport {
    public struct Faults: Sendable {
        /// The request never arrives.
        public var dropRequest = 0.0
        /// The request is applied but the answer is lost.
        public var dropReply = 0.0
        /// The request arrives twice (the second answer is discarded).
        public var duplicate = 0.0
        public init(dropRequest: Double = 0, dropReply: Double = 0, duplicate: Double = 0) {
            self.dropRequest = dropRequest
            self.dropReply = dropReply
            self.duplicate = duplicate
        }
    }

    let responder: CentralResponder
    private let state: NIOLockedValueBox<(faults: Faults, random: UInt64)>

    public init(responder: CentralResponder, faults: Faults = Faults(), seed: UInt64 = 1) {
        self.responder = responder
        state = NIOLockedValueBox((faults, seed))
    }

    public var faults: Faults {
        get { state.withLockedValue { $0.faults } }
        set { state.withLockedValue { $0.faults = newValue } }
    }

    public func exchange(_ envelope: [UInt8]) async throws(SyncError) -> [UInt8] {
        let faults = self.faults
        if draw() < faults.dropRequest { throw SyncError(.transport, "request lost") }
        let reply = responder.handle(envelope)
        if draw() < faults.duplicate { _ = responder.handle(envelope) }
        if draw() < faults.dropReply { throw SyncError(.transport, "reply lost") }
        guard reply.isSealed else { throw SyncError(.rejected, String(decoding: reply.body, as: UTF8.self)) }
        return reply.body
    }

    private func draw() -> Double {
        state.withLockedValue { state in
            state.random &+= 0x9E37_79B9_7F4A_7C15
            var z = state.random
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }
}
