// Blocking: which pairs are compared at all.
//
// Each record emits several keys; two records are compared when they share one. The keys are
// chosen so that any single wrong field still leaves a shared key:
//   1. name stem + birth year, for the given name and for the family name (one tag for both, so
//      that swapped given/family names still meet; a wrong family name leaves the given one);
//   2. the unordered pair {given stem, family stem} (survives a wrong or missing date);
//   3. every document number (survives wrong names and dates);
//   4. the full birth date with day and month unordered (survives both names being mangled).
// A block larger than `maxBlockSize` is not compared in full: its members are sorted by a second
// key (family stem, given stem or date) and each is compared with its `window` neighbours.

struct BlockIndex: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var secondary: UInt64
        var record: Int32
    }
    /// Entries sorted by (key, secondary).
    let entries: [Entry]
    /// For entry position p: the range of its block in `entries`.
    let blockStart: [Int32]
    let blockEnd: [Int32]
    /// CSR: positions of record r are `positions[offsets[r]..<offsets[r+1]]`.
    let offsets: [Int32]
    let positions: [Int32]

    init(records: [PreparedRecord]) {
        var entries: [Entry] = []
        entries.reserveCapacity(records.count * 5)
        for (i, r) in records.enumerated() {
            Self.keys(r) { entries.append(Entry(key: $0, secondary: $1, record: Int32(i))) }
        }
        entries.sort { $0.key != $1.key ? $0.key < $1.key : ($0.secondary != $1.secondary ? $0.secondary < $1.secondary : $0.record < $1.record) }
        var start = [Int32](repeating: 0, count: entries.count)
        var end = [Int32](repeating: 0, count: entries.count)
        var p = 0
        while p < entries.count {
            var q = p + 1
            while q < entries.count && entries[q].key == entries[p].key { q += 1 }
            for k in p..<q { start[k] = Int32(p); end[k] = Int32(q) }
            p = q
        }
        var counts = [Int32](repeating: 0, count: records.count + 1)
        for e in entries { counts[Int(e.record) + 1] += 1 }
        for r in 0..<records.count { counts[r + 1] += counts[r] }
        var fill = counts
        var positions = [Int32](repeating: 0, count: entries.count)
        for (pos, e) in entries.enumerated() {
            positions[Int(fill[Int(e.record)])] = Int32(pos)
            fill[Int(e.record)] += 1
        }
        self.entries = entries
        self.blockStart = start
        self.blockEnd = end
        self.offsets = counts
        self.positions = positions
    }

    /// Calls `emit(key, secondary)` for each blocking key of a record.
    static func keys(_ r: PreparedRecord, _ emit: (UInt64, UInt64) -> Void) {
        let year = UInt64(r.date / 10000)
        let givenSort = sortKey(r.given?.stem)
        let familySort = sortKey(r.family?.stem)
        if year != 0 {
            if let g = r.given { emit(mix64(g.stemHash &+ year &* 0x1000_0001 &+ 1), familySort) }
            if let f = r.family { emit(mix64(f.stemHash &+ year &* 0x1000_0001 &+ 1), givenSort) }
        }
        if let g = r.given, let f = r.family {
            let (lo, hi) = g.stemHash < f.stemHash ? (g.stemHash, f.stemHash) : (f.stemHash, g.stemHash)
            emit(mix64(lo &* 31 ^ hi &+ 2), UInt64(r.date))
        }
        for d in r.documentHashes { emit(mix64(d &+ 3), 0) }
        if r.date % 100 != 0 {
            let m = UInt64((r.date / 100) % 100), d = UInt64(r.date % 100)
            let key = year * 10000 + min(m, d) * 100 + max(m, d)
            emit(mix64(key &* 0x9E37 &+ 4), familySort)
        }
    }

    /// First eight bytes, big-endian, so that numeric order is lexicographic order.
    static func sortKey(_ bytes: [UInt8]?) -> UInt64 {
        guard let bytes else { return 0 }
        var k: UInt64 = 0
        for i in 0..<8 { k = k << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        return k
    }

    /// Calls `body(j)` once for every candidate partner j of record i accepted by `accept`.
    @inline(__always)
    func forEachCandidate(
        of i: Int, maxBlockSize: Int, window: Int, stamp: inout [Int32], accept: (Int) -> Bool,
        _ body: (Int) -> Void
    ) {
        let mark = Int32(i)
        for k in Int(offsets[i])..<Int(offsets[i + 1]) {
            let p = Int(positions[k])
            let s = Int(blockStart[p]), e = Int(blockEnd[p])
            if e - s < 2 { continue }
            let lo: Int, hi: Int
            if e - s <= maxBlockSize { lo = s; hi = e } else { lo = max(s, p - window); hi = min(e, p + window + 1) }
            for q in lo..<hi {
                let j = Int(entries[q].record)
                if j == i || stamp[j] == mark || !accept(j) { continue }
                stamp[j] = mark
                body(j)
            }
        }
    }
}
