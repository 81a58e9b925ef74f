// Russian (Soviet passport) and Polish forms of common Ukrainian given names.
//
// Older documents often carry the Russian form of a Ukrainian name (Mykola → Nikolai, Hanna →
// Anna); a clerk copying such a document writes that form. Spelling variants of a form need not
// be listed: lookup goes through the phonetic key, so "Nikolay", "Nikolaj" and "Николай" all hit
// the "nikolai" entry. Only forms whose phonetic key differs from the Ukrainian one are listed.

enum GivenNameForms {
    /// (Ukrainian form in KMU 55, other forms of the same name).
    static let table: [(String, [String])] = [
        ("mykola", ["nikolai", "mikolaj", "nicolas"]),
        ("hanna", ["anna", "ganna", "ania"]),
        ("olena", ["elena", "helena", "jelena"]),
        ("kateryna", ["ekaterina", "jekaterina", "katarzyna", "katerina"]),
        ("nadiia", ["nadezhda", "nadezda", "nadieżda"]),
        ("oleksii", ["aleksei", "alexei", "alexey", "aleksiej", "aleksey"]),
        ("yevhen", ["evgenii", "evgeni", "eugen", "eugeniusz", "evgeny", "jewgeni", "yevgeny", "yevgeniy"]),
        ("yevheniia", ["evgeniia", "evgenia", "eugenia", "jewgenija", "yevgeniya"]),
        ("hryhorii", ["grigorii", "grigory", "grzegorz", "gregor"]),
        ("pavlo", ["pavel", "pawel", "paul"]),
        ("petro", ["petr", "pyotr", "piotr", "peter", "pierre"]),
        ("fedir", ["fedor", "fyodor", "fiodor", "teodor"]),
        ("yurii", ["iurii", "georgii", "jerzy", "juri"]),
        ("dmytro", ["dmitrii", "dmitry", "dymitr"]),
        ("mykhailo", ["mikhail", "michail", "michal", "michael"]),
        ("andrii", ["andrei", "andrey", "andrzej", "andreas"]),
        ("vasyl", ["vasilii", "vasily", "wasyl", "bazyli"]),
        ("ivan", ["jan", "johann"]),
        ("stepan", ["stefan", "stephan"]),
        ("oleksandr", ["aleksander", "alexandre"]),
        ("oleksandra", ["aleksandra", "alexandra"]),
        ("volodymyr", ["vladimir", "wlodzimierz", "waldemar"]),
        ("viktoriia", ["wiktoria", "victoria"]),
        ("tetiana", ["tatiana", "tatjana", "tatyana"]),
        ("nataliia", ["natalia", "natalja", "natalya", "natalie"]),
        ("liudmyla", ["ludmila", "ludmilla"]),
        ("svitlana", ["svetlana", "swietlana"]),
        ("halyna", ["galina", "halina"]),
        ("larysa", ["larisa"]),
        ("valentyna", ["valentina", "walentyna"]),
        ("vira", ["vera", "wiera"]),
        ("liubov", ["lyubov", "lubow"]),
        ("mariia", ["maria", "marija", "mariya", "marie", "mary"]),
        ("anastasiia", ["anastasia", "anastazja"]),
        ("sofiia", ["sofia", "sophia", "zofia"]),
        ("daria", ["darya", "daria", "dariia"]),
        ("iryna", ["irina", "irena"]),
        ("olha", ["olga"]),
        ("oleh", ["oleg"]),
        ("ihor", ["igor"]),
        ("serhii", ["sergei", "sergey", "sergiusz"]),
        ("vitalii", ["vitaly", "witalij"]),
        ("anatolii", ["anatoly"]),
        ("valerii", ["valery", "walerij"]),
        ("bohdan", ["bogdan"]),
        ("yaroslav", ["jaroslaw"]),
        ("taras", []),
        ("roman", []),
        ("maksym", ["maxim", "maksim", "maksymilian"]),
        ("artem", ["artiom", "artyom"]),
        ("danylo", ["daniil", "daniel", "danila"]),
        ("kyrylo", ["kirill", "cyryl"]),
        ("illia", ["ilya", "ilia", "eliasz"]),
        ("yuliia", ["julia", "julija", "yulia"]),
        ("oksana", []),
    ]

    /// Phonetic key of each listed form → canonical Ukrainian form (ASCII bytes).
    static let lookup: [[UInt8]: [UInt8]] = {
        var map: [[UInt8]: [UInt8]] = [:]
        for (ukrainian, others) in table {
            let target = Array(ukrainian.utf8)
            for form in [ukrainian] + others {
                for token in Transliterator.tokens(form) {
                    let key = PhoneticKey.fold(token, mode: .phonetic)
                    if map[key] == nil { map[key] = target }
                }
            }
        }
        return map
    }()

    /// Skeletons of the Ukrainian forms, used to split a patronymic glued to a given name.
    static let knownSkeletons: Set<[UInt8]> = {
        var set = Set<[UInt8]>()
        for (ukrainian, _) in table {
            set.insert(PhoneticKey.fold(Array(ukrainian.utf8), mode: .skeleton))
        }
        return set
    }()
}
