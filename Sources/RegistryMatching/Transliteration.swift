// Cyrillic and accented Latin to plain lowercase ASCII, token by token.
//
// Cyrillic follows Ukraine's 2010 national system (Cabinet of Ministers resolution 55, "KMU 55"),
// including its word-initial forms (Є→ye, Ї→yi, Й→y, Ю→yu, Я→ya; elsewhere ie, i, i, iu, ia).
// Text that contains a letter only Russian has (ы, э, ё, ъ) is read as Russian (и→i, г→g).
// Accented Latin letters are folded to the digraph a Ukrainian name would have had in KMU 55
// (š→sh, č→ch, ž/ż→zh), so "Ševčenko" and "Shevchenko" get the same canonical form.

/// Converts text to lowercase ASCII tokens. Separators (space, hyphen, comma, dot, slash) split
/// tokens; apostrophes and soft signs vanish; digits and unknown symbols are dropped.
enum Transliterator {
    static func tokens(_ text: String) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        current.reserveCapacity(16)
        let scalars = text.unicodeScalars
        var russian = false
        for s in scalars where s.value >= 0x400 && s.value < 0x500 {
            switch s.value {
            case 0x44B, 0x42B, 0x44D, 0x42D, 0x451, 0x401, 0x44A, 0x42A: russian = true
            default: break
            }
        }
        func flush() {
            if !current.isEmpty {
                result.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        for s in scalars {
            let v = s.value
            if v < 0x80 {
                let b = UInt8(v)
                switch b {
                case 0x61...0x7A: current.append(b)
                case 0x41...0x5A: current.append(b + 32)
                case 0x27, 0x60, 0x22: continue  // ' ` "
                default: flush()  // space, hyphen, punctuation, digits
                }
                continue
            }
            if v >= 0x400 && v < 0x460 {
                appendCyrillic(v, russian: russian, into: &current)
                continue
            }
            if let folded = latinFold[v] {
                current.append(contentsOf: folded)
                continue
            }
            switch v {
            case 0x2019, 0x2018, 0x02BC, 0x02B9, 0x00B4, 0x02BB, 0x2032, 0x2033, 0x201C, 0x201D:
                continue  // apostrophes and quotes
            case 0x0300...0x036F:
                continue  // combining marks (decomposed input)
            default:
                flush()
            }
        }
        flush()
        return result
    }

    /// Lowercase Cyrillic code point (0x430...0x45F) for any Cyrillic letter.
    @inline(__always)
    static func lowerCyrillic(_ v: UInt32) -> UInt32 {
        if v >= 0x410 && v <= 0x42F { return v + 0x20 }
        if v >= 0x400 && v <= 0x40F { return v + 0x50 }
        return v
    }

    private static func appendCyrillic(_ raw: UInt32, russian: Bool, into out: inout [UInt8]) {
        let v = lowerCyrillic(raw)
        let initial = out.isEmpty
        func put(_ s: StaticString) {
            s.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        switch v {
        case 0x430: put("a")
        case 0x431: put("b")
        case 0x432: put("v")
        case 0x433: russian ? put("g") : (out.last == UInt8(ascii: "z") ? put("gh") : put("h"))
        case 0x491: put("g")
        case 0x434: put("d")
        case 0x435: russian && initial ? put("ye") : put("e")
        case 0x454: initial ? put("ye") : put("ie")
        case 0x451: initial ? put("yo") : put("io")
        case 0x436: put("zh")
        case 0x437: put("z")
        case 0x438: russian ? put("i") : put("y")
        case 0x456: put("i")
        case 0x457: initial ? put("yi") : put("i")
        case 0x439: initial || russian ? put("y") : put("i")
        case 0x43A: put("k")
        case 0x43B: put("l")
        case 0x43C: put("m")
        case 0x43D: put("n")
        case 0x43E: put("o")
        case 0x43F: put("p")
        case 0x440: put("r")
        case 0x441: put("s")
        case 0x442: put("t")
        case 0x443: put("u")
        case 0x444: put("f")
        case 0x445: put("kh")
        case 0x446: put("ts")
        case 0x447: put("ch")
        case 0x448: put("sh")
        case 0x449: put("shch")
        case 0x44A, 0x44C: break  // hard and soft signs
        case 0x44B: put("y")
        case 0x44D: put("e")
        case 0x44E: initial ? put("yu") : put("iu")
        case 0x44F: initial ? put("ya") : put("ia")
        case 0x45E: put("u")  // ў
        default: break
        }
    }

    /// Accented Latin letters (both cases) to ASCII.
    static let latinFold: [UInt32: [UInt8]] = {
        let pairs: [(String, String)] = [
            ("áàâäãåāăą", "a"), ("æ", "ae"), ("ćĉċ", "c"), ("č", "ch"), ("ç", "s"), ("ďđ", "d"),
            ("éèêëěęėēĕ", "e"), ("ğĝ", "g"), ("ĥħ", "h"), ("íìîïīįı", "i"), ("ĵ", "j"),
            ("ķ", "k"), ("ĺľłļŀ", "l"), ("ńňñņ", "n"), ("óòôöõőøōŏ", "o"), ("œ", "oe"),
            ("ŕř", "r"), ("śŝ", "s"), ("šşș", "sh"), ("ß", "ss"), ("ťţț", "t"),
            ("úùûüůűūųŭ", "u"), ("ýÿŷ", "y"), ("źż", "z"), ("ž", "zh"),
        ]
        var table: [UInt32: [UInt8]] = [:]
        for (letters, ascii) in pairs {
            for ch in letters.unicodeScalars {
                var value = Array(ascii.utf8)
                // Polish ż is Ukrainian ж (zh); ź is a soft z.
                if ch == "ż" { value = Array("zh".utf8) }
                table[ch.value] = value
                for up in String(ch).uppercased().unicodeScalars where up != ch {
                    table[up.value] = value
                }
            }
        }
        return table
    }()
}
