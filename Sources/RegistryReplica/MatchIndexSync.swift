public import Foundation
public import RegistryCore
import RegistryCrypto
public import RegistryMatching
import RegistryStorage
import Synchronization

/// The state's match index as reference data: the central node publishes, for every registration in
/// the state, its privacy-preserving ``MatchEncoding`` (keyed hashes and a keyed Bloom filter — no
/// name, date or number) as a `match_entry` record, and the state's match key on its own `site`
/// record. Both sync to every site like any change, sealed in transit and at rest, so a site can
/// check a new registration against the whole state while offline.
extension Registry {
    /// At the central node: adds or refreshes the match entry of every registration, erases those of
    /// erased registrations. Returns how many entries changed. Running it twice changes nothing.
    @discardableResult
    public func publishMatchIndex(now: Date = Date()) throws(ReplicaError) -> Int {
        guard identity.role != .site else { throw ReplicaError(.invalidInput, "only a central node publishes the match index") }
        let key = stateMatchKeyForPublishing()
        let hash = MatchIndex.sipHash(key: key)
        var edits: [RecordEdit] = [try siteRecordCarryingKey(key)].compactMap { $0 }
        var existing: [String: (id: RecordID, encoding: String)] = [:]
        do {
            try store.forEachRecord(.matchEntry) { view in
                if let registration = view.text("registration"), let encoding = view.text("encoding") {
                    existing[registration] = (view.id, encoding)
                }
            }
        } catch { throw ReplicaError(error) }
        var live = Set<String>()
        do {
            // The same person mapping as the duplicate runs (every document, household), so the index
            // encodes a registration exactly as the central run compares it.
            try store.forEachRecord(.registration) { view in
                let registration = view.id.description
                live.insert(registration)
                let text = Data(MatchEncoding(Self.personRecord(view: view), hash: hash).bytes).base64EncodedString()
                guard existing[registration]?.encoding != text else { return }
                edits.append(RecordEdit(record: matchEntryID(registration), entity: .matchEntry, operations: [
                    .set(Schema.matchEntry["encoding"]!.id, .text(text)),
                    .set(Schema.matchEntry["registration"]!.id, .text(registration)),
                    .set(Schema.matchEntry["site_id"]!.id, view.text("site_id").map { .text($0) }),
                ]))
            }
        } catch { throw ReplicaError(error) }
        for (registration, entry) in existing where !live.contains(registration) {
            edits.append(.erasure(of: entry.id, entity: .matchEntry))
        }
        guard !edits.isEmpty else { return 0 }
        let chunks = stride(from: 0, to: edits.count, by: 2_000).map { Array(edits[$0..<min($0 + 2_000, edits.count)]) }
        _ = try storage { () throws(StorageError) in try store.commitAll(chunks, wallMilliseconds: Self.milliseconds(now)) }
        return edits.count
    }

    /// The state's match key: derived from the central node's master key, so it never needs storing
    /// in the clear and is the same every run.
    func stateMatchKeyForPublishing() -> [UInt8] {
        keys.master.derive(subkeyID: 3, context: "rsmatch1").bytes.withUnsafeBytes { Array($0) }
    }

    /// The edit that puts the match key on the central node's own site record, unless it is there.
    private func siteRecordCarryingKey(_ key: [UInt8]) throws(ReplicaError) -> RecordEdit? {
        let text = Data(key).base64EncodedString()
        let id = RecordID.v8(hash: KeyedHash.hash(Array("regsync/site-record/v1\u{0}\(identity.siteID)".utf8), key: keys.storageKeys.indexKey, outputByteCount: 16))
        if let view = try storage({ () throws(StorageError) in try store.record(id) }), view.text("match_key") == text { return nil }
        return RecordEdit(record: id, entity: .site, operations: [
            .set(Schema.site["site_id"]!.id, .text(identity.siteID)),
            .set(Schema.site["site_type"]!.id, .text(identity.role.rawValue)),
            .set(Schema.site["match_key"]!.id, .text(text)),
        ])
    }

    func matchEntryID(_ registration: String) -> RecordID {
        .v8(hash: KeyedHash.hash(Array("regsync/match-entry/v1\u{0}\(registration)".utf8), key: keys.storageKeys.indexKey, outputByteCount: 16))
    }

    /// The match key as this node holds it: at a site, from the central node's synced site record.
    func stateMatchKey() throws(ReplicaError) -> [UInt8]? {
        if identity.role != .site { return stateMatchKeyForPublishing() }
        var key: [UInt8]?
        do {
            try store.forEachRecord(.site) { view in
                if key == nil, let text = view.text("match_key"), let data = Data(base64Encoded: text) { key = [UInt8](data) }
            }
        } catch { throw ReplicaError(error) }
        return key
    }
}

/// Candidates from the state's match index (synced from the central node): registrations at other
/// sites that may be the same person, found without any of their personal data.
///
/// The index is built in memory from the synced entries the first time it is needed and rebuilt
/// when sync has brought new ones. Entries homed at this site are skipped: the local replica
/// source compares those on full data.
public struct MatchIndexCandidates: DuplicateCandidateSource {
    let registry: Registry
    public var name: String { "match_index" }

    public init(registry: Registry) { self.registry = registry }

    public func check(
        _ probes: [DuplicateProbe], exclude: Set<RecordID>, matcher: Matcher, deadline: ContinuousClock.Instant
    ) throws(ReplicaError) -> CandidateSourceOutcome {
        var outcome = CandidateSourceOutcome()
        guard let key = try registry.stateMatchKey(), let loaded = try registry.loadedMatchIndex() else {
            outcome.checked = probes.count
            return outcome
        }
        let hash = MatchIndex.sipHash(key: key)
        let excluded = Set(exclude.map(\.description))
        for (index, probe) in probes.enumerated() {
            guard ContinuousClock.now < deadline else { break }
            let encoding = MatchEncoding(probe.person, hash: hash)
            for hit in loaded.index.query(encoding) {
                let candidate = loaded.registrations[hit.entry]
                guard candidate != probe.id.description, !excluded.contains(candidate) else { continue }
                // Index evidence is in bits above the hit threshold; as a probability, 0.5 at the threshold.
                let probability = 1 / (1 + pow(2, -(hit.score - MatchIndex.defaultThreshold)))
                outcome.findings.append((index, DuplicateFinding(
                    id: probe.id.description, recordID: probe.person.id == probe.id.description ? nil : probe.person.id, line: probe.line,
                    candidateID: candidate, candidateRecordID: nil, candidateLine: nil, source: name, score: probability,
                    band: probability >= MatchConfiguration.defaultMatchThreshold ? "match" : "possible",
                    explanation: "match index: keyed name, birth-date and document evidence \(Int(hit.score)) bits")))
            }
            outcome.checked = index + 1
        }
        return outcome
    }
}

/// The in-memory match index of a site, with the registration each entry stands for.
final class LoadedMatchIndex: Sendable {
    let index: MatchIndex
    let registrations: [String]
    let vector: VersionVector

    init(index: MatchIndex, registrations: [String], vector: VersionVector) {
        self.index = index
        self.registrations = registrations
        self.vector = vector
    }
}

extension Registry {
    /// The site's match index, rebuilt only when the replica changed since it was built.
    func loadedMatchIndex() throws(ReplicaError) -> LoadedMatchIndex? {
        let vector = try storage { () throws(StorageError) in try store.versionVector }
        if let cached = matchIndexCache.withLock({ $0 }), cached.vector == vector { return cached }
        var index = MatchIndex()
        var registrations: [String] = []
        do {
            try store.forEachRecord(.matchEntry) { view in
                guard view.text("site_id") != identity.siteID, let registration = view.text("registration"),
                      let text = view.text("encoding"), let data = Data(base64Encoded: text),
                      let encoding = MatchEncoding(bytes: [UInt8](data)) else { return }
                _ = index.insert(encoding)
                registrations.append(registration)
            }
        } catch { throw ReplicaError(error) }
        guard !registrations.isEmpty else { return nil }
        let loaded = LoadedMatchIndex(index: index, registrations: registrations, vector: vector)
        matchIndexCache.withLock { $0 = loaded }
        return loaded
    }
}
