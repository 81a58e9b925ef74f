public import RegistryCore
public import RegistryCrypto
public import RegistryStorage
import Foundation

/// The files of one node (a site or a central node) in its directory.
///
/// - `config.json`: role, state, site, replica id, central URL (no secrets).
/// - `node.key`: the node's secrets sealed with the passphrase (Argon2id + XChaCha20-Poly1305).
/// - `replica.sqlite`: the replica.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    public var identity: ReplicaIdentity
    public var centralURL: String?
    /// Catalogue of statuses in force (also stored in the replica).
    public var catalogueState: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case identity, centralURL = "central_url", catalogueState = "catalogue_state", createdAt = "created_at"
    }
}

/// A node's long-term secrets: one master key for at-rest data, an Ed25519 signing key and an
/// X25519 key-exchange key for sync. Sealed together in `node.key`.
public struct NodeKeys: Sendable {
    public let master: SymmetricKey
    public let signing: SigningKey
    public let keyExchange: KeyExchangeKey

    public static func generate() -> NodeKeys {
        NodeKeys(master: .generate(), signing: .generate(), keyExchange: .generate())
    }

    /// Derived once: every imported row's id and every blind term is keyed with them.
    let storageKeys: StorageKeys

    /// Layout: version byte 1, then master key, signing seed and key-exchange seed, 32 bytes each.
    func serialized() -> SecureBytes {
        var bytes: [UInt8] = [1]
        master.bytes.withUnsafeBytes { bytes += $0 }
        signing.seed.withUnsafeBytes { bytes += $0 }
        keyExchange.seed.withUnsafeBytes { bytes += $0 }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        return SecureBytes(bytes)
    }

    init(master: SymmetricKey, signing: SigningKey, keyExchange: KeyExchangeKey) {
        self.master = master
        storageKeys = StorageKeys(master: master)
        self.signing = signing
        self.keyExchange = keyExchange
    }

    init(serialized: SecureBytes) throws(ReplicaError) {
        let parts: (SecureBytes, SecureBytes, SecureBytes)? = serialized.withUnsafeBytes { raw in
            guard raw.count == 97, raw[0] == 1 else { return nil }
            return (SecureBytes(raw[1..<33]), SecureBytes(raw[33..<65]), SecureBytes(raw[65..<97]))
        }
        guard let parts else { throw ReplicaError(.io, "node.key holds an unknown key layout") }
        do {
            self.init(master: try SymmetricKey(parts.0), signing: try SigningKey(seed: parts.1), keyExchange: try KeyExchangeKey(seed: parts.2))
        } catch {
            throw ReplicaError(.io, "node.key: \(error)")
        }
    }
}

/// How expensive the passphrase hash is. `minimum` exists for tests and demos only.
public enum KeyFileCost: String, Sendable, CaseIterable {
    case minimum, interactive, moderate, sensitive

    var cost: PassphraseSealedFile.Cost {
        switch self {
        case .minimum: .testing
        case .interactive: .interactive
        case .moderate: .moderate
        case .sensitive: .sensitive
        }
    }
}

/// Paths inside a node directory.
public struct NodeDirectory: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path.hasSuffix("/") ? String(path.dropLast()) : path }
    public var configFile: String { path + "/config.json" }
    public var keyFile: String { path + "/node.key" }
    public var replicaFile: String { path + "/replica.sqlite" }
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: configFile) }
}

/// The status catalogues shipped with RegistrySync (JSON data under `Catalogues/`).
public enum Catalogues {
    /// The catalogue for `state`, or the generic EU one when the state has none of its own.
    public static func builtIn(for state: String) throws(ReplicaError) -> StatusCatalogue {
        let name = ["NL", "BE"].contains(state) ? state : "generic"
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Catalogues") else {
            throw ReplicaError(.io, "built-in catalogue \(name) is missing from the installation")
        }
        return try load(url.path)
    }

    public static func load(_ path: String) throws(ReplicaError) -> StatusCatalogue {
        do {
            return try JSONDecoder().decode(StatusCatalogue.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ReplicaError(.invalidInput, "status catalogue \(URL(fileURLWithPath: path).lastPathComponent) is not valid: \(type(of: error))")
        }
    }
}
