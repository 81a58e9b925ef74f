/// A possibly partial date of birth: a year, a year and month, or a full date.
///
/// Parses `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `YYYYMMDD`, `DD.MM.YYYY` and `DD/MM/YYYY`. A month
/// above 12 with a day of at most 12 is read as a day/month swap and corrected.
public struct BirthDate: Sendable, Hashable {
    public let year: Int
    public let month: Int?
    public let day: Int?

    public init?(year: Int, month: Int? = nil, day: Int? = nil) {
        guard (1800...2200).contains(year) else { return nil }
        if let month, !(1...12).contains(month) { return nil }
        if let day, month == nil || !(1...31).contains(day) { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses a date string; `nil` when it holds no recognisable year.
    public init?(parsing text: String) {
        var groups: [[UInt8]] = []
        var current: [UInt8] = []
        for b in text.utf8 {
            if b >= 0x30 && b <= 0x39 {
                current.append(b - 0x30)
            } else if !current.isEmpty {
                groups.append(current)
                current = []
            }
        }
        if !current.isEmpty { groups.append(current) }
        func number(_ digits: ArraySlice<UInt8>) -> Int { digits.reduce(0) { $0 * 10 + Int($1) } }
        var y: Int?, m: Int?, d: Int?
        switch groups.count {
        case 1:
            let g = groups[0]
            if g.count == 8 {
                y = number(g[0..<4]); m = number(g[4..<6]); d = number(g[6..<8])
            } else if g.count == 6 {
                y = number(g[0..<4]); m = number(g[4..<6])
            } else if g.count == 4 {
                y = number(g[...])
            }
        case 2:
            if groups[0].count == 4 { y = number(groups[0][...]); m = number(groups[1][...]) }
            else if groups[1].count == 4 { y = number(groups[1][...]); m = number(groups[0][...]) }
        case 3:
            if groups[0].count == 4 {
                y = number(groups[0][...]); m = number(groups[1][...]); d = number(groups[2][...])
            } else if groups[2].count == 4 {
                y = number(groups[2][...]); m = number(groups[1][...]); d = number(groups[0][...])
            }
        default: break
        }
        guard let year = y else { return nil }
        if var month = m, var day = d, month > 12, day <= 12 { swap(&month, &day); m = month; d = day }
        if let month = m, month == 0 || month > 12 { m = nil; d = nil }
        if let day = d, day == 0 || day > 31 { d = nil }
        self.init(year: year, month: m, day: d)
    }

    /// True when day and month are both known.
    public var isComplete: Bool { day != nil }

    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    public var isoString: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = "\(year)"
        if let month { s += "-" + two(month) }
        if let day { s += "-" + two(day) }
        return s
    }

    /// Packed as `yyyymmdd` with zeros for unknown parts.
    var packed: Int32 { Int32(year * 10000 + (month ?? 0) * 100 + (day ?? 0)) }
}

/// How two birth dates agree, from strongest to weakest.
enum DateAgreement: UInt8 {
    case disagree = 0
    case sameYear = 1
    /// One date is partial (year or year-month) and consistent with the other.
    case partial = 2
    /// Full dates that differ by a day/month swap, one digit, or two adjacent digits transposed.
    case near = 3
    case exact = 4
    /// One date is partial with a known month, and year and month agree (much rarer by chance
    /// than a year alone; added after the others to keep their numbers).
    case partialMonth = 5

    static func compare(_ a: Int32, _ b: Int32) -> DateAgreement {
        if a == b { return a % 100 != 0 ? .exact : ((a / 100) % 100 != 0 ? .partialMonth : .partial) }
        let ya = a / 10000, yb = b / 10000
        let ma = (a / 100) % 100, mb = (b / 100) % 100
        let da = a % 100, db = b % 100
        if da != 0 && db != 0 {
            if ya == yb && ma == db && da == mb { return .near }
            if digitsNear(a, b) { return .near }
            return ya == yb ? .sameYear : .disagree
        }
        // At least one side partial.
        if ya == yb {
            if ma != 0 && ma == mb { return .partialMonth }
            if ma == 0 || mb == 0 { return .partial }
            return .sameYear
        }
        return .disagree
    }

    /// One substituted digit or two adjacent digits transposed in the eight digits.
    private static func digitsNear(_ a: Int32, _ b: Int32) -> Bool {
        var x = a, y = b
        var first = -1, second = -1, count = 0
        var fa: Int32 = 0, fb: Int32 = 0, sa: Int32 = 0, sb: Int32 = 0
        for k in 0..<8 {
            let p = x % 10, q = y % 10
            x /= 10; y /= 10
            if p != q {
                count += 1
                if count > 2 { return false }
                if count == 1 { first = k; fa = p; fb = q } else { second = k; sa = p; sb = q }
            }
        }
        if count == 1 { return true }
        return count == 2 && second == first + 1 && fa == sb && sa == fb
    }
}
