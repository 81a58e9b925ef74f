// Ed25519 signing and crypto_kx behaviour beyond the published vectors.

import Foundation
@testable import RegistryCrypto
import Testing

@Suite("Signing and key exchange")
struct SigningAndKeyExchangeTests {
    let message: [UInt8] = Array("sync page 17, 200 rows".utf8)

    @Test func signVerifyRoundTripAndSeedRestores() throws {
        let key = SigningKey.generate()
        let signature = key.signature(for: message)
        #expect(signature.count == 64)
        #expect(key.publicKey.rawRepresentation.count == 32)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(key.signature(for: message) == signature)  // deterministic

        let restored = try SigningKey(seed: key.seed)
        #expect(restored.publicKey == key.publicKey)
        #expect(restored.signature(for: message) == signature)
        #expect(key.publicKey.isValidSignature(key.signature(for: []), for: []))
    }

    @Test func flippedBitsAndWrongKeysFail() {
        let key = SigningKey.generate()
        let signature = key.signature(for: message)
        for index in signature.indices {
            var bad = signature
            bad[index] ^= 0x01
            #expect(!key.publicKey.isValidSignature(bad, for: message), "signature byte \(index)")
        }
        for index in message.indices {
            var bad = message
            bad[index] ^= 0x01
            #expect(!key.publicKey.isValidSignature(signature, for: bad), "message byte \(index)")
        }
        #expect(!SigningKey.generate().publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), for: message))
        #expect(!key.publicKey.isValidSignature(signature + [0], for: message))
        #expect(!key.publicKey.isValidSignature([], for: message))
    }

    @Test func badSeedsAndPublicKeysAreRejected() {
        for length in [0, 31, 33, 64] {
            let error = #expect(throws: CryptoError.self) { try SigningKey(seed: SecureBytes(count: length)) }
            #expect(error?.code == .invalidKeyLength)
            let kxError = #expect(throws: CryptoError.self) { try KeyExchangeKey(seed: SecureBytes(count: length)) }
            #expect(kxError?.code == .invalidKeyLength)
        }
        for bytes in [[UInt8](), [UInt8](repeating: 1, count: 31), [UInt8](repeating: 1, count: 33)] {
            let e1 = #expect(throws: CryptoError.self) { try SigningPublicKey(rawRepresentation: bytes) }
            #expect(e1?.code == .invalidPublicKey)
            let e2 = #expect(throws: CryptoError.self) { try KeyExchangePublicKey(rawRepresentation: bytes) }
            #expect(e2?.code == .invalidPublicKey)
        }
        // The identity point (01 00 .. 00) has small order: not a usable Ed25519 key.
        let identity = [1] + [UInt8](repeating: 0, count: 31)
        let e3 = #expect(throws: CryptoError.self) { try SigningPublicKey(rawRepresentation: identity) }
        #expect(e3?.code == .invalidPublicKey)
    }

    @Test func publicKeysAreHashableAndCodableAsHex() throws {
        let key = SigningKey.generate()
        let data = try JSONEncoder().encode(key.publicKey)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == "\"\(hexString(key.publicKey.rawRepresentation))\"")
        #expect(try JSONDecoder().decode(SigningPublicKey.self, from: data) == key.publicKey)
        #expect(Set([key.publicKey, key.publicKey, SigningKey.generate().publicKey]).count == 2)

        let kx = KeyExchangeKey.generate()
        let kxData = try JSONEncoder().encode([kx.publicKey])
        #expect(try JSONDecoder().decode([KeyExchangePublicKey].self, from: kxData) == [kx.publicKey])

        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SigningPublicKey.self, from: Data("\"zz\"".utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(KeyExchangePublicKey.self, from: Data("\"0102\"".utf8))
        }
    }

    @Test func keyDescriptionsShowNoSecrets() {
        let key = SigningKey.generate()
        let seedHex = hexString(key.seed.unprotectedArray)
        #expect(!key.description.contains(seedHex))
        #expect(key.description.contains(hexString(key.publicKey.rawRepresentation)))
        let kx = KeyExchangeKey.generate()
        #expect(!kx.description.contains(hexString(kx.seed.unprotectedArray)))
    }

    @Test func sessionKeysMirrorAndDifferPerPair() throws {
        let client = KeyExchangeKey.generate()
        let server = KeyExchangeKey.generate()
        let c = try client.clientSessionKeys(serverPublicKey: server.publicKey)
        let s = try server.serverSessionKeys(clientPublicKey: client.publicKey)
        #expect(c.transmit == s.receive)
        #expect(c.receive == s.transmit)

        // A message sealed with one side's transmit key opens with the other's receive key.
        let sealed = AEAD.seal(message, key: c.transmit, additionalData: [])
        #expect(try AEAD.open(sealed, key: s.receive, additionalData: []) == message)

        // Another server gives other keys; restoring from the seed gives the same ones.
        let other = try client.clientSessionKeys(serverPublicKey: KeyExchangeKey.generate().publicKey)
        #expect(other.transmit != c.transmit)
        let restored = try KeyExchangeKey(seed: client.seed)
        #expect(restored.publicKey == client.publicKey)
        #expect(try restored.clientSessionKeys(serverPublicKey: server.publicKey).transmit == c.transmit)
    }
}
