public import RegistryCore
import RegistryStorage
import Foundation

/// The registration columns of imports and exports, in file order. These names are a contract.
public enum RegistrationColumns {
    public static let input = [
        "record_id", "site_id", "country", "given_name", "family_name", "patronymic", "sex", "birth_date",
        "birth_place", "document_type", "document_number", "nationality", "registered_at",
    ]
    /// Exports add the internal id and the current status.
    public static let export = input + ["id", "status"]
    public static let documentTypes = ["PASSPORT", "ID_CARD", "INTERNAL_PASSPORT", "BIRTH_CERTIFICATE", "OTHER"]
}

/// A registration as typed or imported: column name to text, validated before anything is stored.
public struct RegistrationInput: Sendable, Equatable {
    /// The import columns, in file order: what a registration can hold.
    enum Column: Int, CaseIterable {
        case recordID, siteID, country, givenName, familyName, patronymic, sex, birthDate, birthPlace, documentType,
             documentNumber, nationality, registeredAt

        var name: String { RegistrationColumns.input[rawValue] }
        static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })
    }

    /// Values of the import columns by ``Column`` (a row of a file is read into this without hashing a name).
    private var cells: [String?]
    /// Values under other names: kept so validation can name them as unknown columns.
    private var others: [String: String]

    /// Every non-empty value by column name.
    public var values: [String: String] {
        var all = others
        for column in Column.allCases { all[column.name] = cells[column.rawValue] }
        return all
    }

    /// Keeps non-empty values, trimmed; unknown keys stay so validation can name them.
    public init(_ values: [String: String]) {
        self.init(columns: Array(values.keys), cells: Array(values.values))
    }

    /// A row of a file: `cells[i]` is the value of `columns[i]`.
    init(columns: [String], cells: [String]) {
        self.init(columns: columns.map { Column.byName[$0] }, names: columns, cells: cells)
    }

    /// A row of a file whose header was resolved once: `columns[i]` is the column of `cells[i]`
    /// (nil for a name that is not an import column, kept under `names[i]`).
    init(columns: [Column?], names: [String], cells: [String]) {
        var slots = [String?](repeating: nil, count: Column.allCases.count)
        var others: [String: String] = [:]
        for (index, value) in cells.enumerated() where index < columns.count {
            let trimmed = Self.trimmed(value)
            guard !trimmed.isEmpty else { continue }
            if let column = columns[index] { slots[column.rawValue] = trimmed } else { others[names[index]] = trimmed }
        }
        self.cells = slots
        self.others = others
    }

    subscript(_ column: Column) -> String? { cells[column.rawValue] }

    /// Whitespace trimmed from both ends, without Foundation (imports call this for every cell).
    static func trimmed(_ text: String) -> String {
        // Most cells begin and end with a printable ASCII character: nothing to trim, no Unicode lookup.
        if let first = text.utf8.first, let last = text.utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) { return text }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
              first.properties.isWhitespace || last.properties.isWhitespace else { return text }
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }

    public subscript(column: String) -> String? { Column.byName[column].flatMap { cells[$0.rawValue] } ?? others[column] }

    /// Every problem with this row; empty when it can be stored. `requireName` is off for partial edits.
    public func validate(line: Int, requireName: Bool = true) -> [InputIssue] {
        var issues: [InputIssue] = []
        func issue(_ column: String, _ reason: String) { issues.append(InputIssue(line: line, column: column, reason: reason)) }
        for column in others.keys.sorted() { issue(column, "unknown column") }
        if requireName, self[.givenName] == nil, self[.familyName] == nil {
            issue("family_name", "a registration needs a given or a family name")
        }
        for column: Column in [.recordID, .siteID, .givenName, .familyName, .patronymic, .birthPlace, .documentNumber] {
            guard let value = self[column] else { continue }
            // Control characters (general category Cc) are exactly U+0000–U+001F and U+007F–U+009F.
            if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) || (!value.utf8.allSatisfy { $0 < 0x80 } && value.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) })) {
                issue(column.name, "contains control characters")
            } else if value.utf8.count > 200, value.count > 200 {
                issue(column.name, "longer than 200 characters")
            }
        }
        if let country = self[.country], !CountryCode.isAlpha2(country) {
            issue("country", "not an ISO 3166 alpha-2 code")
        }
        if let sex = self[.sex], !["F", "M", "X"].contains(sex.uppercased()) {
            issue("sex", "must be F, M, X or empty")
        }
        if let date = self[.birthDate] {
            if let parsed = PartialDate(date) {
                if parsed.year > Self.currentYear { issue("birth_date", "in the future") }
            } else {
                issue("birth_date", "must be YYYY-MM-DD, YYYY-MM or YYYY")
            }
        }
        if let type = self[.documentType], !RegistrationColumns.documentTypes.contains(type.uppercased()) {
            issue("document_type", "must be one of " + RegistrationColumns.documentTypes.joined(separator: ", "))
        }
        if self[.documentType] != nil, self[.documentNumber] == nil {
            issue("document_number", "a document type needs a number")
        }
        if let nationality = self[.nationality], CountryCode.alpha3(nationality) == nil {
            issue("nationality", "not an ISO 3166 alpha-2 or alpha-3 code")
        }
        if let stamp = self[.registeredAt], Self.parseTimestamp(stamp) == nil {
            issue("registered_at", "not an ISO 8601 date-time")
        }
        return issues
    }

    /// The edit operations that store this input (after validation).
    func operations(defaultSite: String, defaultCountry: String, now: Date) -> [RecordEdit.Operation] {
        var operations: [RecordEdit.Operation] = []
        operations.reserveCapacity(12)
        for (column, field) in Self.composedFields {
            if let value = self[column] { operations.append(.set(field, .text(Self.composed(value)))) }
        }
        operations.append(.set(Fields.siteID, .text(self[.siteID] ?? defaultSite)))
        operations.append(.set(Fields.country, .text((self[.country] ?? defaultCountry).uppercased())))
        if let sex = self[.sex] { operations.append(.set(Fields.sex, .text(sex.uppercased()))) }
        if let nationality = self[.nationality] { operations.append(.set(Fields.nationality, .text(nationality.uppercased()))) }
        let registeredAt = self[.registeredAt].flatMap(Self.parseTimestamp) ?? now
        operations.append(.set(Fields.registeredAt, .int(Int64(registeredAt.timeIntervalSince1970 * 1000))))
        if let number = self[.documentNumber] {
            operations.append(.add(Fields.documents, .object(["type": self[.documentType]?.uppercased() ?? "OTHER", "number": number])))
        }
        return operations
    }

    /// Text columns stored in Unicode normal form C, with their fields.
    static let composedFields: [(Column, FieldID)] = [.recordID, .givenName, .familyName, .patronymic, .birthDate, .birthPlace].map { ($0, Schema.registration[$0.name]!.id) }

    /// Fields an input is stored in (looked up once).
    enum Fields {
        static let siteID = Schema.registration["site_id"]!.id
        static let country = Schema.registration["country"]!.id
        static let sex = Schema.registration["sex"]!.id
        static let nationality = Schema.registration["nationality"]!.id
        static let registeredAt = Schema.registration["registered_at"]!.id
        static let documents = Schema.registration["documents"]!.id
    }

    /// NFC, skipping the (slow) Foundation call for ASCII, which is already composed.
    static func composed(_ text: String) -> String {
        text.utf8.allSatisfy { $0 < 0x80 } ? text : text.precomposedStringWithCanonicalMapping
    }

    static let currentYear = Calendar(identifier: .gregorian).component(.year, from: Date())

    /// ISO 8601 with or without fractional seconds or offset; a bare date means midnight UTC.
    static func parseTimestamp(_ text: String) -> Date? {
        if let date = parseUTCTimestamp(text) { return date }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// Fast path for the common `YYYY-MM-DDTHH:MM:SSZ` (imports have one per row; formatters are slow).
    static func parseUTCTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A, bytes[19] == 0x5A else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              PartialDate(year: year, month: month, day: day) != nil, hour < 24, minute < 60, second < 60
        else { return nil }
        // Days from civil (Howard Hinnant's algorithm), then seconds.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (UTC), without a formatter per call.
    static func formatTimestamp(milliseconds: Int64) -> String {
        let seconds = Int(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}

/// A registration read back for people and exports.
public struct RegistrationRow: Sendable, Equatable {
    public let id: RecordID
    /// Column name to text; conflicting values are joined with " | " so nothing is hidden.
    public let columns: [String: String]
    public let status: String?
    public let conflicts: [String]
    public let isErased: Bool

    init(view: RecordView, catalogue: StatusCatalogue?) {
        id = view.id
        isErased = view.isErased
        var columns: [String: String] = [:]
        for column in ["record_id", "site_id", "country", "given_name", "family_name", "patronymic", "sex", "birth_date", "birth_place", "nationality"] {
            if let text = view.text(column) { columns[column] = text }
        }
        if case .int(let millis)? = view["registered_at"]?.single {
            columns["registered_at"] = RegistrationInput.formatTimestamp(milliseconds: millis)
        }
        if let document = view["documents"]?.values.compactMap(\.object).first {
            columns["document_type"] = document["type"]
            columns["document_number"] = document["number"]
        }
        columns["id"] = view.id.description
        let status = catalogue.map { $0.currentStatus(of: view.statusEvents).code }
        columns["status"] = status
        self.columns = columns
        self.status = status
        conflicts = view.conflicts.map(\.name)
    }
}
