/// A field value. Identity and list fields hold text; structured entries (a document, a status
/// event, a placement) are flat string maps so they stay easy to encode, compare and review.
public enum Value: Hashable, Sendable {
    case text(String)
    case int(Int64)
    case bool(Bool)
    case object([String: String])

    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    public var object: [String: String]? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// A total order used only to list concurrent values deterministically.
    public static func canonicalOrder(_ lhs: Value, _ rhs: Value) -> Bool {
        if case .text(let left) = lhs, case .text(let right) = rhs { return left < right }
        return ValueCodec.encode(lhs).lexicographicallyPrecedes(ValueCodec.encode(rhs))
    }
}

/// A birth date as people actually know it: full, year and month, or year only.
public struct PartialDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int?
    public let day: Int?

    public init?(year: Int, month: Int? = nil, day: Int? = nil) {
        guard (1800...2200).contains(year) else { return nil }
        if let month, !(1...12).contains(month) { return nil }
        if let day {
            guard let month, (1...PartialDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; anything else is nil.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count),
              parts[0].count == 4, let year = Int(parts[0]),
              parts.dropFirst().allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) })
        else { return nil }
        let month = parts.count > 1 ? Int(parts[1]) : nil
        let day = parts.count > 2 ? Int(parts[2]) : nil
        if parts.count > 1, month == nil { return nil }
        if parts.count > 2, day == nil { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        var text = String(year)
        if let month { text += "-" + (month < 10 ? "0" : "") + String(month) }
        if let day { text += "-" + (day < 10 ? "0" : "") + String(day) }
        return text
    }

    public static func < (lhs: PartialDate, rhs: PartialDate) -> Bool {
        (lhs.year, lhs.month ?? 0, lhs.day ?? 0) < (rhs.year, rhs.month ?? 0, rhs.day ?? 0)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
