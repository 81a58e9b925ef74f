public import RegistryCore

/// The storage module's one error type. Contexts name ids, origins and fields, never personal values.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The key cannot open this replica (wrong passphrase upstream, or another node's keys).
        case wrongKey = "wrong_key"
        /// The file is not a RegistrySync replica (another SQLite database, or not SQLite at all).
        case notAReplica = "not_a_replica"
        /// The replica was made by a newer version of this software.
        case unsupportedFormat = "unsupported_format"
        case alreadyExists = "already_exists"
        case diskFull = "disk_full"
        case readOnly = "read_only"
        /// A change set starts past what we have from its origin: an earlier one is missing.
        case gap
        /// A change set's clock is too far ahead of ours; the sender keeps it queued.
        case clockSkew = "clock_skew"
        case invalidChange = "invalid_change"
        /// A change targets a record that exists as another entity kind.
        case entityMismatch = "entity_mismatch"
        case notFound = "not_found"
        /// A sealed value failed authentication: the file was tampered with or corrupted.
        case tampered
        case io
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}

/// Who a replica is: its own id, its role, its member state and its site.
public struct ReplicaIdentity: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case site, central, hub
    }

    public let replicaID: ReplicaID
    public let role: Role
    /// ISO 3166 alpha-2 code of the member state.
    public let state: String
    public let siteID: String

    public init(replicaID: ReplicaID, role: Role, state: String, siteID: String) {
        self.replicaID = replicaID
        self.role = role
        self.state = state
        self.siteID = siteID
    }

    enum CodingKeys: String, CodingKey { case replicaID = "replica_id", role, state, siteID = "site_id" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = ReplicaID(try container.decode(String.self, forKey: .replicaID)) else {
            throw DecodingError.dataCorruptedError(forKey: .replicaID, in: container, debugDescription: "not a UUID")
        }
        replicaID = id
        role = try container.decode(Role.self, forKey: .role)
        state = try container.decode(String.self, forKey: .state)
        siteID = try container.decode(String.self, forKey: .siteID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(replicaID.description, forKey: .replicaID)
        try container.encode(role, forKey: .role)
        try container.encode(state, forKey: .state)
        try container.encode(siteID, forKey: .siteID)
    }
}
