// Small building blocks shared by the message codecs: a reader that throws ProtocolError, vector
// encoding, hex and UTC timestamps for the JSON wrappers. Inside the module only, except
// `UTCTimestamp`, which callers need to produce the strings certificates carry.

import RegistryCore

/// A ``ByteReader`` whose every read is bounds-checked and reports ``ProtocolError`` naming the
/// structure being decoded (`place`), so no decoder leaks RegistryCore's error type.
struct WireReader {
    var reader: ByteReader
    let place: String

    init(_ bytes: [UInt8], place: String) {
        reader = ByteReader(bytes)
        self.place = place
    }

    var remaining: Int { reader.remaining }
    var isAtEnd: Bool { reader.isAtEnd }

    private func lift(_ error: CoreError) -> ProtocolError {
        if error.context.hasPrefix("truncated") { return ProtocolError(.malformed, "\(place): \(error.context)") }
        return ProtocolError(error, in: place)
    }

    mutating func byte() throws(ProtocolError) -> UInt8 {
        do throws(CoreError) { return try reader.byte() } catch { throw lift(error) }
    }

    mutating func varint() throws(ProtocolError) -> UInt64 {
        do throws(CoreError) { return try reader.varint() } catch { throw lift(error) }
    }

    /// A count that must fit in what remains, given that each item takes at least `minimumItemBytes`.
    mutating func count(minimumItemBytes: Int) throws(ProtocolError) -> Int {
        let value = try varint()
        guard value <= UInt64(remaining / max(minimumItemBytes, 1)) else {
            throw ProtocolError(.malformed, "\(place): count \(value) exceeds what remains")
        }
        return Int(value)
    }

    /// A signed varint (zigzag).
    mutating func zigzag() throws(ProtocolError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func fixed64() throws(ProtocolError) -> UInt64 {
        do throws(CoreError) { return try reader.fixed64() } catch { throw lift(error) }
    }

    mutating func raw(_ count: Int) throws(ProtocolError) -> [UInt8] {
        do throws(CoreError) { return Array(try reader.raw(count)) } catch { throw lift(error) }
    }

    mutating func string(maxBytes: Int = 4096) throws(ProtocolError) -> String {
        let text: String
        do throws(CoreError) { text = try reader.string() } catch { throw lift(error) }
        guard text.utf8.count <= maxBytes else { throw ProtocolError(.malformed, "\(place): string longer than \(maxBytes) bytes") }
        return text
    }

    mutating func identifier() throws(ProtocolError) -> Identifier128 {
        do throws(CoreError) { return try reader.identifier() } catch { throw lift(error) }
    }

    mutating func body(origin: ReplicaID) throws(ProtocolError) -> ChangeSet.Content {
        do throws(CoreError) { return try ChangeSetCodec.readBody(from: &reader, origin: origin) } catch { throw lift(error) }
    }

    /// `count, (origin 16, seq varint)*` in ascending origin order.
    mutating func vector() throws(ProtocolError) -> VersionVector {
        let count = try count(minimumItemBytes: 17)
        var counters: [ReplicaID: UInt64] = [:]
        counters.reserveCapacity(count)
        for _ in 0..<count {
            let origin = try identifier()
            let seq = try varint()
            guard counters.updateValue(seq, forKey: origin) == nil else {
                throw ProtocolError(.malformed, "\(place): origin \(origin) twice in a version vector")
            }
        }
        return VersionVector(counters)
    }

    func finish() throws(ProtocolError) {
        guard reader.isAtEnd else { throw ProtocolError(.malformed, "\(place): \(remaining) trailing bytes") }
    }
}

extension ByteWriter {
    /// `count, (origin 16, seq varint)*` in ascending origin order, so equal vectors encode equally.
    mutating func vector(_ vector: VersionVector) {
        let entries = vector.counters.sorted { $0.key < $1.key }
        varint(UInt64(entries.count))
        for (origin, seq) in entries {
            identifier(origin)
            varint(seq)
        }
    }

    mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

/// Bytes a varint of `value` takes.
func varintSize(_ value: UInt64) -> Int {
    var value = value
    var size = 1
    while value >= 0x80 {
        value >>= 7
        size += 1
    }
    return size
}


/// UTC timestamps as certificates and enrolment requests carry them: `YYYY-MM-DDTHH:MM:SSZ`
/// (RFC 3339, UTC only; fractional seconds accepted when parsing and ignored past milliseconds).
///
/// Pure arithmetic, no Foundation and no clock: callers pass Unix milliseconds in.
public enum UTCTimestamp {
    /// `1_700_000_000_000` → `"2023-11-14T22:13:20Z"` (whole seconds; milliseconds are dropped).
    public static func format(milliseconds: UInt64) -> String {
        let seconds = Int64(milliseconds / 1000)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// Unix milliseconds of `YYYY-MM-DDTHH:MM:SS[.fff…]Z` (or `+00:00`), or nil for anything else,
    /// including dates before 1970.
    public static func parse(_ text: String) -> UInt64? {
        var chars = Array(text.utf8)
        if chars.count >= 6, Array(chars.suffix(6)) == Array("+00:00".utf8) {
            chars.removeLast(6)
            chars.append(UInt8(ascii: "Z"))
        }
        guard chars.count >= 20, chars.last == UInt8(ascii: "Z"),
            chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"), chars[10] == UInt8(ascii: "T"),
            chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let c = chars[index]
                guard (0x30...0x39).contains(c) else { return nil }
                value = value * 10 + Int64(c - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            year >= 1970, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var millis: Int64 = 0
        let rest = chars[19..<(chars.count - 1)]
        if !rest.isEmpty {
            guard rest.first == UInt8(ascii: "."), rest.count >= 2 else { return nil }
            var scale: Int64 = 100
            for c in rest.dropFirst() {
                guard (0x30...0x39).contains(c) else { return nil }
                millis += Int64(c - 0x30) * scale
                scale /= 10
            }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return UInt64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + UInt64(millis)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's `days_from_civil`.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Howard Hinnant's `civil_from_days`.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
