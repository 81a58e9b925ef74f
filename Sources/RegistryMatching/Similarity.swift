// String similarity on short byte strings, without allocation.

/// Letter counts of a short string in 16 one-byte buckets (bucket = low four bits of the byte).
struct Signature: Equatable {
    var lo: UInt64
    var hi: UInt64
    static let zero = Signature(lo: 0, hi: 0)
}

enum Similarity {
    /// The ``Signature`` of a string (counts saturate at 64).
    static func signature(_ s: [UInt8]) -> Signature {
        // At most 64 bytes are counted, so no bucket (one byte of lo or hi) can pass 64.
        var sig = Signature.zero
        for c in s.prefix(64) {
            let bucket = UInt64(c & 15)
            if bucket < 8 { sig.lo &+= 1 << (8 * bucket) } else { sig.hi &+= 1 << (8 * (bucket - 8)) }
        }
        return sig
    }

    /// Σ over buckets of the smaller count: an upper bound on the letters two strings have in
    /// common (and so on Jaro's matching characters).
    @inline(__always)
    static func commonUpperBound(_ a: Signature, _ b: Signature) -> Int {
        @inline(__always) func minBytes(_ x: UInt64, _ y: UInt64) -> UInt64 {
            let high: UInt64 = 0x8080_8080_8080_8080
            let ge = ((x | high) &- y) & high  // high bit where x ≥ y (bytes < 128)
            let mask = (ge >> 7) &* 0xFF
            return (y & mask) | (x & ~mask)
        }
        let m = minBytes(a.lo, b.lo) &+ minBytes(a.hi, b.hi)  // bytes ≤ 128, no carry
        return Int((m &* 0x0101_0101_0101_0101) >> 56)
    }

    /// Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters); inputs beyond 64 bytes are cut.
    static func jaroWinkler(_ pa: UnsafePointer<UInt8>, _ na: Int, _ pb: UnsafePointer<UInt8>, _ nb: Int) -> Double {
        let la = min(na, 64), lb = min(nb, 64)
        if la == 0 || lb == 0 { return 0 }
        let window = max(0, max(la, lb) / 2 - 1)
        var usedA: UInt64 = 0, usedB: UInt64 = 0
        var matches = 0
        for i in 0..<la {
            let lo = max(0, i - window), hi = min(lb - 1, i + window)
            if lo > hi { continue }
            let c = pa[i]
            var j = lo
            while j <= hi {
                if usedB & (1 << UInt64(j)) == 0 && c == pb[j] {
                    usedA |= 1 << UInt64(i)
                    usedB |= 1 << UInt64(j)
                    matches += 1
                    break
                }
                j += 1
            }
        }
        if matches == 0 { return 0 }
        var transpositions = 0
        var j = 0
        for i in 0..<la where usedA & (1 << UInt64(i)) != 0 {
            while usedB & (1 << UInt64(j)) == 0 { j += 1 }
            if pa[i] != pb[j] { transpositions += 1 }
            j += 1
        }
        let m = Double(matches)
        let jaro = (m / Double(la) + m / Double(lb) + (m - Double(transpositions / 2)) / m) / 3
        var prefix = 0
        while prefix < min(4, min(la, lb)) && pa[prefix] == pb[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    /// True when the strings differ by one substitution, one insertion/deletion, or one
    /// transposition of adjacent bytes.
    static func withinOneEdit(_ a: UnsafePointer<UInt8>, _ la: Int, _ b: UnsafePointer<UInt8>, _ lb: Int) -> Bool {
        if abs(la - lb) > 1 { return false }
        if la == lb {
            var first = -1, count = 0
            for k in 0..<la where a[k] != b[k] {
                count += 1
                if count == 1 { first = k } else if count == 2 {
                    if k != first + 1 || a[first] != b[k] || a[k] != b[first] { return false }
                } else { return false }
            }
            return true
        }
        let (s, ls, l, ll) = la < lb ? (a, la, b, lb) : (b, lb, a, la)
        var i = 0, j = 0, skipped = false
        while i < ls && j < ll {
            if s[i] == l[j] { i += 1; j += 1; continue }
            if skipped { return false }
            skipped = true
            j += 1
        }
        return true
    }

    /// Dice coefficient of two sorted runs of distinct values.
    static func dice(_ a: UnsafePointer<UInt32>, _ na: Int, _ b: UnsafePointer<UInt32>, _ nb: Int) -> Double {
        if na == 0 || nb == 0 { return 0 }
        var i = 0, j = 0, common = 0
        while i < na && j < nb {
            if a[i] == b[j] { common += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return 2 * Double(common) / Double(na + nb)
    }

    /// Dice coefficient of two sorted arrays of distinct values.
    static func dice(_ a: [UInt32], _ b: [UInt32]) -> Double {
        if a.isEmpty || b.isEmpty { return 0 }
        var i = 0, j = 0, common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { common += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return 2 * Double(common) / Double(a.count + b.count)
    }
}
