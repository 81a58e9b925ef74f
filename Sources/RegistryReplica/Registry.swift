public import Foundation
public import RegistryCore
public import RegistryCrypto
public import RegistryStorage
import RegistryMatching
import Synchronization

/// One node as its operators use it: register, import, search, correct, change status, export.
///
/// Wires storage (sealed replica), matching (name keys for search in any script or spelling) and the
/// node's keys. Every method works offline.
public final class Registry: Sendable {
    public let directory: NodeDirectory
    public let configuration: NodeConfiguration
    public let store: ReplicaStore
    let keys: NodeKeys
    let catalogue: StatusCatalogue
    /// The site's in-memory match index (``MatchIndexCandidates``), rebuilt when sync brings entries.
    let matchIndexCache = Mutex<LoadedMatchIndex?>(nil)

    private init(directory: NodeDirectory, configuration: NodeConfiguration, store: ReplicaStore, keys: NodeKeys, catalogue: StatusCatalogue) {
        self.directory = directory
        self.configuration = configuration
        self.store = store
        self.keys = keys
        self.catalogue = catalogue
    }

    public var identity: ReplicaIdentity { configuration.identity }
    /// The node's Ed25519 key: signs sync messages and, at a central node, certificates.
    public var signingKey: SigningKey { keys.signing }
    /// The node's X25519 key for `crypto_kx` session keys with peers.
    public var keyExchangeKey: KeyExchangeKey { keys.keyExchange }
    /// The status rules in force.
    public var statusCatalogue: StatusCatalogue { catalogue }

    // MARK: Setting up

    /// Creates a node: fresh keys sealed with the passphrase, a configuration file and an empty replica.
    public static func initialize(
        directory: NodeDirectory, role: ReplicaIdentity.Role, state: String, siteID: String, passphrase: SecureBytes,
        cost: KeyFileCost = .interactive, centralURL: String? = nil, catalogueFile: String? = nil
    ) throws(ReplicaError) -> Registry {
        guard !directory.isInitialized, !FileManager.default.fileExists(atPath: directory.replicaFile) else {
            throw ReplicaError(.alreadyInitialized, "\(directory.path) already holds a node")
        }
        guard CountryCode.isAlpha2(state) else { throw ReplicaError(.invalidInput, "--state must be an ISO 3166 alpha-2 code") }
        guard !siteID.isEmpty, siteID.count <= 64 else { throw ReplicaError(.invalidInput, "--site must be 1 to 64 characters") }
        guard passphrase.count >= 8 else { throw ReplicaError(.invalidInput, "the passphrase must have at least 8 characters") }
        let catalogue: StatusCatalogue
        if let catalogueFile { catalogue = try Catalogues.load(catalogueFile) } else { catalogue = try Catalogues.builtIn(for: state.uppercased()) }
        do {
            try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ReplicaError(.io, "cannot create \(directory.path)")
        }
        let keys = NodeKeys.generate()
        var rng = SystemRandomNumberGenerator()
        let identity = ReplicaIdentity(replicaID: .random(using: &rng), role: role, state: state.uppercased(), siteID: siteID)
        let configuration = NodeConfiguration(
            identity: identity, centralURL: centralURL, catalogueState: catalogue.state,
            createdAt: ISO8601DateFormatter().string(from: Date()))
        let sealed: [UInt8]
        do { sealed = try PassphraseSealedFile.seal(keys.serialized(), passphrase: passphrase, cost: cost.cost) } catch {
            throw ReplicaError(.io, "sealing the key file failed: \(error)")
        }
        try writeFile(directory.keyFile, Data(sealed), permissions: 0o600)
        let store = try storage { () throws(StorageError) in
            try ReplicaStore.create(at: directory.replicaFile, identity: identity, keys: keys.storageKeys, catalogue: catalogue, options: indexOptions)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeFile(directory.configFile, (try? encoder.encode(configuration)) ?? Data(), permissions: 0o644)
        return Registry(directory: directory, configuration: configuration, store: store, keys: keys, catalogue: catalogue)
    }

    /// Opens a node with its passphrase.
    public static func open(directory: NodeDirectory, passphrase: SecureBytes) throws(ReplicaError) -> Registry {
        guard let configData = FileManager.default.contents(atPath: directory.configFile) else {
            throw ReplicaError(.notInitialized, "\(directory.path) holds no node: run regsync init first")
        }
        guard let configuration = try? JSONDecoder().decode(NodeConfiguration.self, from: configData) else {
            throw ReplicaError(.io, "config.json is not valid")
        }
        guard let sealed = FileManager.default.contents(atPath: directory.keyFile) else {
            throw ReplicaError(.notInitialized, "node.key is missing")
        }
        let secret: SecureBytes
        do { secret = try PassphraseSealedFile.open([UInt8](sealed), passphrase: passphrase) } catch {
            throw error.code == .wrongPassphrase
                ? ReplicaError(.wrongPassphrase, "the passphrase does not open node.key")
                : ReplicaError(.io, "node.key: \(error)")
        }
        let keys = try NodeKeys(serialized: secret)
        let store = try storage { () throws(StorageError) in
            try ReplicaStore.open(at: directory.replicaFile, keys: keys.storageKeys, options: indexOptions)
        }
        guard store.identity == configuration.identity else {
            throw ReplicaError(.io, "config.json and replica.sqlite belong to different nodes")
        }
        let catalogue: StatusCatalogue
        if let stored = store.catalogue { catalogue = stored } else { catalogue = try Catalogues.builtIn(for: configuration.catalogueState) }
        return Registry(directory: directory, configuration: configuration, store: store, keys: keys, catalogue: catalogue)
    }

    // MARK: Registering and correcting

    /// Stores one new registration and returns its id. With a `record_id`, the id is derived from it,
    /// so registering or importing the same reference twice never makes two records.
    ///
    /// Checks the local replica for possible duplicates first (``registerChecked(_:householdID:now:)``
    /// returns them); a registration with findings is stored with `duplicate_check = provisional`.
    public func register(_ input: RegistrationInput, now: Date = Date()) throws(ReplicaError) -> RecordID {
        try registerChecked(input, now: now).id
    }

    /// Corrects fields of an existing registration (only the given ones).
    public func edit(_ id: RecordID, _ input: RegistrationInput, now: Date = Date()) throws(ReplicaError) {
        let issues = input.validate(line: 1, requireName: false)
        guard issues.isEmpty else { throw ReplicaError(.invalidInput, "the correction is not valid", issues: issues) }
        _ = try existingRegistration(id)
        var operations: [RecordEdit.Operation] = []
        for column in ["record_id", "given_name", "family_name", "patronymic", "birth_date", "birth_place", "site_id"] {
            if let value = input[column] { operations.append(.set(Schema.registration[column]!.id, .text(RegistrationInput.composed(value)))) }
        }
        for column in ["sex", "nationality", "country"] {
            if let value = input[column] { operations.append(.set(Schema.registration[column]!.id, .text(value.uppercased()))) }
        }
        if let number = input["document_number"] {
            operations.append(.add(Schema.registration["documents"]!.id, .object(["type": input["document_type"]?.uppercased() ?? "OTHER", "number": number])))
        }
        guard !operations.isEmpty else { throw ReplicaError(.invalidInput, "nothing to change") }
        _ = try storage { () throws(StorageError) in try store.commit([RecordEdit(record: id, operations: operations)], wallMilliseconds: Self.milliseconds(now)) }
    }

    /// Adds a status event; the current status follows from all events and the state's rules.
    public func addEvent(_ id: RecordID, status: String, date: String, actor: String?, basis: String?, now: Date = Date()) throws(ReplicaError) -> String {
        guard catalogue.definition(status) != nil else {
            throw ReplicaError(.invalidInput, "unknown status \(status); known: " + catalogue.statuses.map(\.code).joined(separator: ", "))
        }
        guard let day = PartialDate(date), day.day != nil else { throw ReplicaError(.invalidInput, "--date must be YYYY-MM-DD") }
        _ = try existingRegistration(id)
        var event: [String: String] = ["status": status, "date": day.description, "site": identity.siteID, "state": identity.state]
        event["actor"] = actor
        event["basis"] = basis
        _ = try storage { () throws(StorageError) in
            try store.commit([RecordEdit(record: id, operations: [.append(Schema.registration["status_events"]!.id, .object(event))])], wallMilliseconds: Self.milliseconds(now))
        }
        return try show(id)?.status ?? status
    }

    /// Erases a registration everywhere it syncs to: values wiped, id kept so it never comes back.
    public func erase(_ id: RecordID, now: Date = Date()) throws(ReplicaError) {
        _ = try existingRegistration(id)
        _ = try storage { () throws(StorageError) in try store.commit([.erasure(of: id)], wallMilliseconds: Self.milliseconds(now)) }
    }

    // MARK: Reading

    /// A registration by internal id or by its `record_id` reference.
    public func show(_ id: RecordID) throws(ReplicaError) -> RegistrationRow? {
        try storage { () throws(StorageError) in try store.record(id) }.map { RegistrationRow(view: $0, catalogue: catalogue) }
    }

    /// Resolves what an operator typed: an internal id, or a `record_id` of this node's site and state.
    public func resolve(_ reference: String) throws(ReplicaError) -> RecordID {
        if let id = RecordID(reference), try storage({ () throws(StorageError) in try store.existing([id]) }).contains(id) { return id }
        let derived = derivedID(country: identity.state, site: identity.siteID, recordID: reference)
        if try storage({ () throws(StorageError) in try store.existing([derived]) }).contains(derived) { return derived }
        let matches = try storage { () throws(StorageError) in try store.records(matching: IndexTerm(kind: "ref", text: reference)) }
        guard matches.count == 1 else {
            throw ReplicaError(.notFound, matches.isEmpty ? "no registration with that id or record_id" : "several registrations share that record_id; use the internal id")
        }
        return matches[0]
    }

    /// Registrations whose names match every word of `query` in any script or spelling, or whose
    /// document number matches exactly (separators, O/0 and Cyrillic look-alikes folded).
    public func search(_ query: String) throws(ReplicaError) -> [RegistrationRow] {
        let words = query.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        guard !words.isEmpty else { return [] }
        var result: Set<RecordID>?
        for word in words {
            var hits: Set<RecordID> = []
            for term in Self.queryTerms(word) {
                hits.formUnion(try storage { () throws(StorageError) in try store.records(matching: term) })
            }
            result = result.map { $0.intersection(hits) } ?? hits
        }
        var rows: [RegistrationRow] = []
        for id in (result ?? []).sorted() {
            if let row = try show(id), !row.isErased { rows.append(row) }
        }
        return rows
    }

    /// Every live registration, in the order this replica stored them.
    public func forEachRegistration(_ body: (RegistrationRow) throws(ReplicaError) -> Void) throws(ReplicaError) {
        var failure: ReplicaError?
        do {
            try store.forEachRecord(.registration) { view in
                guard failure == nil else { return }
                do throws(ReplicaError) { try body(RegistrationRow(view: view, catalogue: catalogue)) } catch { failure = error }
            }
        } catch {
            throw ReplicaError(error)
        }
        if let failure { throw failure }
    }

    // MARK: Identity of records

    func recordID(for input: RegistrationInput, now: Date) -> RecordID {
        if let reference = input[.recordID] {
            return derivedID(country: (input[.country] ?? identity.state).uppercased(), site: input[.siteID] ?? identity.siteID, recordID: reference)
        }
        var rng = SystemRandomNumberGenerator()
        return .v7(unixMilliseconds: Self.milliseconds(now), using: &rng)
    }

    /// UUIDv8 from a keyed hash of (state, site, reference): the same legacy row always maps to the same record.
    func derivedID(country: String, site: String, recordID: String) -> RecordID {
        let material = Array("regsync/import/v1\u{0}\(country)\u{0}\(site)\u{0}\(recordID)".utf8)
        return .v8(hash: KeyedHash.hash(material, key: keys.storageKeys.indexKey, outputByteCount: 16))
    }

    func existingRegistration(_ id: RecordID) throws(ReplicaError) -> RegistrationRow {
        guard let row = try show(id), !row.isErased else { throw ReplicaError(.notFound, "no registration \(id)") }
        return row
    }

    static func milliseconds(_ date: Date) -> UInt64 { UInt64(max(0, date.timeIntervalSince1970 * 1000)) }

    // MARK: Blind index terms

    /// What the blind index holds for a registration: name keys of given and family names and aliases,
    /// document numbers, the reference. (Patronymics are not indexed: nobody searches by them, and
    /// each indexed word costs a row.)
    static let indexOptions = ReplicaStore.Options(
        indexTerms: { view in
            var terms: [IndexTerm] = []
            for column in ["given_name", "family_name", "aliases"] {
                for value in view[column]?.values.compactMap(\.text) ?? [] { terms += NameKeyCache.shared.terms(value) }
            }
            for document in view["documents"]?.values.compactMap(\.object) ?? [] {
                if let number = document["number"] { terms.append(IndexTerm(kind: "doc", text: DocumentNumber.normalize(number))) }
            }
            if let reference = view["record_id"]?.single?.text { terms.append(IndexTerm(kind: "ref", text: reference)) }
            return terms
        },
        indexedFieldNames: ["given_name", "family_name", "aliases", "documents", "record_id"],
        repeatedTermKinds: ["name"])

    static func queryTerms(_ word: String) -> [IndexTerm] {
        var terms = NameKeyCache.shared.keys(word).map { IndexTerm(kind: "name", text: $0) }
        if word.contains(where: \.isNumber) { terms.append(IndexTerm(kind: "doc", text: DocumentNumber.normalize(word))) }
        return terms
    }
}

func writeFile(_ path: String, _ data: Data, permissions: Int) throws(ReplicaError) {
    guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: permissions]) else {
        throw ReplicaError(.io, "cannot write \(URL(fileURLWithPath: path).lastPathComponent)")
    }
}

/// Name search keys per distinct word, memoised: names repeat a lot, and transliterating them is the
/// costliest part of indexing a registration.
final class NameKeyCache: Sendable {
    static let shared = NameKeyCache()
    private let cache = Mutex<[String: [String]]>([:])
    private let valueTerms = Mutex<[String: [IndexTerm]]>([:])

    /// The blind-index terms of a whole name value (every word's keys): whole names repeat too.
    func terms(_ value: String) -> [IndexTerm] {
        if let hit = valueTerms.withLock({ $0[value] }) { return hit }
        var terms: [IndexTerm] = []
        for word in value.split(whereSeparator: { $0 == " " || $0 == "-" }) {
            terms += keys(String(word)).map { IndexTerm(kind: "name", text: $0) }
        }
        valueTerms.withLock { cache in
            if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
            cache[value] = terms
        }
        return terms
    }

    func keys(_ word: String) -> [String] {
        if let hit = cache.withLock({ $0[word] }) { return hit }
        let keys = NameNormalizer.searchKeys(word)
        cache.withLock { cache in
            if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
            cache[word] = keys
        }
        return keys
    }
}
