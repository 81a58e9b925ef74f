/// Place names (place of birth) with exonyms and Soviet-era names folded to today's Ukrainian name.
public enum PlaceName {
    /// Today's name in KMU 55 spelling for a known city (any spelling, exonym or former name);
    /// otherwise the canonical form of the first comma-separated part.
    ///
    /// ```swift
    /// PlaceName.canonical("Lwów")            // "lviv"
    /// PlaceName.canonical("Dnipropetrovsk")  // "dnipro"
    /// PlaceName.canonical("Kiev, Ukraine")   // "kyiv"
    /// ```
    public static func canonical(_ text: String) -> String {
        String(decoding: key(text), as: UTF8.self)
    }

    static func key(_ text: String) -> [UInt8] {
        var head = Substring(text)
        if let comma = text.firstIndex(where: { $0 == "," || $0 == "(" || $0 == ";" }) {
            head = text[..<comma]
        }
        var tokens = Transliterator.tokens(String(head))
        // Drop generic words ("city", "m.", "misto", "g.") that clerks prepend.
        tokens.removeAll { generic.contains($0) }
        guard !tokens.isEmpty else { return [] }
        let joined = Array(tokens.joined(separator: [0x20]))
        let skeleton = Array(tokens.map { PhoneticKey.fold($0, mode: .skeleton) }.joined())
        return aliases[skeleton] ?? joined
    }

    private static let generic: Set<[UInt8]> = Set(
        ["m", "g", "misto", "gorod", "city", "stadt", "miasto", "mesto", "ville", "stad", "smt", "s", "selo"]
            .map { Array($0.utf8) })

    /// Skeleton of every alias → today's name.
    static let aliases: [[UInt8]: [UInt8]] = {
        let table: [(String, [String])] = [
            ("kyiv", ["Kiev", "Kijów", "Kiew", "Kyjiw", "Kijev", "Kyjev", "Київ", "Киев"]),
            ("kharkiv", ["Kharkov", "Charkow", "Charków", "Charkiw", "Charkov", "Kharkiv", "Харків", "Харьков"]),
            ("odesa", ["Odessa", "Odesa", "Odesza", "Одеса", "Одесса"]),
            ("dnipro", ["Dnipropetrovsk", "Dnepropetrovsk", "Dnipropetrowsk", "Dniepropietrowsk",
                        "Ekaterinoslav", "Yekaterinoslav", "Katerynoslav", "Dnepr", "Dnipro", "Дніпро",
                        "Дніпропетровськ", "Днепропетровск"]),
            ("kropyvnytskyi", ["Kirovohrad", "Kirovograd", "Kirowohrad", "Kirowograd", "Yelysavethrad",
                               "Elisavetgrad", "Zinovievsk", "Kropyvnytskyi", "Kropywnyzkyj",
                               "Kropywnycki", "Кропивницький", "Кіровоград", "Кировоград"]),
            ("lviv", ["Lwów", "Lemberg", "Lvov", "Lviv", "Lwiw", "Leopolis", "Львів", "Львов"]),
            ("zhytomyr", ["Żytomierz", "Schytomyr", "Zhitomir", "Jitomir", "Žytomyr", "Zhytomyr", "Житомир"]),
            ("mykolaiv", ["Nikolaev", "Nikolayev", "Nikolajew", "Mikołajów", "Mykolajiw", "Миколаїв", "Николаев"]),
            ("zaporizhzhia", ["Zaporozhye", "Zaporozhe", "Saporischschja", "Zaporoże", "Zaporizhia",
                              "Aleksandrovsk", "Запоріжжя", "Запорожье"]),
            ("donetsk", ["Donezk", "Doniecka", "Stalino", "Yuzovka", "Донецьк", "Донецк"]),
            ("luhansk", ["Lugansk", "Voroshilovgrad", "Luhansk", "Ługańsk", "Луганськ", "Луганск"]),
            ("chernivtsi", ["Czerniowce", "Czernowitz", "Chernovtsy", "Cernauti", "Чернівці", "Черновцы"]),
            ("uzhhorod", ["Uzhgorod", "Ungvár", "Użhorod", "Ushhorod", "Ужгород"]),
            ("vinnytsia", ["Vinnitsa", "Winnica", "Winnyzja", "Вінниця", "Винница"]),
            ("rivne", ["Rovno", "Równe", "Riwne", "Рівне", "Ровно"]),
            ("lutsk", ["Łuck", "Luzk", "Luck", "Луцьк", "Луцк"]),
            ("ternopil", ["Tarnopol", "Ternopol", "Тернопіль", "Тернополь"]),
            ("chernihiv", ["Chernigov", "Czernihów", "Tschernihiw", "Чернігів", "Чернигов"]),
            ("cherkasy", ["Cherkassy", "Czerkasy", "Tscherkassy", "Черкаси", "Черкассы"]),
            ("poltava", ["Półtawa", "Poltawa", "Полтава"]),
            ("kherson", ["Cherson", "Chersoń", "Херсон"]),
            ("mariupol", ["Zhdanov", "Mariupol", "Маріуполь", "Мариуполь"]),
            ("kryvyi rih", ["Krivoy Rog", "Krivoi Rog", "Krzywy Róg", "Krywyj Rih", "Kryvyi Rih", "Кривий Ріг", "Кривой Рог"]),
            ("khmelnytskyi", ["Khmelnitsky", "Khmelnitskiy", "Chmielnicki", "Chmelnyzkyj", "Proskurov", "Płoskirów",
                              "Хмельницький", "Хмельницкий"]),
            ("ivano-frankivsk", ["Ivano-Frankovsk", "Stanislav", "Stanisławów", "Stanislau", "Iwano-Frankiwsk",
                                 "Iwano-Frankowsk", "Івано-Франківськ", "Ивано-Франковск"]),
            ("bila tserkva", ["Belaya Tserkov", "Biała Cerkiew", "Bila Zerkwa", "Біла Церква", "Белая Церковь"]),
            ("kamianske", ["Dniprodzerzhynsk", "Dneprodzerzhinsk", "Kamenskoye", "Кам'янське", "Днепродзержинск"]),
            ("bakhmut", ["Artemivsk", "Artemovsk", "Bachmut", "Бахмут", "Артемовск"]),
            ("pokrovsk", ["Krasnoarmiisk", "Krasnoarmeysk", "Pokrowsk", "Покровськ", "Красноармейск"]),
            ("sievierodonetsk", ["Severodonetsk", "Siewierodoniecka", "Sjewjerodonezk", "Сєвєродонецьк", "Северодонецк"]),
            ("sloviansk", ["Slavyansk", "Słowiańsk", "Slowjansk", "Слов'янськ", "Славянск"]),
            ("kramatorsk", ["Kramatorsk", "Краматорськ", "Краматорск"]),
            ("sumy", ["Sumy", "Суми", "Сумы"]),
            ("melitopol", ["Melitopol", "Мелітополь", "Мелитополь"]),
            ("berdiansk", ["Berdyansk", "Osipenko", "Бердянськ", "Бердянск"]),
            ("horlivka", ["Gorlovka", "Horliwka", "Горлівка", "Горловка"]),
            ("makiivka", ["Makeevka", "Makiejewka", "Макіївка", "Макеевка"]),
            ("kremenchuk", ["Kremenchug", "Krzemieńczuk", "Krementschuk", "Кременчук", "Кременчуг"]),
            ("simferopol", ["Simferopol", "Akmescit", "Сімферополь", "Симферополь"]),
            ("sevastopol", ["Sewastopol", "Sebastopol", "Севастополь"]),
            ("samar", ["Novomoskovsk", "Nowomoskowsk", "Новомосковськ", "Новомосковск"]),
            ("horishni plavni", ["Komsomolsk", "Комсомольськ", "Комсомольск"]),
            ("toretsk", ["Dzerzhynsk", "Dzerzhinsk", "Торецьк", "Дзержинськ"]),
            ("myrnohrad", ["Dymytrov", "Dimitrov", "Мирноград", "Димитров"]),
        ]
        var map: [[UInt8]: [UInt8]] = [:]
        for (today, others) in table {
            let target = Array(today.utf8)
            for alias in [today] + others {
                let tokens = Transliterator.tokens(alias)
                let skeleton = Array(tokens.map { PhoneticKey.fold($0, mode: .skeleton) }.joined())
                map[skeleton] = target
            }
        }
        return map
    }()
}
