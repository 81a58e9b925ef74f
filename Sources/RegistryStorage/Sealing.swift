import Foundation
import RegistryCore
public import RegistryCrypto

/// The keys a replica file is protected with. Both are derived from the node's sealed key file.
public struct StorageKeys: Sendable {
    /// Seals the change log (every value) with XChaCha20-Poly1305.
    public let dataKey: SymmetricKey
    /// Keys the BLAKE2b blind index, so lookups need no plaintext on disk.
    public let indexKey: SymmetricKey

    public init(dataKey: SymmetricKey, indexKey: SymmetricKey) {
        self.dataKey = dataKey
        self.indexKey = indexKey
    }

    /// Derives both from one master key (`crypto_kdf`), so a node keeps one secret.
    public init(master: SymmetricKey) {
        self.init(dataKey: master.derive(subkeyID: 1, context: "rsdata01"), indexKey: master.derive(subkeyID: 2, context: "rsindx01"))
    }
}

/// The keyed blind index: exact lookups (a name key, a document number) without plaintext on disk.
enum BlindIndex {
    /// The entry for a term: 8 bytes of keyed BLAKE2b, enough to find a record among millions. Held
    /// as a big-endian integer (no allocation, fast to sort); stored as those 8 bytes.
    static func term(_ term: IndexTerm, key: SymmetricKey) -> UInt64 {
        KeyedHash.hash(Array((term.kind + "\u{0}" + term.text).utf8), key: key, outputByteCount: 16).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The 8 bytes stored for an entry (their byte order is the integer's order).
    static func bytes(_ entry: UInt64) -> Data {
        withUnsafeBytes(of: entry.bigEndian) { Data($0) }
    }
}
