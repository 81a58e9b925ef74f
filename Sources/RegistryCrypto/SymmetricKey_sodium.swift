// 32-byte symmetric keys and subkey derivation (crypto_kdf, BLAKE2b).

import CSodium

/// A 256-bit secret key for ``AEAD`` and ``KeyedHash``, kept in ``SecureBytes``.
///
/// One master key can yield independent keys for separate purposes with
/// ``derive(subkeyID:context:)`` (libsodium `crypto_kdf_derive_from_key`, BLAKE2b), so a
/// leaked index key says nothing about the data key.
public struct SymmetricKey: Sendable, Equatable {
    /// Key length in bytes (32).
    public static var byteCount: Int {
        crypto_aead_xchacha20poly1305_ietf_keybytes()
    }

    /// The key bytes.
    public let bytes: SecureBytes

    /// A fresh random key.
    public static func generate() -> SymmetricKey {
        SymmetricKey(unchecked: .random(count: byteCount))
    }

    /// Wraps existing key bytes.
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless `bytes` holds exactly 32 bytes.
    public init(_ bytes: SecureBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw CryptoError(.invalidKeyLength, context: "SymmetricKey: need 32 bytes")
        }
        self.bytes = bytes
    }

    private init(unchecked bytes: SecureBytes) {
        self.bytes = bytes
    }

    /// Derives an independent 32-byte subkey (`crypto_kdf_derive_from_key`).
    ///
    /// The same key, `subkeyID` and `context` always give the same subkey; changing either
    /// gives an unrelated one. Knowing a subkey reveals nothing about the master key or
    /// about other subkeys.
    ///
    /// ```swift
    /// let dataKey  = master.derive(subkeyID: 1, context: "RSdata__")
    /// let indexKey = master.derive(subkeyID: 1, context: "RSindex_")
    /// ```
    ///
    /// - Parameters:
    ///   - subkeyID: Any 64-bit number; use it to number keys within one context (e.g. epochs).
    ///   - context: Exactly 8 bytes of UTF-8 naming the purpose, a constant in the caller's
    ///     code. Any other length is a programming error and stops the program.
    public func derive(subkeyID: UInt64, context: String) -> SymmetricKey {
        Sodium.ensureInitialised()
        let contextBytes = Array(context.utf8)
        precondition(
            contextBytes.count == crypto_kdf_contextbytes(),
            "SymmetricKey.derive: context must be exactly 8 bytes of UTF-8"
        )
        let subkeyLength = Self.byteCount
        let subkey = SecureBytes(count: subkeyLength) { (out: UnsafeMutableRawBufferPointer) in
            bytes.withBytes { master in
                contextBytes.withUnsafeBytes { ctx in
                    let status = crypto_kdf_derive_from_key(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        subkeyLength,
                        subkeyID,
                        ctx.baseAddress!.assumingMemoryBound(to: CChar.self),
                        master.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    )
                    precondition(status == 0, "crypto_kdf_derive_from_key rejected a 32-byte subkey")
                }
            }
        }
        return SymmetricKey(unchecked: subkey)
    }
}

extension SymmetricKey: CustomStringConvertible {
    /// `SymmetricKey(32 bytes)`: never the key.
    public var description: String { "SymmetricKey(\(bytes.count) bytes)" }
}
