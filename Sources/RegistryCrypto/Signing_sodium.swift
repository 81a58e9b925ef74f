// Ed25519 signatures (crypto_sign_*).

import CSodium

/// An Ed25519 signing key (libsodium `crypto_sign`), held as its 32-byte seed.
///
/// Signatures are deterministic (RFC 8032): the same key and message always give the same
/// 64 bytes.
public struct SigningKey: Sendable {
    /// The 32-byte seed the key pair is derived from. Store this, not the expanded key.
    public let seed: SecureBytes
    /// libsodium's 64-byte secret key (seed || public key).
    private let secretKey: SecureBytes
    /// The matching public key, to publish.
    public let publicKey: SigningPublicKey

    /// Seed length in bytes (32).
    public static var seedByteCount: Int { crypto_sign_seedbytes() }
    /// Signature length in bytes (64).
    public static var signatureByteCount: Int { crypto_sign_bytes() }

    /// A fresh random key.
    public static func generate() -> SigningKey {
        SigningKey(validSeed: .random(count: seedByteCount))
    }

    /// Re-creates the key pair from its seed (`crypto_sign_seed_keypair`).
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless `seed` is 32 bytes.
    public init(seed: SecureBytes) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw CryptoError(.invalidKeyLength, context: "SigningKey: seed must be 32 bytes")
        }
        self.init(validSeed: seed)
    }

    /// `seed` is known to be 32 bytes.
    private init(validSeed seed: SecureBytes) {
        Sodium.ensureInitialised()
        var publicBytes = [UInt8](repeating: 0, count: crypto_sign_publickeybytes())
        let secret = SecureBytes(count: crypto_sign_secretkeybytes()) { (sk: UnsafeMutableRawBufferPointer) in
            seed.withBytes { s in
                let status = crypto_sign_seed_keypair(
                    &publicBytes,
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    s.baseAddress!.assumingMemoryBound(to: UInt8.self)
                )
                precondition(status == 0, "crypto_sign_seed_keypair failed")
            }
        }
        self.seed = seed
        self.secretKey = secret
        self.publicKey = SigningPublicKey(unchecked: publicBytes)
    }

    /// A detached 64-byte Ed25519 signature of `message` (`crypto_sign_detached`).
    public func signature(for message: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialised()
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        var length: UInt64 = 0
        let status = withBytePointer(message) { m, mLength in
            secretKey.withBytes { sk in
                crypto_sign_detached(
                    &signature, &length,
                    m, UInt64(mLength),
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self)
                )
            }
        }
        precondition(status == 0 && Int(length) == Self.signatureByteCount, "crypto_sign_detached failed")
        return signature
    }
}

extension SigningKey: CustomStringConvertible {
    /// Shows the public key only.
    public var description: String { "SigningKey(public: \(Hex.encode(publicKey.rawRepresentation)))" }
}

/// An Ed25519 public key: verifies signatures made by the matching ``SigningKey``.
///
/// `Codable` as a single lowercase hex string of the 32 raw bytes.
public struct SigningPublicKey: Sendable, Hashable, Codable, HexCodablePublicKey {
    /// The 32 raw bytes (RFC 8032 encoding).
    public let rawRepresentation: [UInt8]

    /// Public key length in bytes (32).
    public static var byteCount: Int { crypto_sign_publickeybytes() }

    /// Accepts 32 bytes that encode a usable Ed25519 point.
    /// - Throws: ``CryptoError/Code/invalidPublicKey`` for a wrong length, a non-canonical or
    ///   low-order point, or bytes that are not on the curve
    ///   (`crypto_core_ed25519_is_valid_point`).
    public init(rawRepresentation: [UInt8]) throws(CryptoError) {
        guard rawRepresentation.count == Self.byteCount else {
            throw CryptoError(.invalidPublicKey, context: "SigningPublicKey: need 32 bytes")
        }
        Sodium.ensureInitialised()
        guard crypto_core_ed25519_is_valid_point(rawRepresentation) == 1 else {
            throw CryptoError(.invalidPublicKey, context: "SigningPublicKey: not a valid Ed25519 point")
        }
        self.rawRepresentation = rawRepresentation
    }

    init(unchecked rawRepresentation: [UInt8]) {
        self.rawRepresentation = rawRepresentation
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key
    /// (`crypto_sign_verify_detached`). Any other length than 64 bytes is simply invalid.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == SigningKey.signatureByteCount else { return false }
        Sodium.ensureInitialised()
        return withBytePointer(message) { m, mLength in
            crypto_sign_verify_detached(signature, m, UInt64(mLength), rawRepresentation) == 0
        }
    }

    /// Encodes as one lowercase hex string.
    public func encode(to encoder: any Encoder) throws { try encodeHex(to: encoder) }
    /// Decodes a hex string of a valid 32-byte key; anything else is `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws { self = try Self.decodeHex(from: decoder) }
}

extension SigningPublicKey: CustomStringConvertible {
    /// `SigningPublicKey(<hex>)`: public, so shown.
    public var description: String { "SigningPublicKey(\(Hex.encode(rawRepresentation)))" }
}
