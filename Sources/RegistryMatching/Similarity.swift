// String similarity on short byte strings, without allocation.

enum Similarity {
    /// Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters); inputs beyond 64 bytes are cut.
    static func jaroWinkler(_ a: [UInt8], _ b: [UInt8]) -> Double {
        let la = min(a.count, 64), lb = min(b.count, 64)
        if la == 0 || lb == 0 { return 0 }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let window = max(0, max(la, lb) / 2 - 1)
                var usedA: UInt64 = 0, usedB: UInt64 = 0
                var matches = 0
                for i in 0..<la {
                    let lo = max(0, i - window), hi = min(lb - 1, i + window)
                    if lo > hi { continue }
                    for j in lo...hi where usedB & (1 << UInt64(j)) == 0 && pa[i] == pb[j] {
                        usedA |= 1 << UInt64(i)
                        usedB |= 1 << UInt64(j)
                        matches += 1
                        break
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
        }
    }

    /// True when the strings differ by one substitution, one insertion/deletion, or one
    /// transposition of adjacent bytes.
    static func withinOneEdit(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        if a == b { return true }
        let la = a.count, lb = b.count
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
        let (s, l) = la < lb ? (a, b) : (b, a)
        var i = 0, j = 0, skipped = false
        while i < s.count && j < l.count {
            if s[i] == l[j] { i += 1; j += 1; continue }
            if skipped { return false }
            skipped = true
            j += 1
        }
        return true
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
