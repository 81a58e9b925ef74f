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
    public private(set) var values: [String: String]

    /// Keeps non-empty values, trimmed; unknown keys stay so validation can name them.
    public init(_ values: [String: String]) {
        self.values = values.compactMapValues { value in
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    public subscript(column: String) -> String? { values[column] }

    /// Every problem with this row; empty when it can be stored. `requireName` is off for partial edits.
    public func validate(line: Int, requireName: Bool = true) -> [InputIssue] {
        var issues: [InputIssue] = []
        func issue(_ column: String, _ reason: String) { issues.append(InputIssue(line: line, column: column, reason: reason)) }
        for column in values.keys.sorted() where !RegistrationColumns.input.contains(column) {
            issue(column, "unknown column")
        }
        if requireName, values["given_name"] == nil, values["family_name"] == nil {
            issue("family_name", "a registration needs a given or a family name")
        }
        for column in ["record_id", "site_id", "given_name", "family_name", "patronymic", "birth_place", "document_number"] {
            guard let value = values[column] else { continue }
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                issue(column, "contains control characters")
            } else if value.count > 200 {
                issue(column, "longer than 200 characters")
            }
        }
        if let country = values["country"], !CountryCode.isAlpha2(country) {
            issue("country", "not an ISO 3166 alpha-2 code")
        }
        if let sex = values["sex"], !["F", "M", "X"].contains(sex.uppercased()) {
            issue("sex", "must be F, M, X or empty")
        }
        if let date = values["birth_date"] {
            if let parsed = PartialDate(date) {
                if parsed.year > Calendar(identifier: .gregorian).component(.year, from: Date()) { issue("birth_date", "in the future") }
            } else {
                issue("birth_date", "must be YYYY-MM-DD, YYYY-MM or YYYY")
            }
        }
        if let type = values["document_type"], !RegistrationColumns.documentTypes.contains(type.uppercased()) {
            issue("document_type", "must be one of " + RegistrationColumns.documentTypes.joined(separator: ", "))
        }
        if values["document_type"] != nil, values["document_number"] == nil {
            issue("document_number", "a document type needs a number")
        }
        if let nationality = values["nationality"], CountryCode.alpha3(nationality) == nil {
            issue("nationality", "not an ISO 3166 alpha-2 or alpha-3 code")
        }
        if let stamp = values["registered_at"], Self.parseTimestamp(stamp) == nil {
            issue("registered_at", "not an ISO 8601 date-time")
        }
        return issues
    }

    /// The edit operations that store this input (after validation).
    func operations(defaultSite: String, defaultCountry: String, now: Date) -> [RecordEdit.Operation] {
        func set(_ column: String, _ value: Value?) -> RecordEdit.Operation {
            .set(Schema.registration[column]!.id, value)
        }
        var operations: [RecordEdit.Operation] = []
        for column in ["record_id", "given_name", "family_name", "patronymic", "birth_date", "birth_place"] {
            if let value = values[column] { operations.append(set(column, .text(value.precomposedStringWithCanonicalMapping))) }
        }
        operations.append(set("site_id", .text(values["site_id"] ?? defaultSite)))
        operations.append(set("country", .text((values["country"] ?? defaultCountry).uppercased())))
        if let sex = values["sex"] { operations.append(set("sex", .text(sex.uppercased()))) }
        if let nationality = values["nationality"] { operations.append(set("nationality", .text(nationality.uppercased()))) }
        let registeredAt = values["registered_at"].flatMap(Self.parseTimestamp) ?? now
        operations.append(set("registered_at", .int(Int64(registeredAt.timeIntervalSince1970 * 1000))))
        if let number = values["document_number"] {
            let type = values["document_type"]?.uppercased() ?? "OTHER"
            operations.append(.add(Schema.registration["documents"]!.id, .object(["type": type, "number": number])))
        }
        return operations
    }

    /// ISO 8601 with or without fractional seconds or offset; a bare date means midnight UTC.
    static func parseTimestamp(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        return dateOnly.date(from: text)
    }

    static func formatTimestamp(milliseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
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
