// Blocking: which pairs are compared at all.
//
// Each record emits several keys; two records are compared when they share one. Names here are
// so concentrated (a few dozen given names and surnames cover most people) that a key on names
// alone, or on one name and a year, makes blocks of hundreds; every key therefore combines
// several fields, and together they still leave a shared key when any single field is wrong or
// missing (and for most pairs with two fields wrong):
//   1. {given stem, family stem} (unordered, so swapped names meet) + birth year;
//   2. {given stem, family stem} alone (survives a wrong or missing date; large blocks);
//   3. {given stem, family stem} + place of birth (wrong or missing date);
//   4. {given stem, family stem} + patronymic root (wrong or missing date and place);
//   5. every document number (survives wrong names and dates);
//   6. the full birth date with day and month unordered (survives both names being mangled);
//   7. given stem + full date, family stem + full date (one name mangled, date right, in
//      the rare dates shared by many people);
//   8. given stem + birth year + patronymic root, family stem + birth year + place (one name
//      mangled, date partial or with a typo).
// A block larger than `maxBlockSize` is not compared in full: its members are sorted by a second
// key (date, family stem or given stem) and each is compared with its neighbours in that order,
// `window` on each side, widened for records whose sort key is unknown (they sort together).

/// Blocking keys and the candidate pairs they yield, in flat buffers.
final class BlockIndex: @unchecked Sendable {
    struct Entry {
        var key: UInt64
        var secondary: UInt64
        var record: Int32
        var block: Int32  // filled after sorting: index of the block's start
    }

    let recordCount: Int
    /// Entries sorted by (key, secondary, record).
    private let entries: UnsafeMutableBufferPointer<Entry>
    /// For entry position p: its block is `entries[blockStart[p]..<blockEnd[p]]`.
    private let blockEnd: UnsafeMutableBufferPointer<Int32>
    /// CSR: positions of record r are `positions[offsets[r]..<offsets[r+1]]`.
    private let offsets: UnsafeMutableBufferPointer<Int32>
    private let positions: UnsafeMutableBufferPointer<Int32>

    var entryCount: Int { entries.count }

    init(features: FeatureView, count: Int, parallel: Bool) {
        recordCount = count
        // Keys are hashes: split them by their top bit, and build and sort each half on its own
        // core; the halves then concatenate in order.
        let halvesOut = SharedBuffer<[Entry]>(repeating: [], count: 2)
        forEachChunk(count: 2, chunkSize: 1, parallel: parallel) { half, _ in
            var part: [Entry] = []
            part.reserveCapacity(count * 5)
            let upper = half == 1
            for i in 0..<count {
                Self.keys(features, i) { key, secondary in
                    if (key >> 63 == 1) == upper { part.append(Entry(key: key, secondary: secondary, record: Int32(i), block: 0)) }
                }
            }
            part.sort { $0.key != $1.key ? $0.key < $1.key : ($0.secondary != $1.secondary ? $0.secondary < $1.secondary : $0.record < $1.record) }
            halvesOut[half] = part
        }
        var list = halvesOut[0]
        list += halvesOut[1]
        let n = list.count
        entries = .allocate(capacity: max(n, 1))
        blockEnd = .allocate(capacity: max(n, 1))
        offsets = .allocate(capacity: count + 1)
        positions = .allocate(capacity: max(n, 1))
        var p = 0
        while p < n {
            var q = p + 1
            while q < n && list[q].key == list[p].key { q += 1 }
            for k in p..<q {
                list[k].block = Int32(p)
                blockEnd[k] = Int32(q)
            }
            p = q
        }
        for k in 0..<n { (entries.baseAddress! + k).initialize(to: list[k]) }
        offsets.initialize(repeating: 0)
        for e in list { offsets[Int(e.record) + 1] += 1 }
        for r in 0..<count { offsets[r + 1] += offsets[r] }
        var fill = Array(offsets[0..<count])
        for (pos, e) in list.enumerated() {
            positions[Int(fill[Int(e.record)])] = Int32(pos)
            fill[Int(e.record)] += 1
        }
    }

    deinit {
        entries.deallocate()
        blockEnd.deallocate()
        offsets.deallocate()
        positions.deallocate()
    }

    /// Calls `emit(key, secondary)` for each blocking key of record `i`.
    @inline(__always)
    static func keys(_ features: FeatureView, _ i: Int, _ emit: (UInt64, UInt64) -> Void) {
        let r = features[i].pointee
        let date = UInt64(UInt32(bitPattern: r.date))
        let year = UInt64(r.date / 10000)
        let full = r.date % 100 != 0
        // Full date with day and month unordered.
        var sortedDate: UInt64 = 0
        if full {
            let m = UInt64((r.date / 100) % 100), d = UInt64(r.date % 100)
            sortedDate = year * 10000 + min(m, d) * 100 + max(m, d)
        }
        if r.hasGiven && r.hasFamily {
            let (lo, hi) = r.gStem < r.fStem ? (r.gStem, r.fStem) : (r.fStem, r.gStem)
            let names = mix64(lo &* 31 ^ hi)
            emit(mix64(names &+ 2), date)
            if year != 0 { emit(mix64(names ^ year &* 0x1000_0001 &+ 1), date) }
            if r.place != 0 { emit(mix64(names ^ r.place &+ 5), date) }
            if r.patRoot != 0 { emit(mix64(names ^ r.patRoot &+ 6), date) }
        }
        let docs = features.words + Int(r.docOff)
        for d in 0..<Int(r.docCount) { emit(mix64(docs[4 * d] &+ 3), 0) }
        if full {
            emit(mix64(sortedDate &* 0x9E37 &+ 4), r.fSort)
            if r.hasGiven { emit(mix64(r.gStem ^ sortedDate &* 0x9E37 &+ 7), r.fSort) }
            if r.hasFamily { emit(mix64(r.fStem ^ sortedDate &* 0x9E37 &+ 8), r.gSort) }
        }
        if year != 0 {
            if r.hasGiven && r.patRoot != 0 { emit(mix64(r.gStem ^ r.patRoot ^ year &* 0x1000_0001 &+ 9), date) }
            if r.hasFamily && r.place != 0 { emit(mix64(r.fStem ^ r.place ^ year &* 0x1000_0001 &+ 10), date) }
        }
    }

    /// The blocking keys of one prepared record (tests and single look-ups).
    static func keys(_ record: PreparedRecord, _ emit: (UInt64, UInt64) -> Void) {
        let table = FeatureTable([record])
        withExtendedLifetime(table) { keys(table.view, 0, emit) }
    }

    /// First eight bytes, big-endian, so that numeric order is lexicographic order.
    static func sortKey(_ bytes: [UInt8]?) -> UInt64 {
        guard let bytes else { return 0 }
        var k: UInt64 = 0
        for i in 0..<8 { k = k << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        return k
    }

    /// Calls `body(j)` once for every candidate partner j of record i accepted by `accept`.
    /// `stamp` (one slot per record) must not hold `i` on entry.
    @inline(__always)
    func forEachCandidate(
        of i: Int, maxBlockSize: Int, window: Int, stamp: UnsafeMutablePointer<Int32>, accept: (Int) -> Bool,
        _ body: (Int) -> Void
    ) {
        let mark = Int32(i)
        stamp[i] = mark
        for k in Int(offsets[i])..<Int(offsets[i + 1]) {
            let p = Int(positions[k])
            let s = Int(entries[p].block), e = Int(blockEnd[p])
            if e - s < 2 { continue }
            var lo = s, hi = e
            if e - s > maxBlockSize {
                // Sorted neighbourhood. A record whose sort key is unknown (0) sorts among the
                // other unknowns, so it gets a wider window that reaches into the known ones.
                let w = entries[p].secondary == 0 ? 3 * window : window
                lo = max(s, p - w); hi = min(e, p + w + 1)
            }
            for q in lo..<hi {
                let j = Int(entries[q].record)
                if stamp[j] == mark || !accept(j) { continue }
                stamp[j] = mark
                body(j)
            }
        }
    }
}
