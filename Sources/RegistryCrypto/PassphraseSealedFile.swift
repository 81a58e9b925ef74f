// A payload (typically a key) sealed under a passphrase: Argon2id + XChaCha20-Poly1305.

/// A small file holding a secret (typically a ``SymmetricKey`` or a signing seed) sealed with a
/// passphrase.
///
/// Argon2id (`crypto_pwhash`, `ALG_ARGON2ID13`) turns the passphrase and a random salt into a
/// 32-byte key; XChaCha20-Poly1305 (``AEAD``) seals the payload under it, with the whole
/// header as additional data, so no header byte (cost, salt, version) can be changed without
/// the file failing to open.
///
/// Byte layout, version 1 (integers little-endian):
///
/// ```
/// offset  size  field
///      0     4  magic "RSKF" (52 53 4B 46)
///      4     1  version = 1
///      5     8  opsLimit  (UInt64 LE, Argon2id passes)
///     13     8  memLimit  (UInt64 LE, bytes)
///     21    16  salt (random per file)
///     37    24  AEAD nonce (random per file)
///     61     n  ciphertext of the payload
///   61+n    16  Poly1305 tag
/// ```
///
/// Bytes 0..<37 (the header) are the AEAD additional data; bytes 37... are exactly an
/// ``AEAD`` sealed box. A file is `77 + payload.count` bytes. See also
/// `Protocol/vectors/crypto/README.md`.
public struct PassphraseSealedFile {
    /// Argon2id work factors: how many passes and how much memory each attempt costs.
    public struct Cost: Sendable, Equatable {
        /// Argon2id passes (libsodium `opslimit`).
        public let opsLimit: UInt64
        /// Memory in bytes (libsodium `memlimit`).
        public let memLimit: UInt64

        /// Custom limits.
        /// - Throws: ``CryptoError/Code/malformedInput`` if below libsodium's minimum
        ///   (``testing``) or above what ``PassphraseSealedFile/open(_:passphrase:)`` accepts
        ///   (memory of ``sensitive``, 4 × its passes).
        public init(opsLimit: UInt64, memLimit: UInt64) throws(CryptoError) {
            guard (Self.minimum.opsLimit...Self.maximum.opsLimit).contains(opsLimit),
                  (Self.minimum.memLimit...Self.maximum.memLimit).contains(memLimit)
            else {
                throw CryptoError(.malformedInput, context: "PassphraseSealedFile.Cost: limits out of range")
            }
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }

        init(unchecked opsLimit: UInt64, _ memLimit: UInt64) {
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }
    }

    /// The four magic bytes "RSKF".
    public static let magic: [UInt8] = Array("RSKF".utf8)
    /// The format version this build writes (and the only one it reads).
    public static let currentVersion: UInt8 = 1
    /// Header length: magic, version, opsLimit, memLimit, salt.
    static let headerByteCount = 4 + 1 + 8 + 8 + 16
    /// Length of the derived key.
    static let keyByteCount = 32

    /// Seals `payload` under `passphrase` with a fresh random salt and nonce.
    /// - Returns: the file bytes (layout above), `77 + payload.count` bytes.
    /// - Throws: ``CryptoError/Code/outOfMemory`` if Argon2id cannot get its memory.
    public static func seal(
        _ payload: SecureBytes,
        passphrase: SecureBytes,
        cost: Cost = .moderate
    ) throws(CryptoError) -> [UInt8] {
        try seal(
            payload, passphrase: passphrase, cost: cost,
            salt: secureRandomBytes(Argon2id.saltByteCount),
            nonce: secureRandomBytes(AEAD.nonceByteCount)
        )
    }

    /// Deterministic sealing for the regression vector; never reuse a salt and nonce.
    static func seal(
        _ payload: SecureBytes,
        passphrase: SecureBytes,
        cost: Cost,
        salt: [UInt8],
        nonce: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        precondition(salt.count == Argon2id.saltByteCount && nonce.count == AEAD.nonceByteCount)
        var header = magic
        header.append(currentVersion)
        header.append(contentsOf: littleEndianBytes(cost.opsLimit))
        header.append(contentsOf: littleEndianBytes(cost.memLimit))
        header.append(contentsOf: salt)
        assert(header.count == headerByteCount)

        let key = try deriveKey(passphrase: passphrase, salt: salt, cost: cost)
        let box = payload.withBytes { message in
            AEAD.sealUnchecked(message, key: key, nonce: nonce, additionalData: header)
        }
        return header + box
    }

    /// Opens a file made by ``seal(_:passphrase:cost:)``.
    /// - Returns: the payload, in ``SecureBytes`` (it is decrypted straight into them).
    /// - Throws:
    ///   - ``CryptoError/Code/malformedInput``: not this format (wrong magic, too short, or
    ///     cost limits outside what ``Cost`` accepts).
    ///   - ``CryptoError/Code/unsupportedVersion``: a version other than 1.
    ///   - ``CryptoError/Code/wrongPassphrase``: the passphrase is wrong, or the file was
    ///     altered after sealing (the two cannot be told apart).
    ///   - ``CryptoError/Code/outOfMemory``: Argon2id could not get its memory.
    public static func open(_ file: [UInt8], passphrase: SecureBytes) throws(CryptoError) -> SecureBytes {
        guard file.count >= magic.count + 1, Array(file[0..<magic.count]) == magic else {
            throw CryptoError(.malformedInput, context: "PassphraseSealedFile.open: not an RSKF file")
        }
        guard file[magic.count] == currentVersion else {
            throw CryptoError(.unsupportedVersion, context: "PassphraseSealedFile.open: unknown version")
        }
        guard file.count >= headerByteCount + AEAD.overhead else {
            throw CryptoError(.malformedInput, context: "PassphraseSealedFile.open: truncated")
        }
        let opsLimit = readLittleEndian(file, at: 5)
        let memLimit = readLittleEndian(file, at: 13)
        let cost: Cost
        do {
            cost = try Cost(opsLimit: opsLimit, memLimit: memLimit)
        } catch {
            throw CryptoError(.malformedInput, context: "PassphraseSealedFile.open: cost limits out of range")
        }
        let header = Array(file[0..<headerByteCount])
        let salt = Array(file[21..<headerByteCount])
        let key = try deriveKey(passphrase: passphrase, salt: salt, cost: cost)

        let payloadCount = file.count - headerByteCount - AEAD.overhead
        let result: Result<SecureBytes, CryptoError> = file.withUnsafeBytes { all in
            let box = UnsafeRawBufferPointer(rebasing: all[headerByteCount...])
            return Result { () throws(CryptoError) -> SecureBytes in
                try SecureBytes(count: payloadCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                    do {
                        try AEAD.openUnchecked(box, into: out, key: key, additionalData: header)
                    } catch {
                        throw CryptoError(.wrongPassphrase, context: "PassphraseSealedFile.open")
                    }
                }
            }
        }
        return try result.get()
    }

    private static func deriveKey(passphrase: SecureBytes, salt: [UInt8], cost: Cost) throws(CryptoError) -> SymmetricKey {
        let bytes = try passphrase.withBytes { (p: UnsafeRawBufferPointer) throws(CryptoError) -> SecureBytes in
            try Argon2id.deriveKey(
                passphrase: p, salt: salt,
                opsLimit: cost.opsLimit, memLimit: cost.memLimit,
                outputByteCount: keyByteCount
            )
        }
        return try SymmetricKey(bytes)
    }

    private static func littleEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    private static func readLittleEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
}
