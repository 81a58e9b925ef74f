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

    /// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (ASCII digits); anything else is nil.
    public init?(_ text: some StringProtocol) {
        var digits: [Int] = []  // the number of each dash-separated part, -1 when not all digits
        var lengths: [Int] = []
        var current = 0, length = 0, valid = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: "-") {
                digits.append(valid ? current : -1)
                lengths.append(length)
                (current, length, valid) = (0, 0, true)
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), length < 4 {
                current = current * 10 + Int(byte - UInt8(ascii: "0"))
                length += 1
            } else {
                valid = false
                length += 1
            }
        }
        digits.append(valid ? current : -1)
        lengths.append(length)
        guard (1...3).contains(digits.count), lengths[0] == 4, lengths.dropFirst().allSatisfy({ $0 == 2 }), !digits.contains(-1) else { return nil }
        self.init(year: digits[0], month: digits.count > 1 ? digits[1] : nil, day: digits.count > 2 ? digits[2] : nil)
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
