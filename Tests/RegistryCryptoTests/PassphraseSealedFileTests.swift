// The RSKF key file: round trip, wrong passphrase, every header byte authenticated.

@testable import RegistryCrypto
import Testing

@Suite("PassphraseSealedFile")
struct PassphraseSealedFileTests {
    let passphrase = SecureBytes(Array("correct horse battery staple".utf8))
    let payload = SymmetricKey.generate().bytes

    @Test func roundTripAndLayout() throws {
        let file = try PassphraseSealedFile.seal(payload, passphrase: passphrase, cost: .testing)
        #expect(file.count == 77 + payload.count)
        #expect(Array(file[0..<4]) == Array("RSKF".utf8))
        #expect(file[4] == 1)
        #expect(file[5] == 1 && file[6..<13].allSatisfy { $0 == 0 })  // opsLimit 1, LE
        #expect(Array(file[13..<21]) == [0x00, 0x20, 0, 0, 0, 0, 0, 0])  // memLimit 8192, LE
        #expect(try PassphraseSealedFile.open(file, passphrase: passphrase) == payload)

        // Fresh salt and nonce each time.
        let again = try PassphraseSealedFile.seal(payload, passphrase: passphrase, cost: .testing)
        #expect(Array(again[21..<61]) != Array(file[21..<61]))

        // Empty payload and empty passphrase are allowed.
        let empty = try PassphraseSealedFile.seal(SecureBytes([]), passphrase: SecureBytes([]), cost: .testing)
        #expect(try PassphraseSealedFile.open(empty, passphrase: SecureBytes([])).count == 0)
    }

    @Test func wrongPassphraseIsReportedAsSuch() throws {
        let file = try PassphraseSealedFile.seal(payload, passphrase: passphrase, cost: .testing)
        for wrong in ["correct horse battery staplE", "", "correct horse battery staple "] {
            let error = #expect(throws: CryptoError.self) {
                try PassphraseSealedFile.open(file, passphrase: SecureBytes(Array(wrong.utf8)))
            }
            #expect(error?.code == .wrongPassphrase)
            #expect(error.map { !$0.description.contains("horse") } ?? false)
        }
    }

    @Test func everyAlteredByteIsRejected() throws {
        let file = try PassphraseSealedFile.seal(payload, passphrase: passphrase, cost: .testing)
        for index in file.indices {
            var altered = file
            altered[index] ^= 0x01
            let error = #expect(throws: CryptoError.self, "byte \(index)") {
                try PassphraseSealedFile.open(altered, passphrase: passphrase)
            }
            let expected: CryptoError.Code
            switch index {
            case 0..<4: expected = .malformedInput     // magic
            case 4: expected = .unsupportedVersion     // version
            case 5: expected = .malformedInput         // opsLimit 1 -> 0: below libsodium's minimum
            case 6..<13: expected = .malformedInput    // opsLimit far above the accepted ceiling
            case 13...16: expected = .wrongPassphrase  // memLimit 8193, 8448, 73728, 16785408: legal, so authentication catches it
            case 17..<21: expected = .malformedInput   // memLimit 4 GiB and more: above the accepted ceiling
            default: expected = .wrongPassphrase       // salt, nonce, ciphertext, tag
            }
            #expect(error?.code == expected, "byte \(index)")
        }
    }

    @Test func truncatedAndForeignFilesAreMalformed() throws {
        let file = try PassphraseSealedFile.seal(payload, passphrase: passphrase, cost: .testing)
        for length in [0, 3, 4, 36, 37, 76] {
            let error = #expect(throws: CryptoError.self, "length \(length)") {
                try PassphraseSealedFile.open(Array(file.prefix(length)), passphrase: passphrase)
            }
            #expect(error?.code == .malformedInput, "length \(length)")
        }
        let error = #expect(throws: CryptoError.self) {
            try PassphraseSealedFile.open(Array("{\"not\": \"a key file\"}".utf8), passphrase: passphrase)
        }
        #expect(error?.code == .malformedInput)
    }

    @Test func costPresetsAndBounds() throws {
        #expect(PassphraseSealedFile.Cost.testing.opsLimit == 1)
        #expect(PassphraseSealedFile.Cost.testing.memLimit == 8192)
        #expect(PassphraseSealedFile.Cost.interactive == (try PassphraseSealedFile.Cost(opsLimit: 2, memLimit: 64 << 20)))
        #expect(PassphraseSealedFile.Cost.moderate == (try PassphraseSealedFile.Cost(opsLimit: 3, memLimit: 256 << 20)))
        #expect(PassphraseSealedFile.Cost.sensitive == (try PassphraseSealedFile.Cost(opsLimit: 4, memLimit: 1 << 30)))
        #expect(try PassphraseSealedFile.Cost(opsLimit: 16, memLimit: 1 << 30).opsLimit == 16)
        #expect(try PassphraseSealedFile.Cost(opsLimit: 3, memLimit: 1 << 20).opsLimit == 3)
        for (ops, mem) in [(0, 8192), (1, 8191), (17, 8192), (1, (1 << 30) + 1)] as [(UInt64, UInt64)] {
            let error = #expect(throws: CryptoError.self) {
                try PassphraseSealedFile.Cost(opsLimit: ops, memLimit: mem)
            }
            #expect(error?.code == .malformedInput)
        }
    }
}
