/// A keyed hash: bytes → 64 bits, secret to whoever holds the key.
///
/// Inject the production function (for example libsodium's keyed BLAKE2b) from the crypto
/// module; ``MatchIndex/sipHash(key:)`` is the standard-library default.
public typealias KeyedHash = @Sendable ([UInt8]) -> UInt64

/// The privacy-preserving encoding of one registration for the match index.
///
/// Built where the plaintext lives; only this leaves the site. It holds keyed hashes, never
/// names, dates or numbers:
/// - up to 6 blocking keys (32-bit truncations of keyed hashes of the matcher's blocking keys);
/// - a 512-bit Bloom filter (CLK) of the bigrams of the given-name skeleton and family-name stem,
///   each bigram set at 8 positions derived from one keyed hash (double hashing);
/// - 32-bit keyed hashes of the full birth date, of the date with day and month ordered, of the
///   birth year, of sex, and of up to two document numbers.
///
/// Serialized layout (``bytes``), version 1, little-endian: `"RM"`, version byte, key count,
/// keys (4 bytes each), Bloom filter (64 bytes), date, sorted date, year, sex, document count,
/// documents (4 bytes each). At most 4 + 24 + 64 + 17 + 8 = 117 bytes.
public struct MatchEncoding: Sendable, Hashable {
    public var keys: [UInt32]
    public var bloom: [UInt64]  // 8 words
    public var date: UInt32
    public var sortedDate: UInt32
    public var year: UInt32
    public var sex: UInt32
    public var documents: [UInt32]

    public static let version: UInt8 = 1

    /// Encodes a registration with a keyed hash. Missing fields encode as 0.
    public init(_ record: PersonRecord, hash: KeyedHash) {
        let r = PreparedRecord(record)
        func h(_ tag: UInt8, _ bytes: [UInt8]) -> UInt64 { hash([tag] + bytes) }
        func h32(_ tag: UInt8, _ bytes: [UInt8]) -> UInt32 { UInt32(truncatingIfNeeded: h(tag, bytes) | 1) }
        var keys: [UInt32] = []
        Self.blockingKeys(r) { key in
            if keys.count < 6 { keys.append(h32(1, withUnsafeBytes(of: key.littleEndian, Array.init))) }
        }
        self.keys = keys
        var bloom = [UInt64](repeating: 0, count: 8)
        for name in [r.given?.skeleton, r.family?.stem].compactMap({ $0 }) {
            let padded = [UInt8(ascii: "^")] + name + [UInt8(ascii: "$")]
            for k in 0..<(padded.count - 1) {
                let x = h(2, [padded[k], padded[k + 1]])
                let a = UInt32(truncatingIfNeeded: x), b = UInt32(truncatingIfNeeded: x >> 32) | 1
                for i in 0..<8 as Range<UInt32> {
                    let bit = Int((a &+ i &* b) & 511)
                    bloom[bit >> 6] |= 1 << UInt64(bit & 63)
                }
            }
        }
        self.bloom = bloom
        func dateBytes(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        let d = r.date
        date = d % 100 != 0 ? h32(3, dateBytes(d)) : 0
        if d % 100 != 0 {
            let y = d / 10000, m = (d / 100) % 100, day = d % 100
            sortedDate = h32(4, dateBytes(y * 10000 + min(m, day) * 100 + max(m, day)))
        } else { sortedDate = 0 }
        year = d != 0 ? h32(5, dateBytes(d / 10000)) : 0
        sex = r.sex != 0 ? h32(6, [r.sex]) : 0
        documents = r.documents.prefix(2).map { h32(7, $0) }
    }

    /// The version-1 blocking keys (frozen: encodings made by other nodes must keep meeting):
    /// name stem + birth year for given and family name, the unordered pair of name stems, each
    /// document number, and the full birth date with day and month unordered. The batch matcher
    /// has its own, finer keys (``BlockIndex``).
    static func blockingKeys(_ r: PreparedRecord, _ emit: (UInt64) -> Void) {
        let year = UInt64(r.date / 10000)
        if year != 0 {
            if let g = r.given { emit(mix64(g.stemHash &+ year &* 0x1000_0001 &+ 1)) }
            if let f = r.family { emit(mix64(f.stemHash &+ year &* 0x1000_0001 &+ 1)) }
        }
        if let g = r.given, let f = r.family {
            let (lo, hi) = g.stemHash < f.stemHash ? (g.stemHash, f.stemHash) : (f.stemHash, g.stemHash)
            emit(mix64(lo &* 31 ^ hi &+ 2))
        }
        for d in r.documentHashes { emit(mix64(d &+ 3)) }
        if r.date % 100 != 0 {
            let m = UInt64((r.date / 100) % 100), d = UInt64(r.date % 100)
            let key = year * 10000 + min(m, d) * 100 + max(m, d)
            emit(mix64(key &* 0x9E37 &+ 4))
        }
    }

    /// Version-1 bytes (see the type's documentation for the layout).
    public var bytes: [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "R"), UInt8(ascii: "M"), Self.version, UInt8(keys.count)]
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        keys.forEach(put32)
        for w in bloom { withUnsafeBytes(of: w.littleEndian) { out += $0 } }
        [date, sortedDate, year, sex].forEach(put32)
        out.append(UInt8(documents.count))
        documents.forEach(put32)
        return out
    }

    /// Parses version-1 bytes; `nil` for anything else.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= 4, bytes[0] == UInt8(ascii: "R"), bytes[1] == UInt8(ascii: "M"),
              bytes[2] == Self.version else { return nil }
        var p = 4
        func get32() -> UInt32? {
            guard p + 4 <= bytes.count else { return nil }
            defer { p += 4 }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[p + $1]) << (8 * UInt32($1)) }
        }
        var keys: [UInt32] = []
        for _ in 0..<Int(bytes[3]) { guard let k = get32() else { return nil }; keys.append(k) }
        var bloom: [UInt64] = []
        for _ in 0..<8 {
            guard let lo = get32(), let hi = get32() else { return nil }
            bloom.append(UInt64(lo) | UInt64(hi) << 32)
        }
        guard let date = get32(), let sorted = get32(), let year = get32(), let sex = get32(), p < bytes.count else { return nil }
        let count = Int(bytes[p]); p += 1
        var docs: [UInt32] = []
        for _ in 0..<count { guard let d = get32() else { return nil }; docs.append(d) }
        self.keys = keys; self.bloom = bloom; self.date = date; self.sortedDate = sorted
        self.year = year; self.sex = sex; self.documents = docs
    }
}

/// A candidate returned by ``MatchIndex/query(_:limit:)``.
public struct IndexCandidate: Sendable {
    /// Entry number (insertion order).
    public let entry: Int
    /// Additive evidence score (see ``MatchIndex``); ≥ ``MatchIndex/defaultThreshold`` is a hit.
    public let score: Double
    /// Dice similarity of the name Bloom filters.
    public let nameSimilarity: Double
}

/// Match index over ``MatchEncoding``s: answers "was this person registered already?" without
/// plaintext, for a provisional flag at the site or for checks across states.
///
/// Memory: per entry 64 bytes of Bloom filter, 24 bytes of field hashes and ≤ 6 postings of
/// 12 bytes plus 4 bytes of hash-table head each — about 190 bytes at 1.5 million entries.
///
/// Score of a candidate (fixed evidence weights, log2-like): names by Bloom Dice (≥ 0.9: +8,
/// ≥ 0.75: +4, ≥ 0.6: 0, else −6); birth date equal +10, equal with day/month unordered +7,
/// year equal +2, all different −6; a shared document +14; sex different −4.
public struct MatchIndex: Sendable {
    /// A hit is a candidate scoring at least this (names and birth date agreeing, or a document
    /// and one of them).
    public static let defaultThreshold: Double = 12
    /// Entries read per blocking key at most (bounds the latency of a look-up).
    public static let maxPerKey = 300

    private var bloom: [UInt64] = []
    private var fields: [UInt32] = []  // date, sortedDate, year, sex, doc1, doc2 per entry
    private var heads: [UInt32] = []  // hash table of posting chains (0 = empty)
    private var nodeKey: [UInt32] = []
    private var nodeEntry: [UInt32] = []
    private var nodeNext: [UInt32] = []
    public private(set) var count = 0

    public init(expectedCount: Int = 1 << 16) {
        var size = 1
        while size < expectedCount * 6 { size <<= 1 }
        heads = [UInt32](repeating: 0, count: size)
        nodeKey.append(0); nodeEntry.append(0); nodeNext.append(0)  // node 0 = end of chain
        bloom.reserveCapacity(expectedCount * 8)
        fields.reserveCapacity(expectedCount * 6)
    }

    /// Approximate heap bytes held by the index.
    public var memoryBytes: Int {
        (bloom.capacity * 8) + (fields.capacity + heads.count + nodeKey.capacity + nodeEntry.capacity + nodeNext.capacity) * 4
    }

    /// Adds an encoding; returns its entry number.
    @discardableResult
    public mutating func insert(_ e: MatchEncoding) -> Int {
        let entry = count
        count += 1
        bloom += e.bloom
        fields += [e.date, e.sortedDate, e.year, e.sex, e.documents.first ?? 0, e.documents.dropFirst().first ?? 0]
        if nodeKey.count + e.keys.count > heads.count { grow() }
        let mask = UInt32(heads.count - 1)
        for k in e.keys {
            let slot = Int(k.multipliedFullWidth(by: 0x9E37_79B1).low & mask)
            nodeKey.append(k)
            nodeEntry.append(UInt32(entry))
            nodeNext.append(heads[slot])
            heads[slot] = UInt32(nodeKey.count - 1)
        }
        return entry
    }

    private mutating func grow() {
        heads = [UInt32](repeating: 0, count: heads.count * 2)
        let mask = UInt32(heads.count - 1)
        for node in 1..<nodeKey.count {
            let slot = Int(nodeKey[node].multipliedFullWidth(by: 0x9E37_79B1).low & mask)
            nodeNext[node] = heads[slot]
            heads[slot] = UInt32(node)
        }
    }

    /// Entries sharing a blocking key with `e`, scored, best first, at most `limit`, keeping only
    /// those at or above `threshold`.
    public func query(_ e: MatchEncoding, threshold: Double = MatchIndex.defaultThreshold, limit: Int = 10) -> [IndexCandidate] {
        var seen = Set<UInt32>()
        var out: [IndexCandidate] = []
        let mask = UInt32(heads.count - 1)
        for k in e.keys {
            var node = heads[Int(k.multipliedFullWidth(by: 0x9E37_79B1).low & mask)]
            var taken = 0
            // A key shared by very many entries (a common name in a common year) is read only
            // up to `maxPerKey` most recent entries: the other keys still find the duplicate.
            while node != 0 && taken < Self.maxPerKey {
                if nodeKey[Int(node)] == k {
                    taken += 1
                    let entry = nodeEntry[Int(node)]
                    if seen.insert(entry).inserted {
                        let c = score(e, Int(entry))
                        if c.score >= threshold { out.append(c) }
                    }
                }
                node = nodeNext[Int(node)]
            }
        }
        out.sort { $0.score > $1.score }
        return Array(out.prefix(limit))
    }

    private func score(_ e: MatchEncoding, _ entry: Int) -> IndexCandidate {
        var common = 0, total = 0
        for w in 0..<8 {
            let x = bloom[entry * 8 + w], y = e.bloom[w]
            common += (x & y).nonzeroBitCount
            total += x.nonzeroBitCount + y.nonzeroBitCount
        }
        let dice = total == 0 ? 0 : 2 * Double(common) / Double(total)
        var s = dice >= 0.9 ? 8.0 : (dice >= 0.75 ? 4 : (dice >= 0.6 ? 0 : -6))
        let f = entry * 6
        if e.date != 0 && fields[f] == e.date { s += 10 }
        else if e.sortedDate != 0 && fields[f + 1] == e.sortedDate { s += 7 }
        else if e.year != 0 && fields[f + 2] == e.year { s += 2 }
        else if e.year != 0 && fields[f + 2] != 0 { s -= 6 }
        if e.sex != 0 && fields[f + 3] != 0 && fields[f + 3] != e.sex { s -= 4 }
        let docs = (fields[f + 4], fields[f + 5])
        if e.documents.contains(where: { $0 != 0 && ($0 == docs.0 || $0 == docs.1) }) { s += 14 }
        return IndexCandidate(entry: entry, score: s, nameSimilarity: dice)
    }

    /// SipHash-2-4 keyed by a 32-byte secret: the first 128-bit half hashes the message, the
    /// second hashes that result (so equal halves do not cancel). The standard-library default.
    public static func sipHash(key: [UInt8]) -> KeyedHash {
        precondition(key.count == 32, "match index key must be 32 bytes")
        func word(_ o: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(key[o + $1]) << (8 * UInt64($1)) } }
        let k = (word(0), word(8), word(16), word(24))
        return { bytes in
            let inner = SipHash24.hash(bytes, k.0, k.1)
            return SipHash24.hash(withUnsafeBytes(of: inner.littleEndian, Array.init), k.2, k.3)
        }
    }
}

/// SipHash-2-4 (Aumasson and Bernstein), 64-bit output.
enum SipHash24 {
    static func hash(_ message: [UInt8], _ k0: UInt64, _ k1: UInt64) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1
        @inline(__always) func round() {
            v0 &+= v1; v1 = (v1 << 13) | (v1 >> 51); v1 ^= v0; v0 = (v0 << 32) | (v0 >> 32)
            v2 &+= v3; v3 = (v3 << 16) | (v3 >> 48); v3 ^= v2
            v0 &+= v3; v3 = (v3 << 21) | (v3 >> 43); v3 ^= v0
            v2 &+= v1; v1 = (v1 << 17) | (v1 >> 47); v1 ^= v2; v2 = (v2 << 32) | (v2 >> 32)
        }
        let n = message.count
        var i = 0
        while i + 8 <= n {
            var m: UInt64 = 0
            for k in 0..<8 { m |= UInt64(message[i + k]) << (8 * UInt64(k)) }
            v3 ^= m; round(); round(); v0 ^= m
            i += 8
        }
        var last = UInt64(n & 0xff) << 56
        for k in 0..<(n - i) { last |= UInt64(message[i + k]) << (8 * UInt64(k)) }
        v3 ^= last; round(); round(); v0 ^= last
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}
