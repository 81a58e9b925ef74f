import Testing
@testable import RegistryMatching

@Suite("Matching")
struct MatcherTests {
    static let base = PersonRecord(
        id: "a", givenName: "Олександр", familyName: "Шевченко", patronymic: "Петрович", sex: "M",
        birthDate: "1985-03-07", birthPlace: "Житомир", nationality: "UA", documentNumbers: ["FA123456"],
        householdID: "H1", siteID: "S1")

    static let variant = PersonRecord(
        id: "b", givenName: "Aleksandr", familyName: "Szewczenko", patronymic: nil, sex: "M",
        birthDate: "1985-07-03", birthPlace: "Żytomierz", nationality: "UKR", documentNumbers: ["FA 123 456"],
        householdID: "H9", siteID: "S2")

    private func sharesBlock(_ a: PersonRecord, _ b: PersonRecord) -> Bool {
        var ka = Set<UInt64>(), kb = Set<UInt64>()
        BlockIndex.keys(PreparedRecord(a)) { k, _ in ka.insert(k) }
        BlockIndex.keys(PreparedRecord(b)) { k, _ in kb.insert(k) }
        return !ka.isDisjoint(with: kb)
    }

    @Test func blockingSurvivesAnySingleWrongField() {
        var wrong: [PersonRecord] = []
        var r = Self.base; r.id = "g"; r.givenName = "Ivan"; wrong.append(r)
        r = Self.base; r.id = "f"; r.familyName = "Melnyk"; wrong.append(r)
        r = Self.base; r.id = "d"; r.birthDate = "1991-11-30"; wrong.append(r)
        r = Self.base; r.id = "n"; r.documentNumbers = ["XX999999"]; wrong.append(r)
        r = Self.base; r.id = "s"; r.givenName = Self.base.familyName; r.familyName = Self.base.givenName; wrong.append(r)
        r = Self.base; r.id = "p"; r.birthDate = "1985"; wrong.append(r)
        r = Self.base; r.id = "m"; r.birthDate = nil; r.documentNumbers = []; wrong.append(r)
        for w in wrong {
            #expect(sharesBlock(Self.base, w), "record \(w.id) lost its block")
        }
        // Two spellings of one registration share a block too.
        #expect(sharesBlock(Self.base, Self.variant))
    }

    @Test func transliteratedDuplicateScoresAsMatch() {
        let pair = Matcher().score(Self.base, Self.variant)
        #expect(pair.probability > 0.95)
        #expect(pair.band == .match)
    }

    @Test func scoreIsMonotonicInAgreement() {
        // Remove agreeing fields one at a time: the weight must never rise.
        var b = Self.base
        b.id = "b"; b.householdID = "H2"
        var steps: [PersonRecord] = [b]
        b.documentNumbers = []; steps.append(b)
        b.birthPlace = nil; steps.append(b)
        b.patronymic = nil; steps.append(b)
        b.birthDate = "1985-07-03"; steps.append(b)  // exact → swapped
        b.birthDate = "1985"; steps.append(b)  // → partial
        b.givenName = "Oleksander"; steps.append(b)  // exact → skeleton
        b.givenName = "Petro"; steps.append(b)  // → disagree
        let matcher = Matcher()
        let weights = steps.map { matcher.score(Self.base, $0).weight }
        for k in 1..<weights.count {
            #expect(weights[k] <= weights[k - 1], "step \(k): \(weights[k - 1]) → \(weights[k])")
        }
        #expect(weights.first! > weights.last! + 10)
    }

    @Test func twinsInOneHouseholdAreNotLinked() {
        let oleh = PersonRecord(id: "t1", givenName: "Олег", familyName: "Коваленко", patronymic: "Іванович", sex: "M",
                                birthDate: "2012-05-04", birthPlace: "Київ", nationality: "UA", householdID: "H7")
        let olha = PersonRecord(id: "t2", givenName: "Ольга", familyName: "Коваленко", patronymic: "Іванівна", sex: "F",
                                birthDate: "2012-05-04", birthPlace: "Київ", nationality: "UA", householdID: "H7")
        let ivan = PersonRecord(id: "t3", givenName: "Іван", familyName: "Коваленко", patronymic: "Іванович", sex: "M",
                                birthDate: "2012-05-04", birthPlace: "Київ", nationality: "UA", householdID: "H7")
        // The same family registered again elsewhere, in Polish spelling.
        var olegAgain = oleh; olegAgain.id = "t4"; olegAgain.givenName = "Oleh"; olegAgain.familyName = "Kowalenko"
        olegAgain.householdID = "H8"
        var olhaAgain = olha; olhaAgain.id = "t5"; olhaAgain.givenName = "Olha"; olhaAgain.familyName = "Kowalenko"
        olhaAgain.householdID = "H8"
        let matcher = Matcher()
        #expect(matcher.score(oleh, olha).weight == -.infinity)
        #expect(matcher.score(oleh, ivan).weight == -.infinity)
        let result = matcher.dedupe([oleh, olha, ivan, olegAgain, olhaAgain])
        let clusters = Set(result.clusters.map { Set($0) })
        for cluster in result.clusters {
            let ids = Set(cluster.map { [oleh, olha, ivan, olegAgain, olhaAgain][$0].id })
            #expect(ids == ["t1", "t4"] || ids == ["t2", "t5"], "unexpected cluster \(ids)")
        }
        _ = clusters
    }

    @Test func explanationNamesFieldsNeverValues() {
        let pair = Matcher().score(Self.base, Self.variant)
        let text = pair.explanation.description
        #expect(text.contains("givenName"))
        #expect(text.contains("familyName"))
        #expect(text.contains("birthDate"))
        #expect(text.contains("document"))
        for value in ["Олександр", "Aleksandr", "oleksandr", "Szewczenko", "shevchenko", "1985", "123456", "FA1",
                      "Житомир", "Żytomierz", "zhytomyr", "UKR", "Петрович"] {
            #expect(!text.localizedLowercaseContains(value), "explanation leaks \(value)")
        }
        #expect(!"\(Self.base)".contains("Шевченко"))
    }

    @Test func dedupeFindsDuplicatesAcrossSpellings() {
        var records: [PersonRecord] = []
        let people: [(String, String, String)] = [
            ("Наталія", "Бондаренко", "1979-02-11"), ("Юлія", "Ткаченко", "1990-10-01"),
            ("Михайло", "Ковальчук", "1962-06-23"), ("Сергій", "Мельник", "2001-12-05"),
        ]
        let spellings: [(String, String)] = [("Natalija", "Bondarenko"), ("Julia", "Tkatschenko"),
                                             ("Mychajlo", "Kowalczuk"), ("Sergey", "Melnik")]
        for (k, p) in people.enumerated() {
            records.append(PersonRecord(id: "u\(k)", givenName: p.0, familyName: p.1, birthDate: p.2, householdID: "A\(k)"))
            records.append(PersonRecord(id: "l\(k)", givenName: spellings[k].0, familyName: spellings[k].1,
                                        birthDate: p.2, householdID: "B\(k)"))
        }
        // Unrelated people so that the model has something to estimate u from.
        let fillers = ["Іван", "Петро", "Олена", "Ірина", "Тарас", "Богдан", "Оксана", "Вікторія"]
        for k in 0..<80 {
            records.append(PersonRecord(id: "f\(k)", givenName: fillers[k % 8], familyName: "Прізвище\(k)",
                                        birthDate: "19\(50 + k % 50)-0\(1 + k % 9)-1\(k % 10)"))
        }
        let result = Matcher().dedupe(records)
        let found = Set(result.clusters.map { Set($0.map { records[$0].id.dropFirst() }) })
        for k in 0..<people.count { #expect(found.contains(["\(k)"]), "pair \(k) not found") }
        #expect(result.clusters.allSatisfy { $0.count == 2 })
    }

    /// `count` people drawn from small pools of names (Cyrillic and Latin spellings) and the given
    /// birth dates, a quarter with a document number from a small range: many near-duplicates.
    static func namesakes(_ count: Int, dates: [String], rng: inout SplitMix64) -> [PersonRecord] {
        let given = ["Олена", "Olena", "Iryna", "Ірина", "Taras", "Тарас", "Bohdan", "Oksana", "Mykola", "Sofiia"]
        let family = ["Шевченко", "Shevchenko", "Bondarenko", "Бондаренко", "Melnyk", "Kovalchuk", "Tkachenko", "Moroz"]
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        return (0..<count).map { k in
            PersonRecord(id: "r\(k)", givenName: pick(given), familyName: pick(family), sex: pick(["F", "M"]), birthDate: pick(dates),
                         birthPlace: pick(["Kyiv", "Київ", "Lviv", ""]), documentNumbers: rng.next() % 4 == 0 ? ["FA\(100 + rng.next() % 50)"] : [])
        }
    }

    @Test("a scan in chunks finds, by the end of each chunk, every pair of its records that dedupe finds, with the same weights")
    func scanInChunksEqualsDedupe() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("scanInChunksEqualsDedupe seed \(seed)")
        var rng = SplitMix64(seed: seed)
        // Six birth dates only: many records agree on names and dates, so pairs cross every chunk boundary.
        let records = Self.namesakes(600, dates: ["1979-02-11", "1979-11-02", "1990-10-01", "1962-06-23", "2001-12-05", "1985"], rng: &rng)
        var configuration = MatchConfiguration()
        configuration.parallel = rng.next() % 2 == 0
        let matcher = Matcher(configuration: configuration, model: .standard)
        let whole = matcher.dedupe(records)
        let scan = DedupeScan(matcher: matcher, records: records)
        var seen: [String: DedupeScan.Pair] = [:]
        while scan.scanned < records.count {
            let before = scan.scanned
            for pair in scan.scan(through: before + 1 + Int(rng.next() % 150)) {
                #expect(pair.a < pair.b && pair.a >= before && pair.a < scan.scanned, "seed \(seed)")
                seen["\(pair.a)-\(pair.b)"] = pair
            }
            // Every pair of dedupe's that touches a scanned record is known by now, with its weight.
            for pair in whole.pairs where pair.a < scan.scanned {
                let found = seen["\(pair.a)-\(pair.b)"]
                #expect(found?.weight == pair.weight, "seed \(seed)")
                #expect(found.map { abs($0.fieldWeight - pair.explanation.fields.reduce(0) { $0 + $1.weight }) < 1e-9 } == true, "seed \(seed)")
                #expect(found.map { scan.explanation(of: $0).fields.map(\.description) } == pair.explanation.fields.map(\.description), "seed \(seed)")
            }
        }
        #expect(seen.count == whole.pairs.count && whole.pairs.count > 100, "seed \(seed)")
        #expect(scan.comparedPairs == whole.comparedPairs)
    }

    @Test("a dedupe on all cores (features packed in two halves) finds what a dedupe on one core finds")
    func parallelEqualsSerial() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("parallelEqualsSerial seed \(seed)")
        var rng = SplitMix64(seed: seed)
        let dates = (0..<2_000).map { "19\(50 + $0 % 50)-0\(1 + $0 % 9)-1\($0 % 9)" }
        let records = Self.namesakes(6_000, dates: dates, rng: &rng)
        var serial = MatchConfiguration(), parallel = MatchConfiguration()
        serial.parallel = false
        parallel.parallel = true
        let one = Matcher(configuration: serial, model: .standard).dedupe(records)
        let all = Matcher(configuration: parallel, model: .standard).dedupe(records)
        #expect(one.pairs.count > 100, "seed \(seed)")
        #expect(one.pairs.map { "\($0.a)-\($0.b) \($0.weight)" } == all.pairs.map { "\($0.a)-\($0.b) \($0.weight)" }, "seed \(seed)")
        #expect(one.comparedPairs == all.comparedPairs, "seed \(seed)")
    }

    @Test func householdRegisteredAgainSupportsItsMembersOnly() {
        // A mother with two children registered at one site, then again elsewhere in Latin
        // spelling; the daughter's second record has only her birth year.
        var records = [
            PersonRecord(id: "m1", givenName: "Олена", familyName: "Бондаренко", sex: "F", birthDate: "1975-03-02",
                         birthPlace: "Київ", householdID: "H1"),
            PersonRecord(id: "d1", givenName: "Софія", familyName: "Бондаренко", sex: "F", birthDate: "2010-06-15",
                         householdID: "H1"),
            PersonRecord(id: "s1", givenName: "Тарас", familyName: "Бондаренко", sex: "M", birthDate: "2008-01-20",
                         householdID: "H1"),
            PersonRecord(id: "m2", givenName: "Olena", familyName: "Bondarenko", sex: "F", birthDate: "1975-03-02",
                         birthPlace: "Kyiv", householdID: "H2"),
            PersonRecord(id: "d2", givenName: "Sofiia", familyName: "Bondarenko", sex: "F", birthDate: "2010",
                         householdID: "H2"),
            PersonRecord(id: "s2", givenName: "Taras", familyName: "Bondarenko", sex: "M", birthDate: "2008-01-20",
                         householdID: "H2"),
        ]
        let fillers = ["Іван", "Петро", "Олена", "Ірина", "Тарас", "Богдан", "Оксана", "Софія"]
        for k in 0..<120 {
            records.append(PersonRecord(id: "f\(k)", givenName: fillers[k % 8], familyName: "Прізвище\(k % 40)",
                                        birthDate: "19\(50 + k % 50)-0\(1 + k % 9)-1\(k % 10)", householdID: "F\(k)"))
        }
        let index = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($1.id, $0) })
        func pair(_ result: DedupeResult, _ x: String, _ y: String) -> ScoredPair? {
            let a = index[x]!, b = index[y]!
            return result.pairs.first { ($0.a == a && $0.b == b) || ($0.a == b && $0.b == a) }
        }
        let result = Matcher().dedupe(records)
        var off = MatchConfiguration(); off.householdSupportWeight = 0
        let without = Matcher(configuration: off).dedupe(records)
        let supported = pair(result, "d1", "d2")
        #expect(supported?.explanation.householdSupport == true)
        #expect(supported?.explanation.description.contains("another member of both households matched") == true)
        if let plain = pair(without, "d1", "d2"), let supported {
            #expect(abs(supported.weight - plain.weight - 4) < 1e-9)
            #expect(!plain.explanation.householdSupport)
        }
        // Support never pulls different members of the two households together.
        let inCluster = Set(result.clusters.flatMap { c in c.map { records[$0].id } })
        #expect(inCluster.contains("m1") && inCluster.contains("m2"))
        for cluster in result.clusters {
            let ids = Set(cluster.map { records[$0].id })
            #expect(ids == ["m1", "m2"] || ids == ["d1", "d2"] || ids == ["s1", "s2"], "unexpected cluster \(ids)")
        }
    }

    @Test func matchIndexFindsRegisteredPerson() throws {
        let hash = MatchIndex.sipHash(key: [UInt8](repeating: 7, count: 32))
        var index = MatchIndex(expectedCount: 16)
        index.insert(MatchEncoding(Self.base, hash: hash))
        var other = Self.base; other.givenName = "Ivan"; other.birthDate = "1970-01-01"; other.documentNumbers = []
        index.insert(MatchEncoding(other, hash: hash))
        let query = MatchEncoding(Self.variant, hash: hash)
        let hits = index.query(query)
        #expect(hits.first?.entry == 0)
        #expect(!hits.contains { $0.entry == 1 })
        // Wire format round-trips and stays small.
        let bytes = query.bytes
        #expect(bytes.count <= 117)
        #expect(MatchEncoding(bytes: bytes) == query)
        #expect(MatchEncoding(bytes: [0x52, 0x4D, 2, 0]) == nil)
        // A different key gives unrelated encodings.
        let other32 = MatchIndex.sipHash(key: [UInt8](repeating: 8, count: 32))
        #expect(MatchEncoding(Self.base, hash: other32).keys != MatchEncoding(Self.base, hash: hash).keys)
    }

    @Test func sipHashMatchesReferenceVector() {
        // SipHash-2-4 reference: key 00..0f, message 00..0e → a129ca6149be45e5.
        let key = (0..<16).map(UInt8.init)
        func word(_ o: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(key[o + $1]) << (8 * UInt64($1)) } }
        #expect(SipHash24.hash((0..<15).map(UInt8.init), word(0), word(8)) == 0xa129_ca61_49be_45e5)
    }
}

extension String {
    func localizedLowercaseContains(_ s: String) -> Bool { lowercased().contains(s.lowercased()) }
}
