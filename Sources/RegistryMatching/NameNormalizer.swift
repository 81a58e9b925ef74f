/// Normal forms of personal names written in Cyrillic or in any Latin spelling.
///
/// Three forms, from strict to loose:
/// - **canonical**: lowercase ASCII, Cyrillic transliterated with Ukraine's 2010 system (KMU 55),
///   accents folded (`"Ševčenko"` → `"shevchenko"`). Two spellings from different clerks differ.
/// - **phonetic**: consonant classes merged (kh/h/ch/g, sh/sz/sch/š/zh/ż/ch/cz/tsch,
///   ts/tz/c/z/s, w/v), vowels kept in three classes, doubles collapsed.
/// - **skeleton**: the phonetic form without vowels, except a word-initial vowel kept as `A`.
///   Every spelling of a name in the Ukrainian, Russian, Polish, Czech, German, Dutch, French or
///   English habit that we know of shares it: Олександр, Oleksandr, Aleksandr, Olexandr,
///   Oleksander and Alexander all give `"Alksndr"`.
///
/// Known gaps: a French `j` for ж (Jitomir) is read as й; Dutch `sj` for ш wins over `s`+`j`.
public enum NameNormalizer {
    /// Lowercase ASCII transliteration; tokens separated by one space.
    ///
    /// ```swift
    /// NameNormalizer.canonical("Олександр")  // "oleksandr"
    /// NameNormalizer.canonical("Żytomierz")  // "zhytomierz"
    /// ```
    public static func canonical(_ name: String) -> String {
        join(Transliterator.tokens(name))
    }

    /// The phonetic form of each token, separated by one space.
    public static func phonetic(_ name: String) -> String {
        join(Transliterator.tokens(name).map { PhoneticKey.fold($0, mode: .phonetic) })
    }

    /// The skeleton of each token, separated by one space: the loosest form, for blocking and search.
    public static func skeleton(_ name: String) -> String {
        join(Transliterator.tokens(name).map { PhoneticKey.fold($0, mode: .skeleton) })
    }

    /// The skeleton of a family name with its gender ending removed, so that feminine and
    /// masculine forms agree: Kovalska/Kovalskyi, Ivanova/Ivanov, Czech Kovalenková/Kovalenko.
    public static func surnameStem(_ name: String) -> String {
        join(Transliterator.tokens(name).map(stem(ofToken:)))
    }

    /// The canonical form of a given name with its Russian or Polish form replaced by the
    /// Ukrainian one (Nikolai → mykola, Anna → hanna). Other names are returned canonical.
    public static func givenNameForm(_ name: String) -> String {
        join(Transliterator.tokens(name).map(ukrainianForm(ofToken:)))
    }

    /// Separates a patronymic that was typed into the given-name field, either as a second word
    /// ("Oleksandr Petrovych") or glued to it ("OleksandrPetrovych", "oleksandrpetrovych").
    ///
    /// - Returns: the given name and the patronymic (both canonical), or the canonical given name
    ///   and `nil` when no patronymic is recognised.
    public static func splitPatronymic(givenName: String) -> (givenName: String, patronymic: String?) {
        let (given, patronymic) = splitGiven(Transliterator.tokens(givenName))
        return (join(given), patronymic.map { String(decoding: $0, as: UTF8.self) })
    }

    /// Keys for exact-match search (for example a keyed blind index): the same name typed in
    /// Cyrillic or in any supported Latin spelling yields at least one key in common.
    ///
    /// The keys are per-token skeletons, gender-free surname stems, the skeleton of the Ukrainian
    /// form of a Russian or Polish given name, and the given name split off a glued patronymic.
    public static func searchKeys(_ name: String) -> [String] {
        var keys: [[UInt8]] = []
        func add(_ k: [UInt8]) { if !k.isEmpty && !keys.contains(k) { keys.append(k) } }
        let tokens = Transliterator.tokens(name)
        for token in tokens {
            add(PhoneticKey.fold(token, mode: .skeleton))
            add(stem(ofToken: token))
            add(PhoneticKey.fold(ukrainianForm(ofToken: token), mode: .skeleton))
        }
        let (given, patronymic) = splitGiven(tokens)
        if patronymic != nil {
            for token in given { add(PhoneticKey.fold(ukrainianForm(ofToken: token), mode: .skeleton)) }
        }
        return keys.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: - Internals shared with the matcher

    static func join(_ tokens: [[UInt8]]) -> String {
        var bytes: [UInt8] = []
        for (k, t) in tokens.enumerated() {
            if k > 0 { bytes.append(0x20) }
            bytes.append(contentsOf: t)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func stem(ofToken token: [UInt8]) -> [UInt8] {
        var s = PhoneticKey.fold(token, mode: .skeleton)
        while s.count > 2, s.last == UInt8(ascii: "v") { s.removeLast() }
        return s
    }

    static func ukrainianForm(ofToken token: [UInt8]) -> [UInt8] {
        GivenNameForms.lookup[PhoneticKey.fold(token, mode: .phonetic)] ?? token
    }

    static let patronymicSuffixes: [[UInt8]] = [
        "ovych", "evych", "ovich", "evich", "ovitch", "evitch", "owitsch", "ewitsch", "ovitsj",
        "evitsj", "owicz", "ewicz", "ovytch", "ivna", "ovna", "evna", "iwna", "owna", "ewna",
        "ichna", "ychna", "ijiwna", "yivna",
    ].map { Array($0.utf8) }

    static func patronymicSuffix(of token: [UInt8]) -> Int? {
        for suffix in patronymicSuffixes where token.count >= suffix.count + 2 {
            if token[(token.count - suffix.count)...].elementsEqual(suffix) { return suffix.count }
        }
        return nil
    }

    /// Splits given-name tokens into given name and patronymic (canonical bytes).
    static func splitGiven(_ tokens: [[UInt8]]) -> (given: [[UInt8]], patronymic: [UInt8]?) {
        if tokens.count >= 2, let last = tokens.last, patronymicSuffix(of: last) != nil {
            return (Array(tokens.dropLast()), last)
        }
        if tokens.count == 1, let glued = splitGlued(tokens[0]) {
            return ([glued.0], glued.1)
        }
        return (tokens, nil)
    }

    private static func splitGlued(_ token: [UInt8]) -> ([UInt8], [UInt8])? {
        guard let suffixLength = patronymicSuffix(of: token), token.count >= suffixLength + 6 else {
            return nil
        }
        var fallback: ([UInt8], [UInt8])?
        for k in stride(from: token.count - suffixLength - 2, through: 3, by: -1) {
            let head = Array(token[..<k])
            let tail = Array(token[k...])
            guard !PhoneticKey.isVowel(tail[0]) || tail[0] == UInt8(ascii: "a") || tail[0] == UInt8(ascii: "i")
            else { continue }
            let headKnown = GivenNameForms.knownSkeletons.contains(
                PhoneticKey.fold(ukrainianForm(ofToken: head), mode: .skeleton))
            guard headKnown else { continue }
            let root = Array(tail.dropLast(suffixLength))
            let rootKnown = GivenNameForms.knownSkeletons.contains(
                PhoneticKey.fold(ukrainianForm(ofToken: root), mode: .skeleton))
            if rootKnown { return (head, tail) }
            if fallback == nil { fallback = (head, tail) }
        }
        return fallback
    }
}
