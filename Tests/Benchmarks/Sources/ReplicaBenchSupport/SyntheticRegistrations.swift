import Foundation

/// SplitMix64: a tiny seeded generator, so every run (and every machine) gets the same data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Deterministic, realistic-looking registrations of people displaced from Ukraine, as an import file.
///
/// Mix (per row, independently): ~92 % Ukrainian nationals (`UA` or `UKR`), ~8 % third-country
/// nationals without patronymic; ~15 % of Ukrainian names in Cyrillic, the rest in the official
/// Latin transliteration; 97 % full birth dates, 2 % year-month, 1 % year only; adults mostly
/// with a passport (`FE123456`), some with a 9-digit ID card, children with a birth certificate
/// (`I-КИ 123456`); registration times from 2022-02-24 on, in ISO 8601 UTC.
public enum SyntheticRegistrations {
    public static let columns = [
        "record_id", "site_id", "country", "given_name", "family_name", "patronymic", "sex", "birth_date",
        "birth_place", "document_type", "document_number", "nationality", "registered_at",
    ]

    static let maleLatin = ["Oleksandr", "Andrii", "Dmytro", "Serhii", "Volodymyr", "Mykola", "Yurii", "Oleh", "Vasyl", "Ivan",
                            "Taras", "Bohdan", "Maksym", "Artem", "Vitalii", "Roman", "Petro", "Mykhailo", "Yevhen", "Denys"]
    static let femaleLatin = ["Olena", "Iryna", "Nataliia", "Tetiana", "Oksana", "Svitlana", "Yuliia", "Kateryna", "Mariia", "Anna",
                              "Liudmyla", "Halyna", "Viktoriia", "Daryna", "Sofiia", "Alina", "Khrystyna", "Larysa", "Nadiia", "Valentyna"]
    static let maleCyrillic = ["Олександр", "Андрій", "Дмитро", "Сергій", "Володимир", "Микола", "Юрій", "Олег", "Василь", "Іван", "Тарас", "Богдан"]
    static let femaleCyrillic = ["Олена", "Ірина", "Наталія", "Тетяна", "Оксана", "Світлана", "Юлія", "Катерина", "Марія", "Ганна"]
    static let familyLatin = ["Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boiko", "Kovalchuk",
                              "Oliinyk", "Shevchuk", "Polishchuk", "Lysenko", "Marchenko", "Moroz", "Savchenko", "Rudenko", "Petrenko",
                              "Klymenko", "Pavlenko", "Kuzmenko", "Ponomarenko", "Savchuk", "Vasylenko", "Levchenko", "Kharchenko",
                              "Hrytsenko", "Zinchenko", "Karpenko", "Yurchenko", "Ivanenko", "Tymoshenko", "Honcharenko", "Didenko"]
    static let familyCyrillic = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник", "Бойко", "Ковальчук",
                                 "Олійник", "Шевчук", "Поліщук", "Лисенко", "Марченко", "Мороз", "Савченко", "Руденко"]
    /// (male, female) patronymics from the father's given name.
    static let patronymicLatin = [("Oleksandrovych", "Oleksandrivna"), ("Andriiovych", "Andriivna"), ("Dmytrovych", "Dmytrivna"),
                                  ("Serhiiovych", "Serhiivna"), ("Volodymyrovych", "Volodymyrivna"), ("Mykolaiovych", "Mykolaivna"),
                                  ("Yuriiovych", "Yuriivna"), ("Olehovych", "Olehivna"), ("Vasylovych", "Vasylivna"),
                                  ("Ivanovych", "Ivanivna"), ("Petrovych", "Petrivna"), ("Mykhailovych", "Mykhailivna")]
    static let patronymicCyrillic = [("Олександрович", "Олександрівна"), ("Іванович", "Іванівна"), ("Петрович", "Петрівна"),
                                     ("Миколайович", "Миколаївна"), ("Васильович", "Василівна"), ("Сергійович", "Сергіївна")]
    static let placesLatin = ["Kyiv", "Kharkiv", "Odesa", "Dnipro", "Lviv", "Zaporizhzhia", "Mykolaiv", "Mariupol", "Kherson",
                              "Chernihiv", "Sumy", "Poltava", "Vinnytsia", "Zhytomyr", "Kramatorsk", "Bakhmut", "Irpin", "Bucha"]
    static let placesCyrillic = ["Київ", "Харків", "Одеса", "Маріуполь", "Херсон", "Запоріжжя", "Миколаїв"]
    /// Third-country nationals: (nationality, given male, given female, family, birth place).
    static let thirdCountry: [(String, [String], [String], [String], [String])] = [
        ("NG", ["Chinedu", "Emeka"], ["Ngozi", "Amara"], ["Okafor", "Eze", "Adeyemi"], ["Lagos", "Enugu"]),
        ("IN", ["Rahul", "Arjun"], ["Priya", "Ananya"], ["Sharma", "Patel", "Reddy"], ["Delhi", "Hyderabad"]),
        ("GE", ["Giorgi", "Levan"], ["Nino", "Tamar"], ["Beridze", "Kapanadze"], ["Tbilisi", "Batumi"]),
        ("AZE", ["Elvin", "Rashad"], ["Aysel", "Leyla"], ["Aliyev", "Mammadov"], ["Baku", "Ganja"]),
        ("MD", ["Ion", "Vasile"], ["Maria", "Elena"], ["Rusu", "Ceban"], ["Chisinau", "Balti"]),
        ("MAR", ["Youssef", "Karim"], ["Fatima", "Salma"], ["El Amrani", "Benali"], ["Casablanca", "Fes"]),
    ]
    static let passportLetters = Array("ABCEHIKMOPTX")
    static let certificateLetters = Array("АБВГДЕЖКМНОПРСТ")
    static let sites = ["NL-TA-01", "NL-TA-02", "NL-UT-03", "NL-GR-04"]

    /// `count` rows of the 13 import columns, in column order.
    public static func rows(count: Int, seed: UInt64 = 0x2022_0224) -> [[String]] {
        var rng = SplitMix64(seed: seed)
        var rows: [[String]] = []
        rows.reserveCapacity(count)
        let start = 1_645_660_800 // 2022-02-24T00:00:00Z
        for index in 0..<count {
            func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
            func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
            func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(rng.next() % 10)) }) }
            let male = chance(48)
            let year = 1935 + Int(rng.next() % 88) // 1935...2022
            let month = 1 + Int(rng.next() % 12), day = 1 + Int(rng.next() % 28)
            let birthDate: String
            switch rng.next() % 100 {
            case 0: birthDate = String(year)
            case 1...2: birthDate = String(format: "%04d-%02d", year, month)
            default: birthDate = String(format: "%04d-%02d-%02d", year, month, day)
            }
            var given: String, family: String, patronymic: String, place: String, nationality: String
            if chance(8) {
                let (code, males, females, families, places) = pick(thirdCountry)
                given = male ? pick(males) : pick(females)
                family = pick(families)
                patronymic = ""
                place = pick(places)
                nationality = code
            } else if chance(15) {
                given = male ? pick(maleCyrillic) : pick(femaleCyrillic)
                family = pick(familyCyrillic)
                let pair = pick(patronymicCyrillic)
                patronymic = male ? pair.0 : pair.1
                place = pick(placesCyrillic)
                nationality = chance(60) ? "UA" : "UKR"
            } else {
                given = male ? pick(maleLatin) : pick(femaleLatin)
                family = pick(familyLatin)
                let pair = pick(patronymicLatin)
                patronymic = male ? pair.0 : pair.1
                place = pick(placesLatin)
                nationality = chance(60) ? "UA" : "UKR"
            }
            if chance(3) { family += "-" + pick(familyLatin) } // double-barrelled
            let documentType: String, documentNumber: String
            if year >= 2008 {
                documentType = "BIRTH_CERTIFICATE"
                documentNumber = "I-" + String(pick(certificateLetters)) + String(pick(certificateLetters)) + " " + digits(6)
            } else if chance(12) {
                documentType = "ID_CARD"
                documentNumber = digits(9)
            } else {
                documentType = "PASSPORT"
                documentNumber = String(pick(passportLetters)) + String(pick(passportLetters)) + digits(6)
            }
            let registered = Date(timeIntervalSince1970: TimeInterval(start + Int(rng.next() % 88_000_000)))
            rows.append([
                String(format: "UA-IMP-%07d", index + 1), pick(sites), "NL", given, family, patronymic, male ? "M" : "F",
                birthDate, place, documentType, documentNumber, nationality, isoFormatter.string(from: registered),
            ])
        }
        return rows
    }

    nonisolated(unsafe) static let isoFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()

    /// The rows as a CSV file with a header (no field needs quoting: the generator emits no comma or quote).
    public static func csv(_ rows: [[String]]) -> String {
        var text = columns.joined(separator: ",") + "\n"
        for row in rows { text += row.joined(separator: ",") + "\n" }
        return text
    }

    /// Writes `count` rows to `path`; returns the file size in bytes.
    @discardableResult
    public static func writeCSV(count: Int, to path: String, seed: UInt64 = 0x2022_0224) throws -> Int {
        let data = Data(csv(rows(count: count, seed: seed)).utf8)
        try data.write(to: URL(fileURLWithPath: path))
        return data.count
    }
}
