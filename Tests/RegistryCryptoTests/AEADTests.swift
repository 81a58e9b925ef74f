// Seal/open behaviour: tampering anywhere, wrong key or additional data, short input.

import PropertyBased
@testable import RegistryCrypto
import Testing

@Suite("AEAD")
struct AEADTests {
    let key = SymmetricKey.generate()
    let ad: [UInt8] = Array("record:42".utf8)
    let message: [UInt8] = Array("Ada Lovelace, 1815-12-10, London".utf8)

    @Test func overheadIsNoncePlusTag() {
        #expect(AEAD.overhead == 40)
        #expect(AEAD.nonceByteCount == 24)
        #expect(AEAD.tagByteCount == 16)
        #expect(AEAD.seal(message, key: key, additionalData: ad).count == message.count + 40)
    }

    @Test func roundTripAndEmptyInputs() throws {
        let sealed = AEAD.seal(message, key: key, additionalData: ad)
        #expect(try AEAD.open(sealed, key: key, additionalData: ad) == message)

        let empty = AEAD.seal([], key: key, additionalData: [])
        #expect(empty.count == AEAD.overhead)
        #expect(try AEAD.open(empty, key: key, additionalData: []) == [])
    }

    @Test func everySealUsesAFreshNonce() {
        let a = AEAD.seal(message, key: key, additionalData: ad)
        let b = AEAD.seal(message, key: key, additionalData: ad)
        #expect(a != b)
        #expect(Array(a[0..<24]) != Array(b[0..<24]))
    }

    @Test func flippingAnySingleByteFailsToOpen() throws {
        let sealed = AEAD.seal(message, key: key, additionalData: ad)
        for index in sealed.indices {  // nonce, ciphertext and tag
            for mask: UInt8 in [0x01, 0x80, 0xff] {
                var tampered = sealed
                tampered[index] ^= mask
                let error = #expect(throws: CryptoError.self, "byte \(index) ^ \(mask)") {
                    try AEAD.open(tampered, key: key, additionalData: ad)
                }
                #expect(error?.code == .authenticationFailed)
            }
        }
    }

    @Test func wrongAdditionalDataFails() {
        let sealed = AEAD.seal(message, key: key, additionalData: ad)
        for other in [[], Array("record:43".utf8), ad + [0]] {
            let error = #expect(throws: CryptoError.self) {
                try AEAD.open(sealed, key: key, additionalData: other)
            }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test func wrongKeyFails() {
        let sealed = AEAD.seal(message, key: key, additionalData: ad)
        let error = #expect(throws: CryptoError.self) {
            try AEAD.open(sealed, key: .generate(), additionalData: ad)
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func truncatedBoxIsMalformedOrUnauthentic() {
        let sealed = AEAD.seal(message, key: key, additionalData: ad)
        for length in [0, 1, 23, 24, 39] {
            let error = #expect(throws: CryptoError.self, "length \(length)") {
                try AEAD.open(Array(sealed.prefix(length)), key: key, additionalData: ad)
            }
            #expect(error?.code == .malformedInput, "length \(length)")
        }
        // Long enough to parse but cut: the tag no longer matches.
        let error = #expect(throws: CryptoError.self) {
            try AEAD.open(Array(sealed.dropLast()), key: key, additionalData: ad)
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func explicitNonceMustBe24Bytes() {
        for length in [0, 12, 23, 25] {
            let error = #expect(throws: CryptoError.self) {
                try AEAD.seal(message, key: key, nonce: [UInt8](repeating: 0, count: length), additionalData: ad)
            }
            #expect(error?.code == .malformedInput)
        }
    }

    @Test func roundTripOverRandomMessages() async {
        let key = self.key
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 0...4096)) { bytes in
            let sealed = AEAD.seal(bytes, key: key, additionalData: [7, 7])
            #expect(sealed.count == bytes.count + AEAD.overhead)
            #expect((try? AEAD.open(sealed, key: key, additionalData: [7, 7])) == bytes)
        }
    }
}
