/// How strongly one field agreed in a compared pair.
public enum Agreement: String, Sendable, CustomStringConvertible {
    case exact, phonetic, skeleton, fuzzy, near, partial, sameYear, similar, agree, disagree, missing

    public var description: String { rawValue }

    static func of(field: MatchField, level: UInt8) -> Agreement {
        if level == ComparisonVector.missing { return .missing }
        if level == 0 { return .disagree }
        switch field {
        case .givenName, .familyName: return [.disagree, .fuzzy, .skeleton, .phonetic, .exact][Int(level)]
        case .patronymic: return level == 2 ? .phonetic : .similar
        case .birthDate: return [.disagree, .sameYear, .partial, .near, .exact, .partial][Int(level)]
        case .birthPlace, .address: return level == 2 ? .exact : .similar
        case .document: return level == 2 ? .exact : .near
        case .sex, .nationality: return .agree
        }
    }
}

/// One field's part in a pair's score.
public struct FieldEvidence: Sendable, CustomStringConvertible {
    public let field: MatchField
    public let agreement: Agreement
    /// log2 Bayes factor this field contributed (0 when missing).
    public let weight: Double

    public var description: String {
        if agreement == .missing { return "\(field): missing" }
        let w = Double(Int((weight * 10).rounded())) / 10
        return "\(field): \(agreement) (\(w >= 0 ? "+" : "")\(w))"
    }
}

/// Why a pair scored as it did: field names and agreement levels, never the values compared,
/// so an explanation can be logged and shown to a reviewer without exposing personal data.
public struct MatchExplanation: Sendable, CustomStringConvertible {
    public let fields: [FieldEvidence]
    /// The names agreed only with given and family name swapped.
    public let namesSwapped: Bool
    /// The pair scored as a match but clustering kept it apart (no supported cluster edge).
    public internal(set) var unsupportedByCluster: Bool = false
    /// Another pair of members of the same two households matched (a household registered
    /// again elsewhere): the weight includes ``MatchConfiguration/householdSupportWeight``.
    public internal(set) var householdSupport: Bool = false

    init(vector: ComparisonVector, model: MatchModel) {
        fields = MatchField.allCases.map { field in
            let level = vector[field.rawValue]
            let weight = level == ComparisonVector.missing ? 0 : model.weights[field.rawValue][Int(level)]
            return FieldEvidence(field: field, agreement: .of(field: field, level: level), weight: weight)
        }
        namesSwapped = vector.namesSwapped
    }

    public var description: String {
        var parts = fields.filter { $0.agreement != .missing }.map(\.description)
        if namesSwapped { parts.append("given and family names swapped") }
        if householdSupport { parts.append("another member of both households matched") }
        if unsupportedByCluster { parts.append("not supported by its cluster") }
        return parts.joined(separator: ", ")
    }
}
