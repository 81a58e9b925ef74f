// Phonetic folding of one ASCII token, shared by the phonetic and skeleton forms.
//
// Consonant classes (the same for both forms):
//   X  — hushing sounds and h/g: ш ж ч щ х г ґ in every spelling (sh sz sch š sj, zh ż ž zj,
//        ch cz tsch tch č tsj, shch szcz schtsch, kh ch h, g). "ch" means ш to a French clerk,
//        ч to an English one and х to a German, Polish or Czech one; one class keeps them equal.
//   S  — s, z, c, ts, tz (ц, з and с: a German clerk writes з as s and ц as z).
//   v  — v and w.   k — k, q, and c before a consonant other than k (Victor/Viktor).   x → kS.
//   rz → r (Polish ż after r in Żytomierz).   ph → f.
// Vowels: the phonetic form keeps three classes (a/o → a, e/i/y/j → i, u/ou/oe → u); the skeleton
// drops them, except that a word-initial vowel becomes "A" (Oleksandr and Aleksandr → Alksndr).
// Adjacent equal symbols collapse (doubled letters, kh+h, Wassili).

enum PhoneticKey {
    enum Mode { case phonetic, skeleton }

    static func fold(_ t: [UInt8], mode: Mode) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        let n = t.count
        var i = 0
        var vowelGap = false
        @inline(__always) func at(_ k: Int) -> UInt8 { k < n ? t[k] : 0 }
        @inline(__always) func starts(_ s: StaticString) -> Bool {
            let len = s.utf8CodeUnitCount
            if i + len > n { return false }
            return s.withUTF8Buffer { buf in
                for k in 0..<len where t[i + k] != buf[k] { return false }
                return true
            }
        }
        func emit(_ c: UInt8) {
            if let last = out.last, last == c, !vowelGap { return }
            out.append(c)
            vowelGap = false
        }
        func emitVowel(_ cls: UInt8) {
            switch mode {
            case .phonetic:
                if let last = out.last, last == cls { return }
                out.append(cls)
            case .skeleton:
                if out.isEmpty { out.append(UInt8(ascii: "A")) } else { vowelGap = true }
            }
        }
        let X = UInt8(ascii: "X"), S = UInt8(ascii: "S")
        while i < n {
            if starts("schtsch") { emit(X); i += 7; continue }
            if starts("sjtsj") || starts("chtch") { emit(X); i += 5; continue }
            if starts("shch") || starts("szcz") || starts("tsch") { emit(X); i += 4; continue }
            if starts("sch") || starts("tsj") || starts("tch") { emit(X); i += 3; continue }
            let c = t[i], d = at(i + 1)
            switch (c, d) {
            case (UInt8(ascii: "z"), UInt8(ascii: "h")), (UInt8(ascii: "s"), UInt8(ascii: "h")),
                 (UInt8(ascii: "s"), UInt8(ascii: "z")), (UInt8(ascii: "s"), UInt8(ascii: "j")),
                 (UInt8(ascii: "z"), UInt8(ascii: "j")), (UInt8(ascii: "c"), UInt8(ascii: "z")),
                 (UInt8(ascii: "c"), UInt8(ascii: "h")), (UInt8(ascii: "k"), UInt8(ascii: "h")),
                 (UInt8(ascii: "g"), UInt8(ascii: "h")):
                emit(X); i += 2; continue
            case (UInt8(ascii: "r"), UInt8(ascii: "z")):
                emit(UInt8(ascii: "r")); i += 2; continue
            case (UInt8(ascii: "t"), UInt8(ascii: "s")), (UInt8(ascii: "t"), UInt8(ascii: "z")):
                emit(S); i += 2; continue
            case (UInt8(ascii: "p"), UInt8(ascii: "h")):
                emit(UInt8(ascii: "f")); i += 2; continue
            case (UInt8(ascii: "o"), UInt8(ascii: "u")), (UInt8(ascii: "o"), UInt8(ascii: "e")):
                emitVowel(UInt8(ascii: "u")); i += 2; continue
            default: break
            }
            switch c {
            case UInt8(ascii: "h"), UInt8(ascii: "g"): emit(X)
            case UInt8(ascii: "s"), UInt8(ascii: "z"): emit(S)
            case UInt8(ascii: "c"):
                // ц before a vowel, at the end and in Polish -cki/-cka; k elsewhere (Victor).
                if d == 0 || isVowel(d) || d == UInt8(ascii: "k") { emit(S) } else { emit(UInt8(ascii: "k")) }
            case UInt8(ascii: "x"): emit(UInt8(ascii: "k")); emit(S)
            case UInt8(ascii: "w"), UInt8(ascii: "v"): emit(UInt8(ascii: "v"))
            case UInt8(ascii: "q"): emit(UInt8(ascii: "k"))
            case UInt8(ascii: "a"), UInt8(ascii: "o"): emitVowel(UInt8(ascii: "a"))
            case UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "y"), UInt8(ascii: "j"):
                emitVowel(UInt8(ascii: "i"))
            case UInt8(ascii: "u"): emitVowel(UInt8(ascii: "u"))
            default: emit(c)
            }
            i += 1
        }
        if out.isEmpty && n > 0 { out.append(UInt8(ascii: "A")) }
        return out
    }

    @inline(__always)
    static func isVowel(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"),
             UInt8(ascii: "u"), UInt8(ascii: "y"), UInt8(ascii: "j"):
            return true
        default: return false
        }
    }
}

/// FNV-1a over bytes, with a seed so that keys of different fields never collide by design.
@inline(__always)
func fnv1a(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
