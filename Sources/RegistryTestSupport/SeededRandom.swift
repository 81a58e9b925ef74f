/// SplitMix64: a tiny deterministic generator, so every randomised test can print and replay its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed to use: `REGSYNC_SEED` from the environment when set (to replay a failure), else `fallback`.
    public static func seedFromEnvironment(default fallback: UInt64) -> UInt64 {
        if let text = getenv("REGSYNC_SEED").map({ String(cString: $0) }), let seed = UInt64(text) { return seed }
        return fallback
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall clock tests move by hand.
public final class ManualClock: @unchecked Sendable {
    private var now: UInt64
    public init(milliseconds: UInt64 = 1_700_000_000_000) { now = milliseconds }
    public var milliseconds: UInt64 { now }
    public func advance(by milliseconds: UInt64) { now += milliseconds }
}
