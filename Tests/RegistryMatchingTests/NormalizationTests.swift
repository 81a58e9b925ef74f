import Testing
@testable import RegistryMatching

@Suite("Normalisation")
struct NormalizationTests {
    private func assertSameSkeleton(_ names: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let skeletons = names.map(NameNormalizer.skeleton)
        for (name, skeleton) in zip(names, skeletons) {
            #expect(skeleton == skeletons[0], "\(name) → \(skeleton), \(names[0]) → \(skeletons[0])",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func cyrillicFollowsKMU55() {
        #expect(NameNormalizer.canonical("Олександр") == "oleksandr")
        #expect(NameNormalizer.canonical("Юлія") == "yuliia")
        #expect(NameNormalizer.canonical("Наталія") == "nataliia")
        #expect(NameNormalizer.canonical("Житомир") == "zhytomyr")
        #expect(NameNormalizer.canonical("Щербак") == "shcherbak")
        #expect(NameNormalizer.canonical("Згурський") == "zghurskyi")
        #expect(NameNormalizer.canonical("Ігор") == "ihor")
        #expect(NameNormalizer.canonical("Їжак") == "yizhak")
        #expect(NameNormalizer.canonical("Мар'яна") == "mariana")
        #expect(NameNormalizer.canonical("Ševčenko") == "shevchenko")
        #expect(NameNormalizer.canonical("Kovalenko-Shevchenko") == "kovalenko shevchenko")
    }

    @Test func oleksandrVariantsShareSkeleton() {
        assertSameSkeleton(["Олександр", "Oleksandr", "Aleksandr", "Olexandr", "Oleksander", "Alexander",
                            "Александр", "Ołeksandr"])
    }

    @Test func surnameVariantsShareSkeleton() {
        assertSameSkeleton(["Коваленко", "Kovalenko", "Kowalenko", "KOVALENKO"])
        assertSameSkeleton(["Шевченко", "Shevchenko", "Szewczenko", "Ševčenko", "Schewtschenko", "Chevtchenko",
                            "Sjevtsjenko"])
        assertSameSkeleton(["Ковальчук", "Kovalchuk", "Kowalczuk", "Kowaltschuk", "Kovaltchouk", "Koval'chuk"])
        assertSameSkeleton(["Ткаченко", "Tkachenko", "Tkaczenko", "Tkatschenko", "Tkačenko"])
        assertSameSkeleton(["Грищенко", "Hryshchenko", "Gryshchenko", "Hryszczenko", "Hryschtschenko"])
    }

    @Test func givenNameVariantsShareSkeleton() {
        assertSameSkeleton(["Юлія", "Yuliia", "Iuliia", "Julija", "Yulia", "Julia", "Joelija"])
        assertSameSkeleton(["Наталія", "Natalia", "Nataliya", "Natalija", "Nataliia", "Natalja"])
        assertSameSkeleton(["Михайло", "Mykhailo", "Mychajlo", "Mikhail", "Michail", "Mychajło"])
        assertSameSkeleton(["Сергій", "Serhii", "Sergey", "Serhiy", "Sergij", "Serhij"])
        assertSameSkeleton(["Євген", "Yevhen", "Jewhen", "Evgeniy", "Ievgen"])
        assertSameSkeleton(["Ольга", "Olha", "Olga", "Ol'ha"])
        assertSameSkeleton(["Василь", "Vasyl", "Wasyl", "Vasiliy", "Wassili"])
    }

    @Test func placeVariantsShareSkeletonAndCanonicalName() {
        assertSameSkeleton(["Житомир", "Zhytomyr", "Schytomyr"])
        for name in ["Житомир", "Zhytomyr", "Żytomierz", "Schytomyr", "Zhitomir"] {
            #expect(PlaceName.canonical(name) == "zhytomyr", "\(name)")
        }
        #expect(PlaceName.canonical("Dnipropetrovsk") == "dnipro")
        #expect(PlaceName.canonical("Днепропетровск") == "dnipro")
        #expect(PlaceName.canonical("Kirovohrad") == "kropyvnytskyi")
        #expect(PlaceName.canonical("Kirovograd") == "kropyvnytskyi")
        for name in ["Lwów", "Lemberg", "Lvov", "Lviv", "Львів"] { #expect(PlaceName.canonical(name) == "lviv", "\(name)") }
        for name in ["Charkow", "Kharkov", "Charków", "Харків"] { #expect(PlaceName.canonical(name) == "kharkiv", "\(name)") }
        for name in ["Kiev", "Kijów", "Kyiv", "Kiew, Ukraine"] { #expect(PlaceName.canonical(name) == "kyiv", "\(name)") }
        #expect(PlaceName.canonical("Odessa") == "odesa")
        #expect(PlaceName.canonical("m. Odesa") == "odesa")
        #expect(PlaceName.canonical("Smallville") == "smallville")
    }

    @Test func surnameGenderFormsShareStem() {
        let pairs = [("Kovalska", "Kovalskyi"), ("Ковальська", "Kowalski"), ("Ivanova", "Ivanov"),
                     ("Petrenková", "Petrenko"), ("Kovalčuková", "Kovalchuk"), ("Зелена", "Zelenyi"),
                     ("Pushkina", "Pushkin"), ("Savytska", "Sawicki"), ("Bilous", "Bilous")]
        for (female, male) in pairs {
            #expect(NameNormalizer.surnameStem(female) == NameNormalizer.surnameStem(male), "\(female) / \(male)")
        }
        #expect(NameNormalizer.surnameStem("Kovalenko") != NameNormalizer.surnameStem("Kovalchuk"))
    }

    @Test func russianAndPolishGivenNameFormsMapToUkrainian() {
        #expect(NameNormalizer.givenNameForm("Nikolai") == "mykola")
        #expect(NameNormalizer.givenNameForm("Николай") == "mykola")
        #expect(NameNormalizer.givenNameForm("Anna") == "hanna")
        #expect(NameNormalizer.givenNameForm("Elena") == "olena")
        #expect(NameNormalizer.givenNameForm("Oksana") == "oksana")
    }

    @Test func patronymicSplitFromGivenName() {
        let spaced = NameNormalizer.splitPatronymic(givenName: "Oleksandr Petrovych")
        #expect(spaced.givenName == "oleksandr")
        #expect(spaced.patronymic == "petrovych")
        let glued = NameNormalizer.splitPatronymic(givenName: "ОлександрПетрович")
        #expect(glued.givenName == "oleksandr")
        #expect(glued.patronymic == "petrovych")
        let gluedFemale = NameNormalizer.splitPatronymic(givenName: "NatalijaIwaniwna")
        #expect(gluedFemale.givenName == "natalija")
        #expect(gluedFemale.patronymic == "iwaniwna")
        let plain = NameNormalizer.splitPatronymic(givenName: "Ivanna")
        #expect(plain.givenName == "ivanna")
        #expect(plain.patronymic == nil)
    }

    @Test func searchKeysOverlapAcrossScripts() {
        let groups = [
            ["Олександр", "Oleksandr", "Aleksandr", "Alexander"],
            ["Шевченко", "Szewczenko", "Schewtschenko", "Chevtchenko"],
            ["Ковальська", "Kowalski", "Kovalskyi"],
            ["Микола", "Nikolai", "Mykola"],
            ["ОлександрПетрович", "Oleksandr"],
        ]
        for group in groups {
            let first = Set(NameNormalizer.searchKeys(group[0]))
            for name in group.dropFirst() {
                #expect(!first.isDisjoint(with: NameNormalizer.searchKeys(name)), "\(group[0]) / \(name)")
            }
        }
    }

    @Test func datesParseAndCompare() throws {
        let full = try #require(BirthDate(parsing: "1985-03-07"))
        #expect(full.year == 1985 && full.month == 3 && full.day == 7)
        #expect(BirthDate(parsing: "07.03.1985") == full)
        #expect(BirthDate(parsing: "19850307") == full)
        #expect(BirthDate(parsing: "1985-13-03")?.month == 3)  // impossible month → swapped
        #expect(BirthDate(parsing: "1985-03")?.day == nil)
        #expect(BirthDate(parsing: "1985")?.month == nil)
        #expect(BirthDate(parsing: "unknown") == nil)

        func level(_ a: String, _ b: String) -> DateAgreement {
            DateAgreement.compare(BirthDate(parsing: a)!.packed, BirthDate(parsing: b)!.packed)
        }
        #expect(level("1985-03-07", "1985-03-07") == .exact)
        #expect(level("1985-03-07", "1985-07-03") == .near)  // day/month swap
        #expect(level("1985-03-07", "1986-03-07") == .near)  // one digit
        #expect(level("1985-03-07", "1958-03-07") == .near)  // adjacent transposition
        #expect(level("1985-03-07", "1985") == .partial)
        #expect(level("1985-03-07", "1985-03") == .partialMonth)  // year and month agree
        #expect(level("1985-03", "1985-03") == .partialMonth)
        #expect(level("1985", "1985") == .partial)
        #expect(level("1985-03-07", "1985-04") == .sameYear)
        #expect(level("1985-03-07", "1985-11-20") == .sameYear)
        #expect(level("1985-03-07", "1990-11-20") == .disagree)
    }

    @Test func documentNumbersFold() {
        let key = DocumentNumber.normalize("КН 012345")
        #expect(DocumentNumber.normalize("KN012345") == key)
        #expect(DocumentNumber.normalize("kh-O12345") == key)
        #expect(DocumentNumber.normalize("KH 0I2345") == key)
        #expect(DocumentNumber.normalize("FA 123 456") == DocumentNumber.normalize("fa123456"))
        #expect(DocumentNumber.normalize("ВС-777") == DocumentNumber.normalize("VS777"))
        #expect(DocumentNumber.normalize("AB123456") != DocumentNumber.normalize("AB123457"))
    }

    @Test func nationalityCodes() {
        #expect(Nationality.alpha3("UA") == "UKR")
        #expect(Nationality.alpha3("ukr") == "UKR")
        #expect(Nationality.alpha3("Україна") == "UKR")
        #expect(Nationality.alpha3("Oekraïne") == "UKR")
        #expect(Nationality.alpha3("Ukrainian") == "UKR")
        #expect(Nationality.alpha3("MD") == "MDA")
        #expect(Nationality.alpha3("NG") == "NGA")
        #expect(Nationality.alpha3("Atlantis") == nil)
    }
}
