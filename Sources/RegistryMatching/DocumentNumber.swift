/// Comparison keys for identity-document numbers.
public enum DocumentNumber {
    /// Folds a document number to a comparison key (not for display).
    ///
    /// Separators vanish; letters are upper-cased; Cyrillic series letters become the Latin
    /// letter they look like (КВ → KB), and letters that a clerk may have transliterated instead
    /// of copied fold together (В/V/B, Н/N/H, Р/R/P, С/S/C, У/U/Y, Х/X); O and Q fold to 0,
    /// I and L to 1. So "КН 012345", "KN012345" and "kh-O12345" give the same key.
    public static func normalize(_ text: String) -> String {
        String(decoding: key(text), as: UTF8.self)
    }

    static func key(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12)
                for s in text.unicodeScalars {
            var v = s.value
            if v >= 0x400 && v < 0x460 {
                v = Transliterator.lowerCyrillic(v)
                let mapped: UInt8
                switch v {
                case 0x430: mapped = UInt8(ascii: "A")
                case 0x431: mapped = UInt8(ascii: "B")
                case 0x432: mapped = UInt8(ascii: "B")
                case 0x433, 0x491: mapped = UInt8(ascii: "G")
                case 0x434: mapped = UInt8(ascii: "D")
                case 0x435, 0x454, 0x451, 0x44D: mapped = UInt8(ascii: "E")
                case 0x436: mapped = UInt8(ascii: "Z")
                case 0x437: mapped = UInt8(ascii: "Z")
                case 0x438, 0x439, 0x44B: mapped = UInt8(ascii: "Y")
                case 0x456, 0x457: mapped = UInt8(ascii: "1")
                case 0x43A: mapped = UInt8(ascii: "K")
                case 0x43B: mapped = UInt8(ascii: "1")
                case 0x43C: mapped = UInt8(ascii: "M")
                case 0x43D: mapped = UInt8(ascii: "H")
                case 0x43E: mapped = UInt8(ascii: "0")
                case 0x43F: mapped = UInt8(ascii: "P")
                case 0x440: mapped = UInt8(ascii: "P")
                case 0x441: mapped = UInt8(ascii: "C")
                case 0x442: mapped = UInt8(ascii: "T")
                case 0x443, 0x45E: mapped = UInt8(ascii: "Y")
                case 0x444: mapped = UInt8(ascii: "F")
                case 0x445: mapped = UInt8(ascii: "X")
                case 0x446: mapped = UInt8(ascii: "C")
                case 0x447, 0x448, 0x449: mapped = UInt8(ascii: "S")
                case 0x44E: mapped = UInt8(ascii: "Y")
                case 0x44F: mapped = UInt8(ascii: "Y")
                default: continue
                }
                out.append(mapped)
                continue
            }
            guard v < 0x80 else { continue }
            var b = UInt8(v)
            if b >= 0x61 && b <= 0x7A { b -= 32 }
            switch b {
            case 0x30...0x39: break
            case UInt8(ascii: "O"), UInt8(ascii: "Q"): b = UInt8(ascii: "0")
            case UInt8(ascii: "I"), UInt8(ascii: "L"): b = UInt8(ascii: "1")
            case UInt8(ascii: "V"): b = UInt8(ascii: "B")
            case UInt8(ascii: "N"): b = UInt8(ascii: "H")
            case UInt8(ascii: "R"): b = UInt8(ascii: "P")
            case UInt8(ascii: "S"): b = UInt8(ascii: "C")
            case UInt8(ascii: "U"): b = UInt8(ascii: "Y")
            case 0x41...0x5A: break
            default: continue
            }
            out.append(b)
        }
        return out
    }
}

/// ISO 3166 nationality codes.
public enum Nationality {
    /// The ISO 3166-1 alpha-3 code for an alpha-2 code, an alpha-3 code or a common name (in
    /// English, Ukrainian, Russian, Dutch, German, Polish, Czech or French); `nil` if unknown.
    public static func alpha3(_ text: String) -> String? {
        let tokens = Transliterator.tokens(text)
        guard !tokens.isEmpty else { return nil }
        let word = String(decoding: Array(tokens.joined(separator: [0x20])), as: UTF8.self)
        if let code = table[word] { return code }
        return byName[PhoneticKey.fold(Array(word.utf8), mode: .skeleton)]
    }

    /// alpha-2 and alpha-3 codes (lowercase) → alpha-3.
    static let table: [String: String] = {
        let pairs = [
            "ua ukr", "ru rus", "by blr", "md mda", "pl pol", "de deu", "nl nld", "be bel", "cz cze",
            "sk svk", "hu hun", "ro rou", "bg bgr", "lt ltu", "lv lva", "ee est", "fr fra", "es esp",
            "it ita", "pt prt", "at aut", "ch che", "gb gbr", "us usa", "ca can", "ge geo", "am arm",
            "az aze", "kz kaz", "uz uzb", "tj tjk", "kg kgz", "tm tkm", "tr tur", "il isr", "in ind",
            "pk pak", "bd bgd", "cn chn", "vn vnm", "ng nga", "gh gha", "cm cmr", "ma mar", "dz dza",
            "tn tun", "eg egy", "sy syr", "iq irq", "ir irn", "af afg", "jo jor", "lb lbn", "zw zwe",
            "za zaf", "ke ken", "et eth", "cu cub", "br bra", "xx xxa",
        ]
        var t: [String: String] = [:]
        for p in pairs {
            let parts = p.split(separator: " ").map(String.init)
            t[parts[0]] = parts[1].uppercased()
            t[parts[1]] = parts[1].uppercased()
        }
        return t
    }()

    static let byName: [[UInt8]: String] = {
        let names: [(String, [String])] = [
            ("UKR", ["ukraine", "ukrainian", "україна", "украина", "oekraine", "ukraina", "ukrajina",
                     "ukrainisch", "ukrainien", "ukrainienne", "ukrainka", "ukrainets", "українець"]),
            ("RUS", ["russia", "russian", "росія", "россия", "rusland", "russland", "rosja", "rusko",
                     "russie", "russian federation"]),
            ("BLR", ["belarus", "білорусь", "беларусь", "wit rusland", "weissrussland", "bialorus"]),
            ("MDA", ["moldova", "молдова", "moldavia", "moldawien", "moldawia"]),
            ("POL", ["poland", "polska", "polen", "pologne", "польща"]),
            ("GEO", ["georgia", "грузія", "georgien", "gruzja"]),
            ("XXA", ["stateless", "без громадянства", "staatloos", "staatenlos"]),
        ]
        var t: [[UInt8]: String] = [:]
        for (code, list) in names {
            for name in list {
                let word = Transliterator.tokens(name).joined(separator: [0x20])
                t[PhoneticKey.fold(Array(word), mode: .skeleton)] = code
            }
        }
        return t
    }()
}
