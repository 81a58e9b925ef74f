import Foundation

/// Deterministic synthetic registrations for demos and benchmarks: no real person is in them.
///
/// Names are drawn in Cyrillic and in the Latin spellings clerks use, so search and duplicate
/// detection have something real to do.
public struct SampleRegistrations: Sequence, IteratorProtocol {
    private var state: UInt64
    private let tag: String
    private var index = 0
    public let count: Int
    public let site: String

    public init(count: Int, seed: UInt64 = 2022_02_24, site: String = "") {
        self.count = count
        state = seed
        tag = String(seed % 46_656, radix: 36, uppercase: true)
        self.site = site
    }

    static let givenNames = [
        ("Олександр", ["Oleksandr", "Aleksandr", "Olexandr"]), ("Олена", ["Olena", "Elena", "Olena"]),
        ("Юлія", ["Yuliia", "Julija", "Iuliia"]), ("Андрій", ["Andrii", "Andriy", "Andrij"]),
        ("Наталія", ["Nataliia", "Natalia", "Natalija"]), ("Дмитро", ["Dmytro", "Dmitro", "Dmytro"]),
        ("Ірина", ["Iryna", "Irina", "Iryna"]), ("Сергій", ["Serhii", "Sergiy", "Serhij"]),
        ("Оксана", ["Oksana", "Oksana", "Oxana"]), ("Микола", ["Mykola", "Mikola", "Nikolaj"]),
        ("Марія", ["Mariia", "Maria", "Marija"]), ("Тарас", ["Taras", "Taras", "Taras"]),
        ("Віктор", ["Viktor", "Wiktor", "Viktor"]), ("Тетяна", ["Tetiana", "Tatiana", "Tetjana"]),
        ("Богдан", ["Bohdan", "Bogdan", "Bohdan"]), ("Людмила", ["Liudmyla", "Ludmila", "Ljudmyla"]),
        ("Василь", ["Vasyl", "Wasyl", "Vasil"]), ("Галина", ["Halyna", "Galina", "Halina"]),
        ("Петро", ["Petro", "Petr", "Petro"]), ("Світлана", ["Svitlana", "Swetlana", "Svitlana"]),
        ("Іван", ["Ivan", "Iwan", "Ivan"]), ("Катерина", ["Kateryna", "Katerina", "Katarzyna"]),
        ("Юрій", ["Yurii", "Jurij", "Yuriy"]), ("Валентина", ["Valentyna", "Walentyna", "Valentina"]),
        ("Олег", ["Oleh", "Oleg", "Oleh"]), ("Анастасія", ["Anastasiia", "Anastasia", "Anastasija"]),
        ("Михайло", ["Mykhailo", "Michail", "Mychajlo"]), ("Софія", ["Sofiia", "Sofia", "Zofia"]),
        ("Євген", ["Yevhen", "Evgen", "Jewhen"]), ("Вікторія", ["Viktoriia", "Wiktoria", "Viktoria"]),
    ]
    static let familyNames = [
        ("Коваленко", ["Kovalenko", "Kowalenko"]), ("Шевченко", ["Shevchenko", "Szewczenko"]),
        ("Бондаренко", ["Bondarenko", "Bondarenko"]), ("Ткаченко", ["Tkachenko", "Tkatschenko"]),
        ("Кравченко", ["Kravchenko", "Krawczenko"]), ("Мельник", ["Melnyk", "Melnik"]),
        ("Петренко", ["Petrenko", "Petrenko"]), ("Гончаренко", ["Honcharenko", "Gontscharenko"]),
        ("Лисенко", ["Lysenko", "Lissenko"]), ("Захарченко", ["Zakharchenko", "Sacharczenko"]),
        ("Бойко", ["Boiko", "Bojko"]), ("Ковальчук", ["Kovalchuk", "Kowalczuk"]), ("Олійник", ["Oliinyk", "Olijnyk"]),
        ("Шевчук", ["Shevchuk", "Szewczuk"]), ("Поліщук", ["Polishchuk", "Poliszczuk"]), ("Ткачук", ["Tkachuk", "Tkaczuk"]),
        ("Марченко", ["Marchenko", "Martschenko"]), ("Савченко", ["Savchenko", "Sawczenko"]), ("Руденко", ["Rudenko", "Rudenko"]),
        ("Мороз", ["Moroz", "Moros"]), ("Павленко", ["Pavlenko", "Pawlenko"]), ("Левченко", ["Levchenko", "Lewczenko"]),
        ("Харченко", ["Kharchenko", "Charczenko"]), ("Карпенко", ["Karpenko", "Karpenko"]), ("Яковенко", ["Yakovenko", "Jakowenko"]),
        ("Кузьменко", ["Kuzmenko", "Kusmenko"]), ("Романенко", ["Romanenko", "Romanenko"]), ("Сидоренко", ["Sydorenko", "Sidorenko"]),
        ("Василенко", ["Vasylenko", "Wasylenko"]), ("Клименко", ["Klymenko", "Klimenko"]), ("Остапенко", ["Ostapenko", "Ostapenko"]),
        ("Гриценко", ["Hrytsenko", "Gritsenko"]), ("Литвиненко", ["Lytvynenko", "Litwinenko"]), ("Мартинюк", ["Martyniuk", "Martyniuk"]),
        ("Кравчук", ["Kravchuk", "Krawczuk"]), ("Панченко", ["Panchenko", "Pantschenko"]), ("Дмитренко", ["Dmytrenko", "Dmitrenko"]),
        ("Назаренко", ["Nazarenko", "Nasarenko"]),
    ]
    static let places = [
        "Kharkiv", "Kyiv", "Odesa", "Zhytomyr", "Dnipro", "Mariupol", "Lviv", "Kherson", "Zaporizhzhia", "Mykolaiv",
        "Chernihiv", "Sumy", "Poltava", "Vinnytsia", "Kramatorsk", "Bakhmut", "Melitopol", "Cherkasy", "Izium", "Irpin",
    ]

    private mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }

    /// One registration as import columns.
    public mutating func next() -> [String: String]? {
        guard index < count else { return nil }
        index += 1
        let given = Self.givenNames[next(Self.givenNames.count)]
        let family = Self.familyNames[next(Self.familyNames.count)]
        let cyrillic = next(4) == 0
        let spelling = next(3)
        var row: [String: String] = [
            "record_id": "\(site.isEmpty ? "R" : site)-\(tag)-\(index)",
            "given_name": cyrillic ? given.0 : given.1[spelling],
            "family_name": cyrillic ? family.0 : family.1[spelling % family.1.count],
            "sex": ["F", "M"][next(2)],
            "birth_date": String(format: "%04d-%02d-%02d", 1940 + next(80), 1 + next(12), 1 + next(28)),
            "birth_place": Self.places[next(Self.places.count)],
            "document_type": "PASSPORT",
            "document_number": "F\(["E", "K", "M"][next(3)])\(100_000 + next(900_000))",
            "nationality": next(10) == 0 ? ["MDA", "NGA", "IND", "BY"][next(4)] : ["UA", "UKR"][next(2)],
            "registered_at": String(format: "2022-%02d-%02dT%02d:%02d:00Z", 3 + next(9), 1 + next(28), 8 + next(10), next(60)),
        ]
        if !site.isEmpty { row["site_id"] = site }
        return row
    }

    /// The whole set as a CSV file with the import header.
    public static func csv(count: Int, seed: UInt64 = 2022_02_24, site: String = "") -> String {
        let columns = RegistrationColumns.input
        var text = CSV.line(columns)
        for row in SampleRegistrations(count: count, seed: seed, site: site) { text += CSV.line(columns.map { row[$0] ?? "" }) }
        return text
    }
}
