import RegistryCore
public import RegistryCrypto

/// The keys a replica file is protected with. Both are derived from the node's sealed key file.
public struct StorageKeys: Sendable {
    /// Seals change-set bodies (every value) with XChaCha20-Poly1305.
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

/// How change-set bodies are sealed at rest (layout in `Protocol/encryption.md`).
///
/// One AEAD per change set, not per value: the change set is immutable and written in one
/// transaction, and per-value tags and nonces (40 bytes each) would triple the file. The additional
/// data binds entity, record id, origin, sequence range and clock; the sealed body names each value's
/// field, so a ciphertext cannot be moved to another record, field or dot.
enum BodySealer {
    static let sealedTag: UInt8 = 1
    static let redactedTag: UInt8 = 0

    static func additionalData(_ set: ChangeSet) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.raw(Array("regsync/changeset/v1".utf8))
        writer.byte(set.entity.rawValue)
        writer.identifier(set.record)
        writer.identifier(set.origin)
        writer.fixed64(set.firstSeq)
        writer.fixed64(set.lastSeq)
        writer.fixed64(set.hlc.rawValue)
        return writer.bytes
    }

    static func seal(_ set: ChangeSet, key: SymmetricKey) -> [UInt8] {
        let body = ChangeSetCodec.encodeBody(set.content, origin: set.origin)
        if case .redacted = set.content { return [redactedTag] + body }
        return [sealedTag] + AEAD.seal(body, key: key, additionalData: additionalData(set))
    }

    /// Opens a stored body; `header` carries everything but the content.
    static func open(_ stored: [UInt8], header: ChangeSet, key: SymmetricKey) throws(StorageError) -> ChangeSet.Content {
        guard let tag = stored.first else { throw StorageError(.tampered, "empty change set body") }
        let body: [UInt8]
        switch tag {
        case redactedTag:
            body = Array(stored.dropFirst())
        case sealedTag:
            do {
                body = try AEAD.open(Array(stored.dropFirst()), key: key, additionalData: additionalData(header))
            } catch {
                throw StorageError(.tampered, "change set \(header.dot(at: 0)) failed authentication")
            }
        default:
            throw StorageError(.tampered, "unknown body tag")
        }
        do {
            return try ChangeSetCodec.decodeBody(body, origin: header.origin)
        } catch {
            throw StorageError(.tampered, "change set \(header.dot(at: 0)): \(error)")
        }
    }

    /// The blind-index entry for a term: 8 bytes of keyed BLAKE2b, enough to find a record among millions.
    static func blindTerm(_ term: IndexTerm, key: SymmetricKey) -> [UInt8] {
        Array(KeyedHash.hash(Array((term.kind + "\u{0}" + term.text).utf8), key: key, outputByteCount: 16).prefix(8))
    }
}
