/// The identity part of one registration, as typed at a site: the input of duplicate detection.
///
/// Every field except `id` is optional in practice: empty strings count as missing. Names may be
/// in Cyrillic or in any Latin spelling; dates may be partial. `description` shows the id only,
/// never personal data.
public struct PersonRecord: Sendable, Hashable, CustomStringConvertible {
    /// External reference of the registration (not personal data; never compared).
    public var id: String
    public var givenName: String
    public var familyName: String
    /// May also be missing here and typed into `givenName` instead; both are handled.
    public var patronymic: String?
    /// "F", "M" or "X" (other letters and words such as "female", "ж", "ч" are understood).
    public var sex: String?
    /// "YYYY-MM-DD", "YYYY-MM" or "YYYY" (also "DD.MM.YYYY" and "YYYYMMDD").
    public var birthDate: String?
    public var birthPlace: String?
    /// ISO 3166 alpha-2 or alpha-3 code, or a country name.
    public var nationality: String?
    /// Numbers of any identity documents (passport, ID card, birth certificate), in any format.
    public var documentNumbers: [String]
    /// Registration context: records typed together for one household. Two records in the same
    /// household are only linked when given name and full birth date agree (twins stay apart).
    public var householdID: String?
    public var siteID: String?
    /// Free-text address, if the data set has one (compared by words; optional).
    public var address: String?

    public init(
        id: String, givenName: String, familyName: String, patronymic: String? = nil, sex: String? = nil,
        birthDate: String? = nil, birthPlace: String? = nil, nationality: String? = nil,
        documentNumbers: [String] = [], householdID: String? = nil, siteID: String? = nil,
        address: String? = nil
    ) {
        self.id = id
        self.givenName = givenName
        self.familyName = familyName
        self.patronymic = patronymic
        self.sex = sex
        self.birthDate = birthDate
        self.birthPlace = birthPlace
        self.nationality = nationality
        self.documentNumbers = documentNumbers
        self.householdID = householdID
        self.siteID = siteID
        self.address = address
    }

    public var description: String { "PersonRecord(\(id))" }
}
