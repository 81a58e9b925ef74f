// Normalised records and the field-by-field comparison of two of them.

/// The fields compared, in the order of the comparison vector.
public enum MatchField: Int, Sendable, CaseIterable, CustomStringConvertible {
    case givenName, familyName, patronymic, sex, birthDate, birthPlace, nationality, document, address

    /// Number of agreement levels of the field (level 0 is disagreement).
    var levelCount: Int {
        switch self {
        case .birthDate: 6
        case .givenName, .familyName: 5
        case .patronymic, .birthPlace, .document, .address: 3
        case .sex, .nationality: 2
        }
    }

    public var description: String {
        switch self {
        case .givenName: "givenName"
        case .familyName: "familyName"
        case .patronymic: "patronymic"
        case .sex: "sex"
        case .birthDate: "birthDate"
        case .birthPlace: "birthPlace"
        case .nationality: "nationality"
        case .document: "document"
        case .address: "address"
        }
    }
}

/// Levels of all fields packed in 3 bits each (7 = missing on either side); bit 27 marks that
/// given and family names agreed only when swapped.
struct ComparisonVector: Hashable {
    var bits: UInt32

    static let missing: UInt8 = 7
    static let fieldCount = MatchField.allCases.count
    static let swappedBit: UInt32 = 1 << 27

    init() { bits = (1 << 27) - 1 }  // everything missing
    init(bits: UInt32) { self.bits = bits }

    @inline(__always) subscript(field: Int) -> UInt8 {
        get { UInt8((bits >> UInt32(3 * field)) & 7) }
        set {
            let shift = UInt32(3 * field)
            bits = (bits & ~(7 << shift)) | (UInt32(newValue) << shift)
        }
    }

    var namesSwapped: Bool {
        get { bits & Self.swappedBit != 0 }
        set { if newValue { bits |= Self.swappedBit } else { bits &= ~Self.swappedBit } }
    }
}

struct NameFeatures: Sendable {
    var canonical: [UInt8]
    var phonetic: [UInt8]
    var skeleton: [UInt8]
    var canonicalHash: UInt64
    var phoneticHash: UInt64
    var skeletonHash: UInt64
    /// Skeleton with gender endings removed (the key of family names).
    var stemHash: UInt64
    var stem: [UInt8]
    var tokenStems: [UInt64]

    init?(tokens: [[UInt8]], given: Bool) {
        let tokens = tokens.map { given ? NameNormalizer.ukrainianForm(ofToken: $0) : $0 }
        guard !tokens.isEmpty else { return nil }
        canonical = Array(tokens.joined(separator: [0x20]))
        var phonetic: [UInt8] = [], skeleton: [UInt8] = [], stem: [UInt8] = []
        var tokenStems: [UInt64] = []
        for t in tokens {
            phonetic += PhoneticKey.fold(t, mode: .phonetic)
            skeleton += PhoneticKey.fold(t, mode: .skeleton)
            let s = NameNormalizer.stem(ofToken: t)
            stem += s
            tokenStems.append(fnv1a(s, seed: 3))
        }
        self.phonetic = phonetic
        self.skeleton = skeleton
        self.stem = stem
        self.tokenStems = tokenStems
        canonicalHash = fnv1a(canonical, seed: 1)
        phoneticHash = fnv1a(phonetic, seed: 2)
        skeletonHash = fnv1a(skeleton, seed: 3)
        stemHash = fnv1a(stem, seed: 3)
    }
}

/// A record with every field normalised once, ready for blocking and comparison.
struct PreparedRecord: Sendable {
    var given: NameFeatures?
    var family: NameFeatures?
    var patronymicPhonetic: UInt64 = 0
    /// Phonetic form of the patronymic (for fuzzy agreement).
    var patronymicPhoneticForm: [UInt8] = []
    var patronymicRoot: UInt64 = 0
    var sex: UInt8 = 0
    var date: Int32 = 0
    var place: UInt64 = 0
    var placeSkeleton: [UInt8] = []
    var nationality: UInt32 = 0
    var documents: [[UInt8]] = []
    var documentHashes: [UInt64] = []
    var household: UInt64 = 0
    var address: [UInt32] = []
    /// log2 term frequencies of the given-name skeleton and family-name stem; −30 (unknown, which
    /// makes the adjustment neutral-to-positive) for single pairs. The engine sets them in its
    /// ``FeatureTable`` after counting.
    var givenLogFrequency: Float = -30
    var familyLogFrequency: Float = -30

    init(_ r: PersonRecord) {
        var cache = PreparationCache()
        self.init(r, cache: &cache)
    }

    /// Normalises `r`, reusing the work on field values seen before (names, patronymics, places
    /// and nationalities repeat a great deal in a registry).
    init(_ r: PersonRecord, cache: inout PreparationCache) {
        let gluedPatronymic: [UInt8]?
        if let hit = cache.given[r.givenName] {
            (given, gluedPatronymic) = hit
        } else {
            let (givenTokens, glued) = NameNormalizer.splitGiven(Transliterator.tokens(r.givenName))
            given = NameFeatures(tokens: givenTokens, given: true)
            gluedPatronymic = glued
            cache.given[r.givenName] = (given, glued)
        }
        if let hit = cache.family[r.familyName] {
            family = hit
        } else {
            family = NameFeatures(tokens: Transliterator.tokens(r.familyName), given: false)
            cache.family[r.familyName] = family
        }
        let patronymicKey = r.patronymic ?? ""
        if !patronymicKey.isEmpty || gluedPatronymic != nil {
            let cacheable = !patronymicKey.isEmpty
            if cacheable, let hit = cache.patronymic[patronymicKey] {
                (patronymicPhonetic, patronymicRoot, patronymicPhoneticForm) = hit
            } else {
                var patronymicTokens = r.patronymic.map(Transliterator.tokens) ?? []
                let fromField = !patronymicTokens.isEmpty
                if patronymicTokens.isEmpty, let glued = gluedPatronymic { patronymicTokens = [glued] }
                if let p = patronymicTokens.first {
                    patronymicPhoneticForm = PhoneticKey.fold(p, mode: .phonetic)
                    patronymicPhonetic = fnv1a(patronymicPhoneticForm, seed: 4)
                    var root = p
                    if let n = NameNormalizer.patronymicSuffix(of: p) { root.removeLast(n) }
                    patronymicRoot = fnv1a(
                        PhoneticKey.fold(NameNormalizer.ukrainianForm(ofToken: root), mode: .skeleton), seed: 5)
                }
                // A patronymic field that is blank after normalisation falls back to the glued
                // one, which depends on the given name: only the field's own value is cached.
                if cacheable && fromField {
                    cache.patronymic[patronymicKey] = (patronymicPhonetic, patronymicRoot, patronymicPhoneticForm)
                }
            }
        }
        sex = Self.parseSex(r.sex)
        if let d = r.birthDate, let parsed = BirthDate(parsing: d) { date = parsed.packed }
        if let p = r.birthPlace {
            if let hit = cache.place[p] {
                (place, placeSkeleton) = hit
            } else {
                let key = PlaceName.key(p)
                if !key.isEmpty {
                    place = fnv1a(key, seed: 6)
                    placeSkeleton = PhoneticKey.fold(key, mode: .skeleton)
                }
                cache.place[p] = (place, placeSkeleton)
            }
        }
        if let n = r.nationality {
            if let hit = cache.nationality[n] {
                nationality = hit
            } else {
                if let code = Nationality.alpha3(n) { nationality = code.utf8.reduce(0) { $0 << 8 | UInt32($1) } }
                cache.nationality[n] = nationality
            }
        }
        for d in r.documentNumbers {
            let k = DocumentNumber.key(d)
            if k.count >= 4 && !documents.contains(k) {
                documents.append(k)
                documentHashes.append(fnv1a(k, seed: 7))
            }
        }
        if let h = r.householdID, !h.isEmpty { household = fnv1a(Array(h.utf8), seed: 8) | 1 }
        if let a = r.address { address = Self.bigrams(a) }
    }

    static func parseSex(_ s: String?) -> UInt8 {
        guard let first = s?.unicodeScalars.first else { return 0 }
        switch first {
        case "F", "f", "W", "w", "V", "v", "K", "k", "ж", "Ж", "ž", "Ž": return 1
        case "M", "m", "ч", "Ч", "м", "М", "H", "h": return 2
        case "X", "x", "O", "o", "U", "u": return 3
        default: return 0
        }
    }

    /// Sorted distinct hashed letter/digit bigrams of an address.
    static func bigrams(_ text: String) -> [UInt32] {
        var chars: [UInt8] = []
        for token in Transliterator.tokens(text) { chars.append(0x20); chars += token }
        for b in text.utf8 where b >= 0x30 && b <= 0x39 { chars.append(b) }
        guard chars.count > 2 else { return [] }
        var set = Set<UInt32>()
        for k in 0..<(chars.count - 1) {
            set.insert(UInt32(chars[k]) << 8 | UInt32(chars[k + 1]))
        }
        return set.sorted()
    }
}

/// Normalised field values already seen by one preparing worker.
struct PreparationCache {
    var given: [String: (NameFeatures?, [UInt8]?)] = [:]
    var family: [String: NameFeatures?] = [:]
    var patronymic: [String: (UInt64, UInt64, [UInt8])] = [:]
    var place: [String: (UInt64, [UInt8])] = [:]
    var nationality: [String: UInt32] = [:]
}
