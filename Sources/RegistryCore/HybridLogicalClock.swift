/// A hybrid logical clock reading: 48 bits of Unix milliseconds, 16 bits of logical counter.
///
/// Ordered like a number, so it packs into one `UInt64` column and compares in one instruction.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(milliseconds: UInt64, counter: UInt16) {
        rawValue = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | UInt64(counter)
    }

    public var milliseconds: UInt64 { rawValue >> 16 }
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
    public static let zero = HLCTimestamp(rawValue: 0)

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(milliseconds).\(counter)" }
}

/// The clock a replica stamps its changes with (Kulkarni et al., 2014).
///
/// Field laptops have wrong clocks. A reading from a peer that is more than `maxSkew` ahead of our
/// wall clock is refused with ``ClockSkewError`` instead of dragging every later stamp into the future;
/// the sender keeps those changes queued and tells its operator.
public struct HybridLogicalClock: Sendable {
    public private(set) var last: HLCTimestamp
    /// How far ahead of local wall time a received stamp may be, in milliseconds.
    public let maxSkewMilliseconds: UInt64

    public init(last: HLCTimestamp = .zero, maxSkewMilliseconds: UInt64 = 5 * 60 * 1000) {
        self.last = last
        self.maxSkewMilliseconds = maxSkewMilliseconds
    }

    /// A stamp for a local event, strictly greater than every stamp seen so far.
    public mutating func tick(wallMilliseconds: UInt64) -> HLCTimestamp {
        if wallMilliseconds > last.milliseconds {
            last = HLCTimestamp(milliseconds: wallMilliseconds, counter: 0)
        } else {
            last = successor(of: last)
        }
        return last
    }

    /// Folds a stamp received from a peer into the clock, after checking it is not too far ahead.
    public mutating func receive(_ remote: HLCTimestamp, wallMilliseconds: UInt64) throws(ClockSkewError) {
        try check(remote, wallMilliseconds: wallMilliseconds)
        if remote > last { last = remote }
    }

    /// Throws when `remote` is further ahead of the wall clock than allowed; changes nothing.
    public func check(_ remote: HLCTimestamp, wallMilliseconds: UInt64) throws(ClockSkewError) {
        if remote.milliseconds > wallMilliseconds, remote.milliseconds - wallMilliseconds > maxSkewMilliseconds {
            throw ClockSkewError(
                aheadByMilliseconds: remote.milliseconds - wallMilliseconds, allowedMilliseconds: maxSkewMilliseconds)
        }
    }

    private func successor(of stamp: HLCTimestamp) -> HLCTimestamp {
        stamp.counter == .max
            ? HLCTimestamp(milliseconds: stamp.milliseconds + 1, counter: 0)
            : HLCTimestamp(milliseconds: stamp.milliseconds, counter: stamp.counter + 1)
    }
}

/// A peer's clock is too far ahead of ours; its changes were not applied and stay queued at the sender.
public struct ClockSkewError: Error, Sendable, Equatable, CustomStringConvertible {
    public let aheadByMilliseconds: UInt64
    public let allowedMilliseconds: UInt64
    public var description: String {
        "clock skew: stamp is \(aheadByMilliseconds / 1000) s ahead of local time (allowed \(allowedMilliseconds / 1000) s)"
    }
}
