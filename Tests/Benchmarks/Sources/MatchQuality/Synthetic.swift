import Foundation
import RegistryMatching

// A hard synthetic registration set with known truth, generated deterministically from a seed.
//
// People live in households (singles, couples, parents with children, three generations, large
// families; twins with similar or unrelated names; sons named after their father; grandmother and
// granddaughter with one name). A household registers at one site; some register again at other
// sites (the "multiple registration" to detect), some members individually. Each registration is
// typed by a clerk of one habit — KMU 55 passport copy, pre-2010 passport, Russian form of the name
// (Soviet documents), Polish, Czech, German, Dutch, French, English by ear, or Cyrillic (Ukrainian
// or Russian form) — and then damaged: typos, capitals, feminine/masculine surname confusion and
// Czech -ová, given/family swap, patronymic missing, glued or separate, day/month swap, digit typo,
// partial or missing dates, wrong or missing sex, place of birth as exonym, Soviet-era name,
// Russian form or missing, nationality as alpha-2/alpha-3/name or missing, a different subset of
// the person's 1–3 documents with separators, Cyrillic series letters, O/0 confusions and typos.

struct SyntheticSet {
    var records: [PersonRecord]
    var entity: [String]
}

struct Person {
    var id: Int
    var female: Bool
    var given: Int  // index into the sex's name table
    var surname: Int
    var fatherGiven: Int?  // male table index
    var year: Int, month: Int, day: Int
    var place: Int
    var nationality: String
    var documents: [String]
}

struct SyntheticGenerator {
    var rng: SplitMix
    var nextPerson = 0
    var nextHousehold = 0
    var nextDocument = 100_000

    init(seed: UInt64) { rng = SplitMix(seed: seed) }

    // MARK: Tables (Ukrainian Cyrillic, Russian form)

    static let male: [(String, String)] = [
        ("Олександр", "Александр"), ("Сергій", "Сергей"), ("Андрій", "Андрей"), ("Володимир", "Владимир"),
        ("Дмитро", "Дмитрий"), ("Микола", "Николай"), ("Іван", "Иван"), ("Юрій", "Юрий"), ("Віктор", "Виктор"),
        ("Василь", "Василий"), ("Михайло", "Михаил"), ("Олег", "Олег"), ("Ігор", "Игорь"), ("Петро", "Пётр"),
        ("Анатолій", "Анатолий"), ("Віталій", "Виталий"), ("Богдан", "Богдан"), ("Максим", "Максим"),
        ("Артем", "Артём"), ("Денис", "Денис"), ("Роман", "Роман"), ("Тарас", "Тарас"), ("Євген", "Евгений"),
        ("Ярослав", "Ярослав"), ("Степан", "Степан"), ("Павло", "Павел"), ("Григорій", "Григорий"),
        ("Валерій", "Валерий"), ("Костянтин", "Константин"), ("Руслан", "Руслан"), ("Вадим", "Вадим"),
        ("Назар", "Назар"), ("Данило", "Даниил"), ("Кирило", "Кирилл"), ("Ілля", "Илья"), ("Матвій", "Матвей"),
        ("Тимофій", "Тимофей"), ("Остап", "Остап"), ("Федір", "Фёдор"), ("Антон", "Антон"), ("Леонід", "Леонид"),
        ("Борис", "Борис"), ("Геннадій", "Геннадий"), ("Олексій", "Алексей"), ("Станіслав", "Станислав"),
    ]
    static let female: [(String, String)] = [
        ("Олена", "Елена"), ("Наталія", "Наталья"), ("Тетяна", "Татьяна"), ("Ірина", "Ирина"), ("Оксана", "Оксана"),
        ("Юлія", "Юлия"), ("Світлана", "Светлана"), ("Ольга", "Ольга"), ("Марія", "Мария"), ("Ганна", "Анна"),
        ("Людмила", "Людмила"), ("Галина", "Галина"), ("Валентина", "Валентина"), ("Катерина", "Екатерина"),
        ("Вікторія", "Виктория"), ("Анастасія", "Анастасия"), ("Надія", "Надежда"), ("Лариса", "Лариса"),
        ("Інна", "Инна"), ("Алла", "Алла"), ("Віра", "Вера"), ("Любов", "Любовь"), ("Ніна", "Нина"),
        ("Дарина", "Дарина"), ("Софія", "София"), ("Мар'яна", "Марьяна"), ("Олександра", "Александра"),
        ("Христина", "Кристина"), ("Яна", "Яна"), ("Аліна", "Алина"), ("Діана", "Диана"), ("Вероніка", "Вероника"),
        ("Соломія", "Соломия"), ("Злата", "Злата"), ("Євгенія", "Евгения"), ("Лілія", "Лилия"),
        ("Ангеліна", "Ангелина"), ("Уляна", "Ульяна"), ("Зоряна", "Зоряна"), ("Поліна", "Полина"),
        ("Богдана", "Богдана"), ("Ярослава", "Ярослава"), ("Іванна", "Иванна"),
    ]
    /// Twin name pairs (male index, female index) that look alike.
    static let similarTwins: [(String, String)] = [
        ("Олег", "Ольга"), ("Іван", "Іванна"), ("Богдан", "Богдана"), ("Ярослав", "Ярослава"),
        ("Олександр", "Олександра"), ("Євген", "Євгенія"), ("Данило", "Дарина"), ("Віктор", "Вікторія"),
    ]
    static let surnames: [String] = [
        "Мельник", "Шевченко", "Коваленко", "Бондаренко", "Бойко", "Ткаченко", "Кравченко", "Ковальчук", "Коваль",
        "Олійник", "Шевчук", "Поліщук", "Бондар", "Ткачук", "Марченко", "Лисенко", "Мороз", "Руденко", "Савченко",
        "Петренко", "Клименко", "Павленко", "Кравчук", "Кузьменко", "Левченко", "Іваненко", "Гончаренко",
        "Харченко", "Литвиненко", "Карпенко", "Мельничук", "Романенко", "Сидоренко", "Костенко", "Гриценко",
        "Гуменюк", "Головко", "Мартинюк", "Тимошенко", "Грищенко", "Панченко", "Захарченко", "Демченко",
        "Яковенко", "Щербак", "Ковальський", "Вишневський", "Савицький", "Кравецький", "Левицький", "Білецький",
        "Чорний", "Білий", "Зелений", "Іванов", "Петров", "Сидоров", "Кузнєцов", "Попов", "Волков", "Морозов",
        "Жук", "Журавель", "Кожем'якін", "Юрченко", "Єременко", "Щербина", "Хоменко", "Хмара", "Гаврилюк",
        "Приходько", "Гладкий", "Дячук", "Ярошенко", "Чумак", "Федорчук", "Степаненко", "Ляшенко", "Соловйов",
        "Зінченко", "Зайченко", "Вакуленко", "Остапчук", "Власенко", "Пономаренко", "Гнатюк", "Кучер", "Швець",
    ]
    /// Birth places: Ukrainian, Russian form, older or foreign names (exonyms, Soviet-era names).
    static let places: [(String, String, [String])] = [
        ("Київ", "Киев", ["Kiev", "Kijów", "Kiew"]), ("Харків", "Харьков", ["Kharkov", "Charków", "Charkiw"]),
        ("Одеса", "Одесса", ["Odessa", "Odessa", "Odesa"]),
        ("Дніпро", "Днепр", ["Dnipropetrovsk", "Dnepropetrovsk", "Dnipropetrowsk", "Днепропетровск"]),
        ("Львів", "Львов", ["Lwów", "Lemberg", "Lvov"]), ("Запоріжжя", "Запорожье", ["Zaporozhye", "Saporischschja"]),
        ("Житомир", "Житомир", ["Żytomierz", "Schytomyr", "Zhitomir"]),
        ("Кропивницький", "Кропивницкий", ["Kirovohrad", "Kirovograd", "Кировоград"]),
        ("Миколаїв", "Николаев", ["Nikolaev", "Nikolajew"]), ("Маріуполь", "Мариуполь", ["Mariupol"]),
        ("Херсон", "Херсон", ["Cherson"]), ("Чернігів", "Чернигов", ["Chernigov", "Czernihów"]),
        ("Суми", "Сумы", ["Sumy"]), ("Полтава", "Полтава", ["Poltawa"]), ("Вінниця", "Винница", ["Vinnitsa", "Winnica"]),
        ("Черкаси", "Черкассы", ["Cherkassy", "Tscherkassy"]), ("Донецьк", "Донецк", ["Donezk"]),
        ("Луганськ", "Луганск", ["Lugansk"]), ("Краматорськ", "Краматорск", ["Kramatorsk"]),
        ("Бахмут", "Артемовск", ["Artemivsk", "Artemovsk"]), ("Біла Церква", "Белая Церковь", ["Biała Cerkiew"]),
        ("Кривий Ріг", "Кривой Рог", ["Krivoy Rog", "Krzywy Róg"]), ("Мелітополь", "Мелитополь", ["Melitopol"]),
        ("Ізюм", "Изюм", ["Izium"]), ("Куп'янськ", "Купянск", ["Kupiansk"]), ("Ніжин", "Нежин", ["Nizhyn"]),
        ("Умань", "Умань", ["Humań"]), ("Конотоп", "Конотоп", ["Konotop"]), ("Ірпінь", "Ирпень", ["Irpin"]),
        ("Буча", "Буча", ["Bucha"]), ("Шостка", "Шостка", ["Shostka"]), ("Ковель", "Ковель", ["Kowel"]),
    ]

    // MARK: Generation

    mutating func generate(persons target: Int) -> SyntheticSet {
        var records: [PersonRecord] = []
        var entity: [String] = []
        records.reserveCapacity(target * 13 / 10)
        var made = 0
        while made < target {
            let household = makeHousehold()
            made += household.count
            // First registration of the whole household at one site.
            var registrations = 1
            let r = rng.unit()
            if r < 0.28 { registrations = 2 } else if r < 0.33 { registrations = 3 }
            for k in 0..<registrations {
                let site = rng.int(40)
                let hh = "H\(nextHousehold)"; nextHousehold += 1
                // A repeat registration may cover only part of the household.
                let members = k == 0 ? household : household.filter { _ in rng.unit() < 0.8 }
                for p in members {
                    records.append(render(p, household: hh, site: "S\(site)", index: records.count))
                    entity.append("P\(p.id)")
                }
            }
            // Individual re-registration of one adult.
            if rng.unit() < 0.04, let p = household.first {
                let hh = "H\(nextHousehold)"; nextHousehold += 1
                records.append(render(p, household: hh, site: "S\(rng.int(40))", index: records.count))
                entity.append("P\(p.id)")
            }
        }
        return SyntheticSet(records: records, entity: entity)
    }

    mutating func makePerson(female: Bool, surname: Int, fatherGiven: Int?, year: Int, given: Int? = nil,
                             month: Int? = nil, day: Int? = nil, place: Int? = nil) -> Person {
        let g = given ?? zipf(female ? Self.female.count : Self.male.count)
        let m = month ?? (1 + rng.int(12)), d = day ?? (1 + rng.int(28))
        var docs: [String] = []
        let age = 2024 - year
        if rng.unit() < (age >= 16 ? 0.75 : 0.4) { docs.append(passport()) }
        if age >= 14 && rng.unit() < 0.5 { docs.append(String(format9(rng.int(1_000_000_000)))) }
        if age >= 30 && rng.unit() < 0.35 { docs.append(internalPassport()) }
        if age < 16 && rng.unit() < 0.7 { docs.append(birthCertificate()) }
        if docs.isEmpty { docs.append(passport()) }
        let nat = rng.unit() < 0.95 ? "UKR" : ["MDA", "RUS", "GEO", "AZE", "NGA", "IND", "BLR"][rng.int(7)]
        defer { nextPerson += 1 }
        return Person(id: nextPerson, female: female, given: g, surname: surname, fatherGiven: fatherGiven,
                      year: year, month: m, day: d, place: place ?? zipf(Self.places.count), nationality: nat,
                      documents: docs)
    }

    mutating func makeHousehold() -> [Person] {
        let surname = zipf(Self.surnames.count)
        let kind = rng.unit()
        var people: [Person] = []
        let parentYear = 1960 + rng.int(40)
        let place = zipf(Self.places.count)
        let fatherName = zipf(Self.male.count)
        if kind < 0.25 {
            people.append(makePerson(female: rng.unit() < 0.6, surname: zipf(Self.surnames.count),
                                     fatherGiven: zipf(Self.male.count), year: 1940 + rng.int(65)))
            return people
        }
        let mother = makePerson(female: true, surname: surname, fatherGiven: zipf(Self.male.count), year: parentYear)
        people.append(mother)
        let fatherPresent = kind < 0.4 || rng.unit() < 0.3
        if fatherPresent {
            people.append(makePerson(female: false, surname: surname, fatherGiven: zipf(Self.male.count),
                                     year: parentYear - 2 + rng.int(6), given: fatherName))
        }
        if kind >= 0.25 && kind < 0.4 { return people }  // couple
        let children = kind < 0.9 ? 1 + rng.int(3) : 3 + rng.int(4)
        var childYear = max(parentYear + 19, 1985) + rng.int(8)
        var k = 0
        while k < children && childYear <= 2023 {
            if rng.unit() < 0.10 && k + 1 < children + 1 {
                // Twins: same date, surname, patronymic, place.
                let m = 1 + rng.int(12), d = 1 + rng.int(28)
                if rng.unit() < 0.5 {
                    let pair = Self.similarTwins[rng.int(Self.similarTwins.count)]
                    let mi = Self.male.firstIndex { $0.0 == pair.0 }!, fi = Self.female.firstIndex { $0.0 == pair.1 }!
                    people.append(makePerson(female: false, surname: surname, fatherGiven: fatherName, year: childYear,
                                             given: mi, month: m, day: d, place: place))
                    people.append(makePerson(female: true, surname: surname, fatherGiven: fatherName, year: childYear,
                                             given: fi, month: m, day: d, place: place))
                } else {
                    let f1 = rng.unit() < 0.5, f2 = rng.unit() < 0.5
                    let g1 = zipf(f1 ? Self.female.count : Self.male.count)
                    var g2 = zipf(f2 ? Self.female.count : Self.male.count)
                    if f1 == f2 && g1 == g2 { g2 = (g2 + 1) % (f2 ? Self.female.count : Self.male.count) }
                    people.append(makePerson(female: f1, surname: surname, fatherGiven: fatherName, year: childYear,
                                             given: g1, month: m, day: d, place: place))
                    people.append(makePerson(female: f2, surname: surname, fatherGiven: fatherName, year: childYear,
                                             given: g2, month: m, day: d, place: place))
                }
                k += 2
            } else {
                let female = rng.unit() < 0.5
                // A son named after his father.
                let given: Int? = !female && rng.unit() < 0.12 ? fatherName : nil
                people.append(makePerson(female: female, surname: surname, fatherGiven: fatherName, year: childYear,
                                         given: given, place: rng.unit() < 0.7 ? place : nil))
                k += 1
            }
            childYear += 1 + rng.int(4)
        }
        if kind >= 0.75 && kind < 0.9 {
            // Three generations: a grandmother, sometimes sharing a granddaughter's name.
            var gm = makePerson(female: true, surname: surname, fatherGiven: zipf(Self.male.count),
                                year: parentYear - 22 - rng.int(10))
            if let girl = people.first(where: { $0.female && $0.year > parentYear }), rng.unit() < 0.3 { gm.given = girl.given }
            people.append(gm)
        }
        return people
    }

    // MARK: Documents

    mutating func letters(_ n: Int) -> String {
        let abc = Array("ABCEHKMOPTX")
        return String((0..<n).map { _ in abc[rng.int(abc.count)] })
    }
    mutating func passport() -> String { letters(2) + format6(rng.int(1_000_000)) }
    mutating func internalPassport() -> String {
        let cyr = Array("АВЕКМНОРСТХ")
        return String([cyr[rng.int(cyr.count)], cyr[rng.int(cyr.count)]]) + format6(rng.int(1_000_000))
    }
    mutating func birthCertificate() -> String {
        let cyr = Array("АВЕКМНОРСТХ")
        return "I-" + String([cyr[rng.int(cyr.count)], cyr[rng.int(cyr.count)]]) + format6(rng.int(1_000_000))
    }

    // MARK: Rendering one registration

    mutating func render(_ p: Person, household: String, site: String, index: Int) -> PersonRecord {
        let systems: [Translit.System] = [.kmu, .kmu, .oldPassport, .russian, .polish, .czech, .german, .dutch,
                                          .french, .english, .cyrillic, .cyrillicRussian]
        let system = systems[rng.int(systems.count)]
        let russianForm = system == .russian || system == .cyrillicRussian || (p.year < 1985 && rng.unit() < 0.25)
        let table = p.female ? Self.female : Self.male
        let givenCyr = russianForm ? table[p.given].1 : table[p.given].0
        var familyCyr = Self.feminine(Self.surnames[p.surname], female: p.female)
        // Gender-form confusion: a feminine surname recorded in the masculine form or vice versa.
        if rng.unit() < 0.05 { familyCyr = Self.feminine(Self.surnames[p.surname], female: !p.female) }
        if russianForm { familyCyr = Self.russianize(familyCyr) }
        var given = Translit.render(givenCyr, system, rng: &rng)
        var family = Translit.render(familyCyr, system, rng: &rng)
        if system == .czech && p.female && !family.hasSuffix("á") && !family.hasSuffix("a") && rng.unit() < 0.6 {
            family += family.hasSuffix("o") ? "vá" : "ová"  // Czech feminine form of a foreign surname
        }
        var patronymic: String?
        if let father = p.fatherGiven {
            let cyr = Self.patronymic(Self.male[father].0, female: p.female)
            patronymic = Translit.render(russianForm ? Self.russianize(cyr) : cyr, system, rng: &rng)
        }
        given = typo(given, 0.08)
        family = typo(family, 0.08)
        if rng.unit() < 0.3 { family = family.uppercased() }
        if rng.unit() < 0.15 { given = given.uppercased(); family = family.uppercased() }
        // Patronymic: missing, glued to the given name, or in its own field.
        let pr = rng.unit()
        var patronymicField: String? = nil
        if let pat = patronymic {
            if pr < 0.4 { patronymicField = nil } else if pr < 0.5 {
                given = rng.unit() < 0.5 ? given + " " + pat : given + pat.lowercased()
            } else { patronymicField = typo(pat, 0.05) }
        }
        if rng.unit() < 0.04 { swap(&given, &family) }
        // Birth date.
        var m = p.month, d = p.day, y = p.year
        var dateString: String?
        let dr = rng.unit()
        if dr < 0.05 && d <= 12 { swap(&m, &d) }
        else if dr < 0.09 {
            switch rng.int(3) {
            case 0: d = max(1, min(28, d + [-1, 1, 10, -10][rng.int(4)]))
            case 1: y += [-1, 1, -10, 10][rng.int(4)]
            default: m = m == 12 ? 11 : m + 1
            }
        }
        let pr2 = rng.unit()
        if pr2 < 0.03 { dateString = nil } else if pr2 < 0.07 { dateString = "\(y)" }
        else if pr2 < 0.10 { dateString = "\(y)-\(two(m))" }
        else { dateString = rng.unit() < 0.8 ? "\(y)-\(two(m))-\(two(d))" : "\(two(d)).\(two(m)).\(y)" }
        // Sex.
        var sex: String? = p.female ? "F" : "M"
        let sr = rng.unit()
        if sr < 0.06 { sex = nil } else if sr < 0.07 { sex = p.female ? "M" : "F" }
        else if system == .cyrillic || system == .cyrillicRussian { sex = p.female ? "ж" : "ч" }
        // Place of birth.
        var place: String? = nil
        let plr = rng.unit()
        let placeEntry = Self.places[p.place]
        if plr < 0.25 { place = nil }
        else if plr < 0.45 { place = placeEntry.2[rng.int(placeEntry.2.count)] }
        else if plr < 0.55 { place = Translit.render(placeEntry.1, system == .cyrillic ? .cyrillicRussian : system, rng: &rng) }
        else { place = Translit.render(placeEntry.0, system, rng: &rng) }
        if let pl = place { place = typo(pl, 0.04) }
        // Nationality.
        var nationality: String? = p.nationality
        let nr = rng.unit()
        if nr < 0.1 { nationality = nil } else if nr < 0.4 { nationality = alpha2(p.nationality) }
        else if nr < 0.5 && p.nationality == "UKR" { nationality = ["Україна", "Ukraine", "Oekraïne", "Ukraina", "ukrainian"][rng.int(5)] }
        // Documents: a subset, formatted differently, sometimes none.
        var documents: [String] = []
        if rng.unit() > 0.12 {
            for doc in p.documents where rng.unit() < 0.65 { documents.append(formatDocument(doc)) }
            if documents.isEmpty { documents.append(formatDocument(p.documents[rng.int(p.documents.count)])) }
        }
        return PersonRecord(
            id: "R\(index)", givenName: given, familyName: family, patronymic: patronymicField, sex: sex,
            birthDate: dateString, birthPlace: place, nationality: nationality, documentNumbers: documents,
            householdID: household, siteID: site)
    }

    mutating func formatDocument(_ doc: String) -> String {
        var chars = Array(doc)
        // Cyrillic series typed as Latin look-alikes or transliterated.
        let latinLook: [Character: Character] = ["А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
                                                 "Р": "P", "С": "C", "Т": "T", "Х": "X"]
        let latinTranslit: [Character: Character] = ["А": "A", "В": "V", "Е": "E", "К": "K", "М": "M", "Н": "N",
                                                     "О": "O", "Р": "R", "С": "S", "Т": "T", "Х": "X"]
        let mode = rng.int(3)
        chars = chars.map { c in
            if mode == 1, let l = latinLook[c] { return l }
            if mode == 2, let l = latinTranslit[c] { return l }
            return c
        }
        // O/0 confusion.
        if rng.unit() < 0.15 { chars = chars.map { $0 == "0" ? "O" : $0 } }
        // Typo in one digit.
        if rng.unit() < 0.03, let k = chars.indices.filter({ chars[$0].isNumber }).randomElement(using: &rng) {
            chars[k] = Character(String(rng.int(10)))
        }
        var s = String(chars)
        switch rng.int(4) {
        case 0: s = s.lowercased()
        case 1:
            if let k = s.firstIndex(where: { $0.isNumber }) { s.insert(" ", at: k) }
        case 2:
            if s.count > 6 { s.insert("-", at: s.index(s.startIndex, offsetBy: 2)) }
        default: break
        }
        return s
    }

    // MARK: Helpers

    mutating func typo(_ s: String, _ p: Double) -> String {
        guard rng.unit() < p, s.count > 3 else { return s }
        var c = Array(s)
        let k = 1 + rng.int(c.count - 2)
        switch rng.int(4) {
        case 0: c.remove(at: k)
        case 1: c.insert(c[k], at: k)
        case 2: c.swapAt(k, k - 1)
        default: c[k] = Array("aeiouyklmnrst")[rng.int(13)]
        }
        return String(c)
    }

    mutating func zipf(_ n: Int) -> Int {
        // Zipf-like with exponent ~1: a few common values, a long tail.
        let u = rng.unit()
        let h = Double(n).squareRoot()
        let x = Int((pow(h + 1, u) - 1) * (Double(n) / h))
        return min(n - 1, max(0, x))
    }

    static func feminine(_ surname: String, female: Bool) -> String {
        guard female else { return surname }
        for (m, f) in [("ський", "ська"), ("цький", "цька"), ("ий", "а"), ("ов", "ова"), ("єв", "єва"), ("ін", "іна"),
                       ("йов", "йова")] where surname.hasSuffix(m) {
            return String(surname.dropLast(m.count)) + f
        }
        return surname
    }

    static func russianize(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "і": out.append("и")
            case "І": out.append("И")
            case "ї": out.append("и")
            case "є": out.append("е")
            case "Є": out.append("Е")
            case "ґ": out.append("г")
            case "'": out.append("ь")
            default: out.append(c)
            }
        }
        if out.hasSuffix("ський") { out = String(out.dropLast(5)) + "ский" }
        if out.hasSuffix("цький") { out = String(out.dropLast(5)) + "цкий" }
        if out.hasSuffix("ович") == false && out.hasSuffix("ивна") { out = String(out.dropLast(4)) + "овна" }
        return out
    }

    static func patronymic(_ father: String, female: Bool) -> String {
        var stem = father
        if stem.hasSuffix("о") { stem.removeLast() }
        if stem == "Микола" { return female ? "Миколаївна" : "Миколайович" }
        if stem == "Ілля" { return female ? "Іллівна" : "Ілліч" }
        if stem.hasSuffix("й") {
            return female ? String(stem.dropLast()) + "ївна" : stem + "ович"
        }
        if stem.hasSuffix("ь") { stem.removeLast(); return female ? stem + "івна" : stem + "ьович" }
        return female ? stem + "івна" : stem + "ович"
    }

    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    func format6(_ v: Int) -> String { let s = String(v); return String(repeating: "0", count: 6 - s.count) + s }
    func format9(_ v: Int) -> String { let s = String(v); return String(repeating: "0", count: 9 - s.count) + s }
    func alpha2(_ a3: String) -> String {
        ["UKR": "UA", "MDA": "MD", "RUS": "RU", "GEO": "GE", "AZE": "AZ", "NGA": "NG", "IND": "IN", "BLR": "BY"][a3] ?? a3
    }
}

/// SplitMix64 for the generator.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
