// X25519 key exchange (crypto_kx_*, and crypto_scalarmult for the RFC 7748 tests).

import CSodium

/// A static X25519 key pair for libsodium's `crypto_kx`: two peers, each knowing the other's
/// public key, derive the same pair of session keys.
///
/// The side that starts the conversation calls ``clientSessionKeys(serverPublicKey:)``, the
/// other ``serverSessionKeys(clientPublicKey:)``. The client's `transmit` key equals the
/// server's `receive` key and vice versa, so each direction has its own key.
///
/// `crypto_kx` hashes the shared secret together with both public keys (BLAKE2b-512), so the
/// keys are bound to the two identities.
public struct KeyExchangeKey: Sendable {
    /// The 32-byte seed the key pair is derived from (`crypto_kx_seed_keypair`).
    public let seed: SecureBytes
    private let secretKey: SecureBytes
    /// The matching public key, to publish.
    public let publicKey: KeyExchangePublicKey

    /// Seed length in bytes (32).
    public static var seedByteCount: Int { crypto_kx_seedbytes() }

    /// A fresh random key pair.
    public static func generate() -> KeyExchangeKey {
        KeyExchangeKey(validSeed: .random(count: seedByteCount))
    }

    /// Re-creates the key pair from its seed (`crypto_kx_seed_keypair`).
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless `seed` is 32 bytes.
    public init(seed: SecureBytes) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw CryptoError(.invalidKeyLength, context: "KeyExchangeKey: seed must be 32 bytes")
        }
        self.init(validSeed: seed)
    }

    /// `seed` is known to be 32 bytes.
    private init(validSeed seed: SecureBytes) {
        Sodium.ensureInitialised()
        var publicBytes = [UInt8](repeating: 0, count: crypto_kx_publickeybytes())
        let secret = SecureBytes(count: crypto_kx_secretkeybytes()) { (sk: UnsafeMutableRawBufferPointer) in
            seed.withBytes { s in
                let status = crypto_kx_seed_keypair(
                    &publicBytes,
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    s.baseAddress!.assumingMemoryBound(to: UInt8.self)
                )
                precondition(status == 0, "crypto_kx_seed_keypair failed")
            }
        }
        self.seed = seed
        self.secretKey = secret
        self.publicKey = KeyExchangePublicKey(unchecked: publicBytes)
    }

    /// Session keys for the side that initiates (`crypto_kx_client_session_keys`).
    /// - Throws: ``CryptoError/Code/keyExchangeFailed`` if the server's key is a low-order
    ///   point (the shared secret would be all zeros).
    public func clientSessionKeys(serverPublicKey: KeyExchangePublicKey) throws(CryptoError) -> SessionKeys {
        try sessionKeys(peer: serverPublicKey, asClient: true)
    }

    /// Session keys for the side that answers (`crypto_kx_server_session_keys`).
    /// - Throws: ``CryptoError/Code/keyExchangeFailed`` if the client's key is a low-order point.
    public func serverSessionKeys(clientPublicKey: KeyExchangePublicKey) throws(CryptoError) -> SessionKeys {
        try sessionKeys(peer: clientPublicKey, asClient: false)
    }

    private func sessionKeys(peer: KeyExchangePublicKey, asClient: Bool) throws(CryptoError) -> SessionKeys {
        Sodium.ensureInitialised()
        let keyLength = crypto_kx_sessionkeybytes()
        var status: Int32 = -1
        var receive = SecureBytes(count: keyLength)
        var transmit = SecureBytes(count: keyLength)
        receive.withUnsafeMutableBytes { rx in
            transmit.withUnsafeMutableBytes { tx in
                secretKey.withBytes { sk in
                    let rxp = rx.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    let txp = tx.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    let skp = sk.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    status = asClient
                        ? crypto_kx_client_session_keys(rxp, txp, publicKey.rawRepresentation, skp, peer.rawRepresentation)
                        : crypto_kx_server_session_keys(rxp, txp, publicKey.rawRepresentation, skp, peer.rawRepresentation)
                }
            }
        }
        guard status == 0 else {
            throw CryptoError(.keyExchangeFailed, context: asClient ? "KeyExchangeKey.clientSessionKeys" : "KeyExchangeKey.serverSessionKeys")
        }
        return SessionKeys(receive: try SymmetricKey(receive), transmit: try SymmetricKey(transmit))
    }
}

extension KeyExchangeKey: CustomStringConvertible {
    /// Shows the public key only.
    public var description: String { "KeyExchangeKey(public: \(Hex.encode(publicKey.rawRepresentation)))" }
}

/// An X25519 public key for ``KeyExchangeKey``.
///
/// `Codable` as a single lowercase hex string of the 32 raw bytes.
public struct KeyExchangePublicKey: Sendable, Hashable, Codable, HexCodablePublicKey {
    /// The 32 raw bytes (RFC 7748 u-coordinate).
    public let rawRepresentation: [UInt8]

    /// Public key length in bytes (32).
    public static var byteCount: Int { crypto_kx_publickeybytes() }

    /// Accepts any 32 bytes (every string of 32 bytes is an X25519 u-coordinate; low-order
    /// points are refused later, by the session-key functions).
    /// - Throws: ``CryptoError/Code/invalidPublicKey`` for any other length.
    public init(rawRepresentation: [UInt8]) throws(CryptoError) {
        guard rawRepresentation.count == Self.byteCount else {
            throw CryptoError(.invalidPublicKey, context: "KeyExchangePublicKey: need 32 bytes")
        }
        self.rawRepresentation = rawRepresentation
    }

    init(unchecked rawRepresentation: [UInt8]) {
        self.rawRepresentation = rawRepresentation
    }

    /// Encodes as one lowercase hex string.
    public func encode(to encoder: any Encoder) throws { try encodeHex(to: encoder) }
    /// Decodes a hex string of 32 bytes; anything else is `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws { self = try Self.decodeHex(from: decoder) }
}

extension KeyExchangePublicKey: CustomStringConvertible {
    /// `KeyExchangePublicKey(<hex>)`: public, so shown.
    public var description: String { "KeyExchangePublicKey(\(Hex.encode(rawRepresentation)))" }
}

/// The two keys one side of a ``KeyExchangeKey`` exchange uses: decrypt with `receive`,
/// encrypt with `transmit`.
public struct SessionKeys: Sendable {
    /// Opens what the peer sends (equals the peer's `transmit`).
    public let receive: SymmetricKey
    /// Seals what this side sends (equals the peer's `receive`).
    public let transmit: SymmetricKey

    /// Pairs two keys (normally made by ``KeyExchangeKey``; public for tests and transports).
    public init(receive: SymmetricKey, transmit: SymmetricKey) {
        self.receive = receive
        self.transmit = transmit
    }
}

/// Raw X25519 (`crypto_scalarmult`), inside the module only: it exists so the RFC 7748
/// known-answer tests can check the primitive under `crypto_kx`.
enum X25519 {
    /// `scalar · basepoint`.
    static func publicKey(scalar: SecureBytes) -> [UInt8] {
        precondition(scalar.count == crypto_scalarmult_scalarbytes())
        Sodium.ensureInitialised()
        var out = [UInt8](repeating: 0, count: crypto_scalarmult_bytes())
        scalar.withBytes { s in
            _ = crypto_scalarmult_base(&out, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return out
    }

    /// `scalar · point`; fails with `.keyExchangeFailed` if the result is all zeros.
    static func sharedSecret(scalar: SecureBytes, publicKey: [UInt8]) throws(CryptoError) -> SecureBytes {
        precondition(scalar.count == crypto_scalarmult_scalarbytes())
        guard publicKey.count == crypto_scalarmult_bytes() else {
            throw CryptoError(.invalidPublicKey, context: "X25519: need 32 bytes")
        }
        Sodium.ensureInitialised()
        var status: Int32 = -1
        let shared = SecureBytes(count: crypto_scalarmult_bytes()) { (out: UnsafeMutableRawBufferPointer) in
            scalar.withBytes { s in
                status = crypto_scalarmult(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    publicKey
                )
            }
        }
        guard status == 0 else {
            throw CryptoError(.keyExchangeFailed, context: "X25519: low-order point")
        }
        return shared
    }
}
