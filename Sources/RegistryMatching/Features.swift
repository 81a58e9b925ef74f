// The comparison features of every record in one flat, reference-free layout.
//
// `PreparedRecord` (one record normalised, with Swift arrays) is packed once into a
// `FeatureTable`: a contiguous buffer of fixed-size `FeatureRow`s (hashes, dates, codes, and
// offsets) plus three arenas for the variable-length parts (bytes for phonetic forms and place
// skeletons, 64-bit words for token stems and documents, 32-bit words for address bigrams). The
// hot loops (blocking, comparing, scoring) read it through `FeatureView`, a struct of raw
// pointers: no Strings, no Arrays, no reference counting, no allocation per pair.

/// One record's comparison features (plain data).
struct FeatureRow {
    static let hasGiven: UInt8 = 1
    static let hasFamily: UInt8 = 2

    var gCanon: UInt64 = 0, gPhon: UInt64 = 0, gSkel: UInt64 = 0, gStem: UInt64 = 0
    var fCanon: UInt64 = 0, fPhon: UInt64 = 0, fStem: UInt64 = 0
    /// First eight bytes of the given and family stems, big-endian (sort keys inside blocks).
    var gSort: UInt64 = 0, fSort: UInt64 = 0
    /// Letter-count signatures (see ``Similarity/signature(_:)``) of the given and family phonetic
    /// forms and of the place skeleton: they rule most Jaro–Winkler calls out without running them.
    var gSig: Signature = .zero, fSig: Signature = .zero, placeSig: Signature = .zero, patSig: Signature = .zero
    var patPhon: UInt64 = 0, patRoot: UInt64 = 0
    var place: UInt64 = 0
    var household: UInt64 = 0
    var date: Int32 = 0
    var nationality: UInt32 = 0
    var gLogFreq: Float = -30, fLogFreq: Float = -30
    // Arena offsets.
    var gPhonOff: UInt32 = 0, fPhonOff: UInt32 = 0, gSkelOff: UInt32 = 0, placeSkelOff: UInt32 = 0, patOff: UInt32 = 0
    var gTokOff: UInt32 = 0, fTokOff: UInt32 = 0, docOff: UInt32 = 0, addrOff: UInt32 = 0
    var gPhonLen: UInt8 = 0, fPhonLen: UInt8 = 0, gSkelLen: UInt8 = 0, placeSkelLen: UInt8 = 0, patLen: UInt8 = 0
    var gTokCount: UInt8 = 0, fTokCount: UInt8 = 0, docCount: UInt8 = 0
    var sex: UInt8 = 0
    var flags: UInt8 = 0
    var addrCount: UInt16 = 0

    @inline(__always) var hasGiven: Bool { flags & Self.hasGiven != 0 }
    @inline(__always) var hasFamily: Bool { flags & Self.hasFamily != 0 }
}

/// Owner of the packed features; freed with the table.
final class FeatureTable: @unchecked Sendable {
    let count: Int
    private let rows: UnsafeMutableBufferPointer<FeatureRow>
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let words: UnsafeMutableBufferPointer<UInt64>
    private let halves: UnsafeMutableBufferPointer<UInt32>

    init(_ records: [PreparedRecord], parallel: Bool = false) {
        count = records.count
        // Space each record takes in the three pools, so two halves can be packed at once.
        func sizes(_ r: PreparedRecord) -> (bytes: Int, words: Int, halves: Int) {
            var byteCount = min(r.given?.phonetic.count ?? 0, 255) + min(r.given?.skeleton.count ?? 0, 255)
                + min(r.family?.phonetic.count ?? 0, 255) + min(r.placeSkeleton.count, 255)
                + min(r.patronymicPhoneticForm.count, 255)
            var wordCount = min(r.given?.tokenStems.count ?? 0, 255) + min(r.family?.tokenStems.count ?? 0, 255)
            for d in r.documents.prefix(255) { wordCount += 4; byteCount += min(d.count, 255) }
            return (byteCount, wordCount, min(r.address.count, 65535))
        }
        let middle = parallel && records.count >= 4096 ? records.count / 2 : records.count
        var starts = [(bytes: 0, words: 0, halves: 0)]
        var total = (bytes: 0, words: 0, halves: 0)
        for (i, r) in records.enumerated() {
            if i == middle { starts.append(total) }
            let size = sizes(r)
            total = (total.bytes + size.bytes, total.words + size.words, total.halves + size.halves)
        }
        rows = .allocate(capacity: max(count, 1))
        bytes = .allocate(capacity: max(total.bytes, 1))
        words = .allocate(capacity: max(total.words, 1))
        halves = .allocate(capacity: max(total.halves, 1))
        let ranges = middle < records.count ? [0..<middle, middle..<records.count] : [0..<records.count]
        let (table, offsets) = (self, starts)
        forEachChunk(count: ranges.count, chunkSize: 1, parallel: ranges.count > 1) { part, _ in
            table.pack(records, ranges[part], from: offsets[part])
        }
    }

    /// Writes the rows of `records[range]`, their bytes, words and halves from the given offsets.
    private func pack(_ records: [PreparedRecord], _ range: Range<Int>, from start: (bytes: Int, words: Int, halves: Int)) {
        var (b, w, h) = start
        func putBytes(_ s: [UInt8]) -> (UInt32, UInt8) {
            let n = min(s.count, 255)
            let off = b
            for k in 0..<n { bytes[b + k] = s[k] }
            b += n
            return (UInt32(off), UInt8(n))
        }
        func putWords(_ s: [UInt64]) -> (UInt32, UInt8) {
            let n = min(s.count, 255)
            let off = w
            for k in 0..<n { words[w + k] = s[k] }
            w += n
            return (UInt32(off), UInt8(n))
        }
        for i in range {
            let r = records[i]
            var row = FeatureRow()
            if let g = r.given {
                row.flags |= FeatureRow.hasGiven
                row.gCanon = g.canonicalHash; row.gPhon = g.phoneticHash; row.gSkel = g.skeletonHash; row.gStem = g.stemHash
                row.gSort = BlockIndex.sortKey(g.stem)
                (row.gPhonOff, row.gPhonLen) = putBytes(g.phonetic)
                row.gSig = Similarity.signature(g.phonetic)
                (row.gSkelOff, row.gSkelLen) = putBytes(g.skeleton)
                (row.gTokOff, row.gTokCount) = putWords(g.tokenStems)
            }
            if let f = r.family {
                row.flags |= FeatureRow.hasFamily
                row.fCanon = f.canonicalHash; row.fPhon = f.phoneticHash; row.fStem = f.stemHash
                row.fSort = BlockIndex.sortKey(f.stem)
                (row.fPhonOff, row.fPhonLen) = putBytes(f.phonetic)
                row.fSig = Similarity.signature(f.phonetic)
                (row.fTokOff, row.fTokCount) = putWords(f.tokenStems)
            }
            row.patPhon = r.patronymicPhonetic
            (row.patOff, row.patLen) = putBytes(r.patronymicPhoneticForm)
            row.patSig = Similarity.signature(r.patronymicPhoneticForm)
            row.patRoot = r.patronymicRoot
            row.sex = r.sex
            row.date = r.date
            row.place = r.place
            (row.placeSkelOff, row.placeSkelLen) = putBytes(r.placeSkeleton)
            row.placeSig = Similarity.signature(r.placeSkeleton)
            row.nationality = r.nationality
            row.docOff = UInt32(w)
            row.docCount = UInt8(min(r.documents.count, 255))
            for (d, hash) in zip(r.documents, r.documentHashes).prefix(255) {
                let (off, len) = putBytes(d)
                let sig = Similarity.signature(d)
                words[w] = hash
                words[w + 1] = UInt64(off) << 8 | UInt64(len)
                words[w + 2] = sig.lo
                words[w + 3] = sig.hi
                w += 4
            }
            row.addrOff = UInt32(h)
            row.addrCount = UInt16(min(r.address.count, 65535))
            for k in 0..<Int(row.addrCount) { halves[h + k] = r.address[k] }
            h += Int(row.addrCount)
            row.household = r.household
            row.gLogFreq = r.givenLogFrequency
            row.fLogFreq = r.familyLogFrequency
            (rows.baseAddress! + i).initialize(to: row)
        }
    }

    deinit {
        rows.deallocate()
        bytes.deallocate()
        words.deallocate()
        halves.deallocate()
    }

    /// Raw view for the hot loops; valid while the table is alive (keep a reference).
    var view: FeatureView {
        FeatureView(rows: UnsafePointer(rows.baseAddress!), bytes: UnsafePointer(bytes.baseAddress!),
                    words: UnsafePointer(words.baseAddress!), halves: UnsafePointer(halves.baseAddress!))
    }

    /// Sets the log2 term frequencies of given and family names.
    func setFrequencies(_ i: Int, given: Float, family: Float) {
        rows[i].gLogFreq = given
        rows[i].fLogFreq = family
    }
}

/// Pointers into a ``FeatureTable``.
struct FeatureView: @unchecked Sendable {
    let rows: UnsafePointer<FeatureRow>
    let bytes: UnsafePointer<UInt8>
    let words: UnsafePointer<UInt64>
    let halves: UnsafePointer<UInt32>

    @inline(__always) subscript(i: Int) -> UnsafePointer<FeatureRow> { rows + i }

    // MARK: Comparison

    /// Compares records `i` and `j` field by field.
    @inline(__always)
    func compare(_ i: Int, _ j: Int) -> ComparisonVector {
        compare(rows + i, rows + j)
    }

    func compare(_ a: UnsafePointer<FeatureRow>, _ b: UnsafePointer<FeatureRow>) -> ComparisonVector {
        var v = ComparisonVector()
        let hasNames = a.pointee.hasGiven && a.pointee.hasFamily && b.pointee.hasGiven && b.pointee.hasFamily
        let g = a.pointee.hasGiven && b.pointee.hasGiven ? givenLevel(a, b) : ComparisonVector.missing
        let f = a.pointee.hasFamily && b.pointee.hasFamily
            ? nameLevel(canonA: a.pointee.fCanon, phonA: a.pointee.fPhon, stemA: a.pointee.fStem, tokA: a.pointee.fTokOff, tokCountA: a.pointee.fTokCount,
                        phonOffA: a.pointee.fPhonOff, phonLenA: a.pointee.fPhonLen, sigA: a.pointee.fSig,
                        canonB: b.pointee.fCanon, phonB: b.pointee.fPhon, stemB: b.pointee.fStem, tokB: b.pointee.fTokOff, tokCountB: b.pointee.fTokCount,
                        phonOffB: b.pointee.fPhonOff, phonLenB: b.pointee.fPhonLen, sigB: b.pointee.fSig)
            : ComparisonVector.missing
        v[0] = g; v[1] = f
        let straight = Self.score(g) + Self.score(f)
        if straight < 6 && hasNames {
            // Given and family names swapped on one side.
            let g2 = nameLevel(canonA: a.pointee.gCanon, phonA: a.pointee.gPhon, stemA: a.pointee.gStem, tokA: a.pointee.gTokOff, tokCountA: a.pointee.gTokCount,
                               phonOffA: a.pointee.gPhonOff, phonLenA: a.pointee.gPhonLen, sigA: a.pointee.gSig,
                               canonB: b.pointee.fCanon, phonB: b.pointee.fPhon, stemB: b.pointee.fStem, tokB: b.pointee.fTokOff, tokCountB: b.pointee.fTokCount,
                               phonOffB: b.pointee.fPhonOff, phonLenB: b.pointee.fPhonLen, sigB: b.pointee.fSig)
            let f2 = nameLevel(canonA: a.pointee.fCanon, phonA: a.pointee.fPhon, stemA: a.pointee.fStem, tokA: a.pointee.fTokOff, tokCountA: a.pointee.fTokCount,
                               phonOffA: a.pointee.fPhonOff, phonLenA: a.pointee.fPhonLen, sigA: a.pointee.fSig,
                               canonB: b.pointee.gCanon, phonB: b.pointee.gPhon, stemB: b.pointee.gStem, tokB: b.pointee.gTokOff, tokCountB: b.pointee.gTokCount,
                               phonOffB: b.pointee.gPhonOff, phonLenB: b.pointee.gPhonLen, sigB: b.pointee.gSig)
            if Self.score(g2) + Self.score(f2) >= straight + 4 {
                v[0] = g2; v[1] = f2; v.namesSwapped = true
            }
        }
        if a.pointee.patRoot != 0 && b.pointee.patRoot != 0 {
            v[2] = a.pointee.patPhon == b.pointee.patPhon ? 2
                : (a.pointee.patRoot == b.pointee.patRoot || fuzzy(a.pointee.patSig, b.pointee.patSig, a.pointee.patOff, a.pointee.patLen, b.pointee.patOff, b.pointee.patLen) ? 1 : 0)
        }
        if a.pointee.sex != 0 && b.pointee.sex != 0 { v[3] = a.pointee.sex == b.pointee.sex ? 1 : 0 }
        if a.pointee.date != 0 && b.pointee.date != 0 { v[4] = DateAgreement.compare(a.pointee.date, b.pointee.date).rawValue }
        if a.pointee.place != 0 && b.pointee.place != 0 {
            if a.pointee.place == b.pointee.place {
                v[5] = 2
            } else {
                v[5] = similar(a.pointee.placeSig, b.pointee.placeSig, a.pointee.placeSkelOff, a.pointee.placeSkelLen, b.pointee.placeSkelOff, b.pointee.placeSkelLen,
                               threshold: 0.9) ? 1 : 0
            }
        }
        if a.pointee.nationality != 0 && b.pointee.nationality != 0 { v[6] = a.pointee.nationality == b.pointee.nationality ? 1 : 0 }
        if a.pointee.docCount != 0 && b.pointee.docCount != 0 { v[7] = documentLevel(a, b) }
        if a.pointee.addrCount != 0 && b.pointee.addrCount != 0 {
            let d = Similarity.dice(halves + Int(a.pointee.addrOff), Int(a.pointee.addrCount), halves + Int(b.pointee.addrOff), Int(b.pointee.addrCount))
            v[8] = d >= 0.8 ? 2 : (d >= 0.55 ? 1 : 0)
        }
        return v
    }

    @inline(__always) private static func score(_ level: UInt8) -> Int {
        level == ComparisonVector.missing ? 0 : Int(level)
    }

    @inline(__always)
    private func givenLevel(_ a: UnsafePointer<FeatureRow>, _ b: UnsafePointer<FeatureRow>) -> UInt8 {
        if a.pointee.gCanon == b.pointee.gCanon { return 4 }
        if a.pointee.gPhon == b.pointee.gPhon { return 3 }
        if a.pointee.gSkel == b.pointee.gSkel { return 2 }
        if sharesToken(a.pointee.gTokOff, a.pointee.gTokCount, b.pointee.gTokOff, b.pointee.gTokCount) { return 2 }
        if gluedPatronymic(bytes + Int(a.pointee.gSkelOff), Int(a.pointee.gSkelLen), bytes + Int(b.pointee.gSkelOff), Int(b.pointee.gSkelLen)) { return 2 }
        return fuzzy(a.pointee.gSig, b.pointee.gSig, a.pointee.gPhonOff, a.pointee.gPhonLen, b.pointee.gPhonOff, b.pointee.gPhonLen) ? 1 : 0
    }

    /// The fuzzy level of names: phonetic forms one edit apart (a typo in a short name, which
    /// Jaro–Winkler misses) or Jaro–Winkler ≥ 0.88.
    @inline(__always)
    private func fuzzy(_ sa: Signature, _ sb: Signature, _ offA: UInt32, _ lenA: UInt8, _ offB: UInt32, _ lenB: UInt8) -> Bool {
        let la = Int(lenA), lb = Int(lenB)
        if la == 0 || lb == 0 { return false }
        if la >= 3 && lb >= 3 && Similarity.withinOneEdit(bytes + Int(offA), la, bytes + Int(offB), lb) { return true }
        return similar(sa, sb, offA, lenA, offB, lenB, threshold: 0.88)
    }

    /// Jaro–Winkler of two arena strings at least `threshold` (≥ 0.88), skipping the computation
    /// when the letter-count signatures prove it cannot be.
    @inline(__always)
    private func similar(
        _ sa: Signature, _ sb: Signature, _ offA: UInt32, _ lenA: UInt8, _ offB: UInt32, _ lenB: UInt8, threshold: Double
    ) -> Bool {
        let la = min(Int(lenA), 64), lb = min(Int(lenB), 64)
        if la == 0 || lb == 0 { return false }
        // Jaro–Winkler ≥ 0.88 needs Jaro ≥ 0.8 (a prefix bonus adds at most 0.4·(1 − Jaro)), and
        // Jaro ≤ (m/la + m/lb + 1)/3 with m common letters: so m/la + m/lb ≥ 1.4 is necessary.
        let m = min(Similarity.commonUpperBound(sa, sb), min(la, lb))
        if 5 * m * (la + lb) < 7 * la * lb { return false }
        return Similarity.jaroWinkler(bytes + Int(offA), la, bytes + Int(offB), lb) >= threshold
    }

    /// Family-name level (also used for a given name compared with a family name, when swapped).
    @inline(__always)
    private func nameLevel(
        canonA: UInt64, phonA: UInt64, stemA: UInt64, tokA: UInt32, tokCountA: UInt8, phonOffA: UInt32, phonLenA: UInt8,
        sigA: Signature,
        canonB: UInt64, phonB: UInt64, stemB: UInt64, tokB: UInt32, tokCountB: UInt8, phonOffB: UInt32, phonLenB: UInt8,
        sigB: Signature
    ) -> UInt8 {
        if canonA == canonB { return 4 }
        if phonA == phonB { return 3 }
        if stemA == stemB { return 2 }
        if sharesToken(tokA, tokCountA, tokB, tokCountB) { return 2 }
        return fuzzy(sigA, sigB, phonOffA, phonLenA, phonOffB, phonLenB) ? 1 : 0
    }

    /// Some token stem in common, when either name has more than one token.
    @inline(__always)
    private func sharesToken(_ offA: UInt32, _ countA: UInt8, _ offB: UInt32, _ countB: UInt8) -> Bool {
        guard countA > 1 || countB > 1 else { return false }
        for x in 0..<Int(countA) {
            let t = words[Int(offA) + x]
            for y in 0..<Int(countB) where words[Int(offB) + y] == t { return true }
        }
        return false
    }

    /// One skeleton is the other followed by a patronymic ending (…vX, …vn).
    @inline(__always)
    private func gluedPatronymic(_ a: UnsafePointer<UInt8>, _ la: Int, _ b: UnsafePointer<UInt8>, _ lb: Int) -> Bool {
        let (s, ls, l, ll) = la < lb ? (a, la, b, lb) : (b, lb, a, la)
        guard ls >= 3, ll >= ls + 3 else { return false }
        for k in 0..<ls where s[k] != l[k] { return false }
        return l[ll - 2] == UInt8(ascii: "v") && (l[ll - 1] == UInt8(ascii: "X") || l[ll - 1] == UInt8(ascii: "n"))
    }

    private func documentLevel(_ pa: UnsafePointer<FeatureRow>, _ pb: UnsafePointer<FeatureRow>) -> UInt8 {
        let ad = words + Int(pa.pointee.docOff), bd = words + Int(pb.pointee.docOff)
        let na = Int(pa.pointee.docCount), nb = Int(pb.pointee.docCount)
        for x in 0..<na {
            let h = ad[4 * x]
            for y in 0..<nb where bd[4 * y] == h { return 2 }
        }
        for x in 0..<na {
            let px = ad[4 * x + 1], lx = Int(px & 255)
            guard lx >= 6 else { continue }
            let sx = bytes + Int(px >> 8)
            let sigX = Signature(lo: ad[4 * x + 2], hi: ad[4 * x + 3])
            for y in 0..<nb {
                let py = bd[4 * y + 1], ly = Int(py & 255)
                // One edit apart: lengths within one, and all but one character in common.
                guard abs(lx - ly) <= 1,
                      Similarity.commonUpperBound(sigX, Signature(lo: bd[4 * y + 2], hi: bd[4 * y + 3])) >= max(lx, ly) - 1
                else { continue }
                if Similarity.withinOneEdit(sx, lx, bytes + Int(py >> 8), ly) { return 1 }
            }
        }
        return 0
    }
}
