/// A 128-bit identifier printed as a lowercase UUID string.
///
/// Used for records (UUIDv7, minted offline where the record is created) and for replicas
/// (random, one per SQLite file: a reinstalled laptop is a new replica, so its dots never collide).
public struct Identifier128: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// UUIDv7: 48-bit Unix milliseconds, then random bits (version 7, RFC 9562 variant).
    public static func v7(unixMilliseconds: UInt64, using rng: inout some RandomNumberGenerator) -> Identifier128 {
        let randA = rng.next() & 0x0FFF
        let high = (unixMilliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | randA
        let low = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return Identifier128(high: high, low: low)
    }

    /// UUIDv8 from 16 bytes of a keyed hash: deterministic ids for imported legacy records.
    public static func v8(hash: [UInt8]) -> Identifier128 {
        precondition(hash.count >= 16, "v8 needs 16 bytes")
        var bytes = Array(hash.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return Identifier128(bytes: bytes)!
    }

    public static func random(using rng: inout some RandomNumberGenerator) -> Identifier128 {
        let high = (rng.next() & ~0xF000) | 0x4000
        let low = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return Identifier128(high: high, low: low)
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (case-insensitive) or 32 hex digits.
    public init?(_ text: some StringProtocol) {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(32)
        for scalar in text.unicodeScalars where scalar != "-" {
            guard let nibble = hexValue(scalar) else { return nil }
            nibbles.append(nibble)
        }
        guard nibbles.count == 32 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { bytes[i] = nibbles[2 * i] << 4 | nibbles[2 * i + 1] }
        self.init(bytes: bytes)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// Milliseconds embedded in a UUIDv7 (meaningless for other versions).
    public var unixMilliseconds: UInt64 { high >> 16 }

    /// The canonical 8-4-4-4-12 lowercase hex form (written byte by byte: ids are formatted often).
    public var description: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                buffer[position] = digits.utf8Start[Int(byte >> 4)]
                buffer[position + 1] = digits.utf8Start[Int(byte & 0xF)]
                position += 2
            }
            return position
        }
    }

    public static func < (lhs: Identifier128, rhs: Identifier128) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

private func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
    switch scalar.value {
    case 0x30...0x39: UInt8(scalar.value - 0x30)
    case 0x41...0x46: UInt8(scalar.value - 0x41 + 10)
    case 0x61...0x66: UInt8(scalar.value - 0x61 + 10)
    default: nil
    }
}

/// Which replica (one SQLite file) made a change.
public typealias ReplicaID = Identifier128
/// A registration, household, case or decision.
public typealias RecordID = Identifier128

/// A change's identity forever: the replica that made it and that replica's own sequence number.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let origin: ReplicaID
    public let seq: UInt64

    public init(origin: ReplicaID, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool { (lhs.origin, lhs.seq) < (rhs.origin, rhs.seq) }
    public var description: String { "\(origin)#\(seq)" }
}

/// What a replica knows: for each origin the highest sequence number received without a gap.
///
/// Changes of one origin travel in sequence order, so "what the other side misses" is one range per origin.
public struct VersionVector: Hashable, Sendable {
    public private(set) var counters: [ReplicaID: UInt64]

    public init(_ counters: [ReplicaID: UInt64] = [:]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    public subscript(origin: ReplicaID) -> UInt64 { counters[origin] ?? 0 }

    public func contains(_ dot: Dot) -> Bool { dot.seq <= self[dot.origin] }

    /// Raises the counter of `origin` to `seq`; never lowers it.
    public mutating func advance(_ origin: ReplicaID, to seq: UInt64) {
        if seq > self[origin] { counters[origin] = seq }
    }

    /// The pointwise maximum: what either side knows.
    public func union(_ other: VersionVector) -> VersionVector {
        var result = self
        for (origin, seq) in other.counters { result.advance(origin, to: seq) }
        return result
    }

    /// True when every counter here is at most the other's.
    public func isCovered(by other: VersionVector) -> Bool {
        counters.allSatisfy { other[$0.key] >= $0.value }
    }
}

/// A run of one origin's sequence numbers: dots a replica skips (outside its scope) or misses.
public struct SeqRange: Hashable, Sendable {
    public var origin: ReplicaID
    public var firstSeq: UInt64
    public var lastSeq: UInt64

    public init(origin: ReplicaID, firstSeq: UInt64, lastSeq: UInt64) {
        self.origin = origin
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
    }
}
