// How clerks of different habits write a Cyrillic name in Latin letters (the generator's own
// tables, written independently of the matcher's normaliser).

enum Translit {
    enum System: Equatable {
        case kmu, oldPassport, russian, polish, czech, german, dutch, french, english, cyrillic, cyrillicRussian
    }

    static let vowels: Set<Character> = ["а", "е", "є", "и", "і", "ї", "о", "у", "ю", "я", "ы", "э", "ё"]

    static func render(_ text: String, _ system: System, rng: inout SplitMix) -> String {
        if system == .cyrillic || system == .cyrillicRussian { return text }
        let chars = Array(text)
        var out = ""
        // Per-registration choices of an inconsistent clerk.
        let englishY = rng.unit() < 0.5
        let oldX = rng.unit() < 0.5
        for (k, raw) in chars.enumerated() {
            let upper = raw.isUppercase
            let c = Character(raw.lowercased())
            let prev: Character? = k > 0 ? Character(chars[k - 1].lowercased()) : nil
            let next: Character? = k + 1 < chars.count ? Character(chars[k + 1].lowercased()) : nil
            let initial = prev == nil || !(prev!.isLetter)
            let afterVowel = prev.map { vowels.contains($0) } ?? false
            var s: String
            switch system {
            case .kmu: s = kmu(c, initial: initial)
            case .oldPassport:
                if c == "к", next == "с", oldX { s = "x" } else if prev == "к" && c == "с" && oldX { s = "" }
                else if c == "ь" { s = "'" } else if c == "й" { s = "y" } else if c == "ї" { s = "yi" }
                else { s = kmu(c, initial: initial) }
            case .russian: s = russian(c, initial: initial)
            case .polish: s = polish(c, initial: initial || afterVowel, next: next)
            case .czech: s = czech(c, initial: initial || afterVowel)
            case .german: s = german(c, initial: initial || afterVowel, betweenVowels: afterVowel && next.map { vowels.contains($0) } == true)
            case .dutch: s = dutch(c, initial: initial || afterVowel)
            case .french: s = french(c, initial: initial || afterVowel, betweenVowels: afterVowel && next.map { vowels.contains($0) } == true)
            case .english:
                if c == "и" { s = englishY ? "y" : "i" } else if c == "й" { s = next == nil ? "y" : "i" } else { s = kmu(c, initial: true) }
                if c == "я" && prev == "і" { s = "a" }
                if c == "ь" { s = "" }
            case .cyrillic, .cyrillicRussian: s = String(c)
            }
            if upper, let f = s.first { s = String(f).uppercased() + s.dropFirst() }
            out += s
        }
        return out
    }

    static func kmu(_ c: Character, initial: Bool) -> String {
        switch c {
        case "а": "a"; case "б": "b"; case "в": "v"; case "г": "h"; case "ґ": "g"; case "д": "d"; case "е": "e"
        case "є": initial ? "ye" : "ie"; case "ж": "zh"; case "з": "z"; case "и": "y"; case "і": "i"
        case "ї": initial ? "yi" : "i"; case "й": initial ? "y" : "i"; case "к": "k"; case "л": "l"; case "м": "m"
        case "н": "n"; case "о": "o"; case "п": "p"; case "р": "r"; case "с": "s"; case "т": "t"; case "у": "u"
        case "ф": "f"; case "х": "kh"; case "ц": "ts"; case "ч": "ch"; case "ш": "sh"; case "щ": "shch"
        case "ь", "'", "ъ": ""; case "ю": initial ? "yu" : "iu"; case "я": initial ? "ya" : "ia"
        case "ы": "y"; case "э": "e"; case "ё": "yo"
        default: String(c)
        }
    }

    static func russian(_ c: Character, initial: Bool) -> String {
        switch c {
        case "г": "g"; case "е": initial ? "ye" : "e"; case "ё": "yo"; case "и": "i"; case "й": "y"; case "ы": "y"
        case "ю": "yu"; case "я": "ya"; case "ь", "ъ", "'": ""; case "х": "kh"
        default: kmu(c, initial: initial)
        }
    }

    static func polish(_ c: Character, initial: Bool, next: Character?) -> String {
        switch c {
        case "в": "w"; case "ж": "ż"; case "и": "y"; case "й": "j"; case "ї": "ji"; case "х": "ch"; case "ц": "c"
        case "ч": "cz"; case "ш": "sz"; case "щ": "szcz"; case "ю": initial ? "ju" : "iu"; case "я": initial ? "ja" : "ia"
        case "є": initial ? "je" : "ie"; case "л": (next == "і" || next == "ь" || next == "я" || next == "ю" || next == "є") ? "l" : "ł"
        case "ь", "'": ""; case "г": "h"
        default: kmu(c, initial: initial)
        }
    }

    static func czech(_ c: Character, initial: Bool) -> String {
        switch c {
        case "ж": "ž"; case "и": "y"; case "й": "j"; case "ї": "ji"; case "х": "ch"; case "ц": "c"; case "ч": "č"
        case "ш": "š"; case "щ": "šč"; case "ю": "ju"; case "я": "ja"; case "є": "je"; case "ь", "'": ""
        default: kmu(c, initial: initial)
        }
    }

    static func german(_ c: Character, initial: Bool, betweenVowels: Bool) -> String {
        switch c {
        case "в": "w"; case "ж": "sch"; case "з": "s"; case "и": "y"; case "й": "j"; case "ї": "ji"; case "х": "ch"
        case "ц": "z"; case "ч": "tsch"; case "ш": "sch"; case "щ": "schtsch"; case "ю": "ju"; case "я": "ja"
        case "є": "je"; case "с": betweenVowels ? "ss" : "s"; case "ь", "'": ""
        default: kmu(c, initial: initial)
        }
    }

    static func dutch(_ c: Character, initial: Bool) -> String {
        switch c {
        case "ж": "zj"; case "и": "y"; case "й": "j"; case "ї": "ji"; case "х": "ch"; case "ц": "ts"; case "ч": "tsj"
        case "ш": "sj"; case "щ": "sjtsj"; case "ю": "joe"; case "я": "ja"; case "є": "je"; case "у": "oe"; case "ь", "'": ""
        default: kmu(c, initial: initial)
        }
    }

    static func french(_ c: Character, initial: Bool, betweenVowels: Bool) -> String {
        switch c {
        case "ж": "j"; case "и": "y"; case "й": "ï"; case "ї": "ï"; case "х": "kh"; case "ц": "ts"; case "ч": "tch"
        case "ш": "ch"; case "щ": "chtch"; case "ю": "iou"; case "я": "ia"; case "є": "ie"; case "у": "ou"
        case "с": betweenVowels ? "ss" : "s"; case "ь", "'": ""
        default: kmu(c, initial: initial)
        }
    }
}
