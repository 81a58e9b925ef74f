public import RegistryCore
public import RegistryCrypto
public import RegistryStorage

/// Builders for registrations and replicas in tests.
public enum Build {
    public static let catalogue = StatusCatalogue(
        state: "NL", version: 1, validFrom: "2022-03-04", initial: "reported",
        statuses: [
            StatusDefinition(code: "reported", label: "Reported", category: .reported, next: ["pending", "ended"]),
            StatusDefinition(code: "pending", label: "Pending", category: .pending, next: ["active", "ended"]),
            StatusDefinition(code: "active", label: "TP granted", category: .active, next: ["inactive", "ended"]),
            StatusDefinition(code: "inactive", label: "Inactive", category: .inactive, next: ["active", "ended"]),
            StatusDefinition(code: "ended", label: "Ended", category: .ended, next: []),
        ])

    public static func field(_ name: String) -> FieldID { Schema.registration[name]!.id }

    /// A registration edit setting the given fields (names as in the schema).
    public static func registration(_ id: RecordID, _ values: [String: String]) -> RecordEdit {
        RecordEdit(record: id, operations: values.sorted { $0.key < $1.key }.map { .set(field($0.key), .text($0.value)) })
    }

    /// A replica in `directory` with fresh keys; terms index family names and document numbers verbatim.
    public static func store(
        in directory: TemporaryDirectory, name: String = "replica.sqlite", keys: StorageKeys = StorageKeys(master: .generate()),
        replica: ReplicaID? = nil, role: ReplicaIdentity.Role = .site
    ) throws -> ReplicaStore {
        var rng = SystemRandomNumberGenerator()
        let identity = ReplicaIdentity(replicaID: replica ?? .random(using: &rng), role: role, state: "NL", siteID: "NL-TA-01")
        return try ReplicaStore.create(at: directory.file(name), identity: identity, keys: keys, catalogue: catalogue, options: indexOptions)
    }

    public static let indexOptions = ReplicaStore.Options(
        indexTerms: { view in
            (view["family_name"]?.values ?? []).compactMap(\.text).map { IndexTerm(kind: "family", text: $0.lowercased()) }
        },
        indexedFieldNames: ["family_name"])
}
