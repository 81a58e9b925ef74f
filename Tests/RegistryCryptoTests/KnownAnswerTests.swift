// Published (and two clearly labelled regression) vectors from Protocol/vectors/crypto.

import Foundation
@testable import RegistryCrypto
import Testing

@Suite("Known-answer vectors")
struct KnownAnswerTests {
    // MARK: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 A.3.1)

    struct AEADFile: Decodable {
        struct Case: Decodable {
            let id, key, nonce, aad, plaintext, ciphertext, tag: String
        }
        let source: String
        let valid: [Case]
        let invalid: [Case]
    }

    @Test func xchacha20Poly1305DraftVector() throws {
        let file = try loadVectors("xchacha20poly1305.json", as: AEADFile.self)
        #expect(file.source.contains("draft-irtf-cfrg-xchacha-03"))
        try #require(!file.valid.isEmpty)
        for v in file.valid {
            let key = try SymmetricKey(SecureBytes(hex(v.key)))
            let sealed = try AEAD.seal(hex(v.plaintext), key: key, nonce: hex(v.nonce), additionalData: hex(v.aad))
            #expect(hexString(sealed) == v.nonce + v.ciphertext + v.tag, "\(v.id)")
            let opened = try AEAD.open(sealed, key: key, additionalData: hex(v.aad))
            #expect(opened == hex(v.plaintext), "\(v.id)")
        }
    }

    @Test func xchacha20Poly1305TamperedVectorsFail() throws {
        let file = try loadVectors("xchacha20poly1305.json", as: AEADFile.self)
        try #require(file.invalid.count >= 4)
        for v in file.invalid {
            let key = try SymmetricKey(SecureBytes(hex(v.key)))
            let sealed = hex(v.nonce + v.ciphertext + v.tag)
            let error = #expect(throws: CryptoError.self, "\(v.id)") {
                try AEAD.open(sealed, key: key, additionalData: hex(v.aad))
            }
            #expect(error?.code == .authenticationFailed, "\(v.id)")
        }
    }

    // MARK: Ed25519 (RFC 8032 7.1)

    struct Ed25519File: Decodable {
        struct Valid: Decodable { let id, secretKey, publicKey, message, signature: String }
        struct Invalid: Decodable { let id, publicKey, message, signature: String }
        let source: String
        let valid: [Valid]
        let invalid: [Invalid]
    }

    @Test func ed25519RFC8032Vectors() throws {
        let file = try loadVectors("ed25519.json", as: Ed25519File.self)
        #expect(file.source.contains("RFC 8032"))
        try #require(file.valid.count >= 4)
        for v in file.valid {
            let key = try SigningKey(seed: SecureBytes(hex(v.secretKey)))
            #expect(hexString(key.publicKey.rawRepresentation) == v.publicKey, "\(v.id)")
            let signature = key.signature(for: hex(v.message))
            #expect(hexString(signature) == v.signature, "\(v.id)")
            let publicKey = try SigningPublicKey(rawRepresentation: hex(v.publicKey))
            #expect(publicKey.isValidSignature(hex(v.signature), for: hex(v.message)), "\(v.id)")
        }
    }

    @Test func ed25519InvalidSignaturesAreRejected() throws {
        let file = try loadVectors("ed25519.json", as: Ed25519File.self)
        try #require(file.invalid.count >= 4)
        for v in file.invalid {
            let publicKey = try SigningPublicKey(rawRepresentation: hex(v.publicKey))
            #expect(!publicKey.isValidSignature(hex(v.signature), for: hex(v.message)), "\(v.id)")
        }
    }

    // MARK: BLAKE2b keyed (BLAKE2 reference KAT)

    struct Blake2File: Decodable {
        struct Case: Decodable { let id: String; let inputLength: Int; let out: String }
        let source, key: String
        let valid: [Case]
    }

    @Test func blake2bKeyedReferenceVectors() throws {
        let file = try loadVectors("blake2b-keyed.json", as: Blake2File.self)
        #expect(file.source.contains("blake2b-kat.txt"))
        try #require(file.valid.count >= 4)
        let key = SecureBytes(hex(file.key))
        for v in file.valid {
            let input = (0..<v.inputLength).map { UInt8($0) }
            #expect(hexString(KeyedHash.hash(input, rawKey: key, outputByteCount: 64)) == v.out, "\(v.id) one-shot")

            // Incremental, in uneven pieces, must agree.
            var hasher = KeyedHasher(rawKey: key, outputByteCount: 64)
            var offset = 0
            var piece = 1
            while offset < input.count {
                let end = min(input.count, offset + piece)
                hasher.update(Array(input[offset..<end]))
                offset = end
                piece = piece * 3 + 1
            }
            #expect(hexString(hasher.finalize()) == v.out, "\(v.id) incremental")
        }
    }

    // MARK: X25519 (RFC 7748 6.1)

    struct X25519File: Decodable {
        struct Invalid: Decodable { let id, publicKey, reason: String }
        let source, alicePrivate, alicePublic, bobPrivate, bobPublic, sharedSecret: String
        let invalid: [Invalid]
    }

    @Test func x25519RFC7748Vector() throws {
        let file = try loadVectors("x25519.json", as: X25519File.self)
        #expect(file.source.contains("RFC 7748"))
        let alice = SecureBytes(hex(file.alicePrivate))
        let bob = SecureBytes(hex(file.bobPrivate))
        #expect(hexString(X25519.publicKey(scalar: alice)) == file.alicePublic)
        #expect(hexString(X25519.publicKey(scalar: bob)) == file.bobPublic)
        let k1 = try X25519.sharedSecret(scalar: alice, publicKey: hex(file.bobPublic))
        let k2 = try X25519.sharedSecret(scalar: bob, publicKey: hex(file.alicePublic))
        #expect(hexString(k1.unprotectedArray) == file.sharedSecret)
        #expect(k1 == k2)

        for v in file.invalid {
            let error = #expect(throws: CryptoError.self, "\(v.id)") {
                try X25519.sharedSecret(scalar: alice, publicKey: hex(v.publicKey))
            }
            #expect(error?.code.rawValue == v.reason, "\(v.id)")
            // The same low-order point must make crypto_kx refuse too.
            let peer = try KeyExchangePublicKey(rawRepresentation: hex(v.publicKey))
            let kxError = #expect(throws: CryptoError.self, "\(v.id) via crypto_kx") {
                try KeyExchangeKey.generate().clientSessionKeys(serverPublicKey: peer)
            }
            #expect(kxError?.code == .keyExchangeFailed)
        }
    }

    // MARK: crypto_kx (regression vector)

    struct KXFile: Decodable {
        let source, clientSeed, serverSeed, clientPublicKey, serverPublicKey: String
        let clientReceive, clientTransmit, serverReceive, serverTransmit: String
    }

    @Test func keyExchangeRegressionVectorAndMirroredKeys() throws {
        let file = try loadVectors("kx.json", as: KXFile.self)
        #expect(file.source.hasPrefix("REGRESSION VECTOR, NOT PUBLISHED"))
        let client = try KeyExchangeKey(seed: SecureBytes(hex(file.clientSeed)))
        let server = try KeyExchangeKey(seed: SecureBytes(hex(file.serverSeed)))
        #expect(hexString(client.publicKey.rawRepresentation) == file.clientPublicKey)
        #expect(hexString(server.publicKey.rawRepresentation) == file.serverPublicKey)

        let c = try client.clientSessionKeys(serverPublicKey: server.publicKey)
        let s = try server.serverSessionKeys(clientPublicKey: client.publicKey)
        #expect(hexString(c.receive.bytes.unprotectedArray) == file.clientReceive)
        #expect(hexString(c.transmit.bytes.unprotectedArray) == file.clientTransmit)
        #expect(hexString(s.receive.bytes.unprotectedArray) == file.serverReceive)
        #expect(hexString(s.transmit.bytes.unprotectedArray) == file.serverTransmit)
        // Mirrored: what one side transmits with, the other receives with.
        #expect(c.transmit == s.receive)
        #expect(c.receive == s.transmit)
        #expect(c.receive != c.transmit)
    }

    // MARK: crypto_kdf (libsodium test suite)

    struct KDFFile: Decodable {
        struct Case: Decodable { let id: String; let subkeyID: UInt64; let subkey: String }
        let source, masterKey, context: String
        let valid: [Case]
    }

    @Test func kdfLibsodiumVector() throws {
        let file = try loadVectors("kdf.json", as: KDFFile.self)
        #expect(file.source.contains("kdf.exp"))
        let master = try SymmetricKey(SecureBytes(hex(file.masterKey)))
        try #require(!file.valid.isEmpty)
        for v in file.valid {
            let sub = master.derive(subkeyID: v.subkeyID, context: file.context)
            #expect(hexString(sub.bytes.unprotectedArray) == v.subkey, "\(v.id)")
        }
    }

    // MARK: Argon2id (libsodium test suite)

    struct ArgonFile: Decodable {
        struct Case: Decodable {
            let id, passwordHex, saltHex, expectedHex: String
            let opsLimit, memLimit: UInt64
            let outputByteCount: Int
        }
        let source: String
        let valid: [Case]
    }

    @Test func argon2idLibsodiumVectors() throws {
        let file = try loadVectors("argon2id.json", as: ArgonFile.self)
        #expect(file.source.contains("pwhash_argon2id"))
        try #require(file.valid.count >= 3)
        for v in file.valid {
            let password = hex(v.passwordHex)
            let out = try password.withUnsafeBytes { p in
                try Argon2id.deriveKey(
                    passphrase: p, salt: hex(v.saltHex),
                    opsLimit: v.opsLimit, memLimit: v.memLimit,
                    outputByteCount: v.outputByteCount
                )
            }
            #expect(hexString(out.unprotectedArray) == v.expectedHex, "\(v.id)")
        }
    }

    // MARK: RSKF v1 key file (regression vector)

    struct KeyFileFile: Decodable {
        struct Invalid: Decodable { let id, file, passphrase, error: String }
        let source, passphrase, payload, salt, nonce, file: String
        let opsLimit, memLimit: UInt64
        let invalid: [Invalid]
    }

    @Test func keyFileVersion1StillOpensAndSealsIdentically() throws {
        let v = try loadVectors("keyfile.json", as: KeyFileFile.self)
        #expect(v.source.hasPrefix("REGRESSION VECTOR, NOT PUBLISHED"))
        let passphrase = SecureBytes(Array(v.passphrase.utf8))
        let opened = try PassphraseSealedFile.open(hex(v.file), passphrase: passphrase)
        #expect(opened == SecureBytes(hex(v.payload)))

        let cost = try PassphraseSealedFile.Cost(opsLimit: v.opsLimit, memLimit: v.memLimit)
        #expect(cost == .testing)
        let sealed = try PassphraseSealedFile.seal(
            SecureBytes(hex(v.payload)), passphrase: passphrase, cost: cost,
            salt: hex(v.salt), nonce: hex(v.nonce)
        )
        #expect(hexString(sealed) == v.file)
    }

    @Test func keyFileInvalidCasesAreRejectedWithTheirCode() throws {
        let v = try loadVectors("keyfile.json", as: KeyFileFile.self)
        try #require(v.invalid.count >= 8)
        for c in v.invalid {
            let error = #expect(throws: CryptoError.self, "\(c.id)") {
                try PassphraseSealedFile.open(hex(c.file), passphrase: SecureBytes(Array(c.passphrase.utf8)))
            }
            #expect(error?.code.rawValue == c.error, "\(c.id)")
        }
    }
}
