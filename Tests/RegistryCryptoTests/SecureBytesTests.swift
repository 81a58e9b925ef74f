// SecureBytes and SymmetricKey: no bytes in descriptions, equality, copy-on-write, derive.

@testable import RegistryCrypto
import Testing

@Suite("SecureBytes and SymmetricKey")
struct SecureBytesTests {
    @Test func descriptionShowsOnlyTheLength() {
        let secret = SecureBytes([0xde, 0xad, 0xbe, 0xef])
        #expect(secret.description == "SecureBytes(4 bytes)")
        #expect(String(describing: secret) == "SecureBytes(4 bytes)")
        #expect(String(reflecting: secret) == "SecureBytes(4 bytes)")
        #expect("\(secret)" == "SecureBytes(4 bytes)")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in [secret.description, dumped] {
            #expect(!text.lowercased().contains("de"))
            #expect(!text.contains("222"))  // 0xde
            #expect(!text.contains("173"))  // 0xad
        }
        let key = SymmetricKey.generate()
        #expect(key.description == "SymmetricKey(32 bytes)")
    }

    @Test func initialisersAndCount() {
        #expect(SecureBytes(count: 5).unprotectedArray == [0, 0, 0, 0, 0])
        #expect(SecureBytes(count: 0).count == 0)
        #expect(SecureBytes([1, 2, 3]).count == 3)
        #expect(SecureBytes(1...4).unprotectedArray == [1, 2, 3, 4])  // not contiguous
        #expect(SecureBytes("pass".utf8) == SecureBytes(Array("pass".utf8)))  // contiguous
        let random = SecureBytes.random(count: 32)
        #expect(random.count == 32)
        #expect(random != SecureBytes.random(count: 32))
        #expect(random.withUnsafeBytes { $0.count } == 32)
    }

    @Test func equalityIsByContentAndLength() {
        #expect(SecureBytes([1, 2, 3]) == SecureBytes([1, 2, 3]))
        #expect(SecureBytes([1, 2, 3]) != SecureBytes([1, 2, 4]))
        #expect(SecureBytes([1, 2, 3]) != SecureBytes([1, 2]))
        #expect(SecureBytes([]) == SecureBytes(count: 0))
        #expect(SecureBytes([0]) != SecureBytes([]))
    }

    @Test func copiesAreIndependentValues() {
        let original = SecureBytes([1, 2, 3])
        var copy = original
        copy.withUnsafeMutableBytes { $0[0] = 9 }
        #expect(original.unprotectedArray == [1, 2, 3])
        #expect(copy.unprotectedArray == [9, 2, 3])
    }

    @Test func symmetricKeyLength() throws {
        #expect(SymmetricKey.generate().bytes.count == 32)
        for length in [0, 16, 31, 33, 64] {
            let error = #expect(throws: CryptoError.self) { try SymmetricKey(SecureBytes(count: length)) }
            #expect(error?.code == .invalidKeyLength)
        }
        let bytes = SecureBytes.random(count: 32)
        #expect(try SymmetricKey(bytes) == SymmetricKey(bytes))
        #expect(SymmetricKey.generate() != SymmetricKey.generate())
    }

    @Test func deriveIsDeterministicAndSeparatesIDsAndContexts() {
        let master = SymmetricKey.generate()
        let a = master.derive(subkeyID: 1, context: "RSdata__")
        #expect(a == master.derive(subkeyID: 1, context: "RSdata__"))
        #expect(a != master.derive(subkeyID: 2, context: "RSdata__"))
        #expect(a != master.derive(subkeyID: 1, context: "RSindex_"))
        #expect(a != master)
        #expect(a != SymmetricKey.generate().derive(subkeyID: 1, context: "RSdata__"))
        // Many ids, all distinct.
        let keys = (0..<64).map { master.derive(subkeyID: UInt64($0), context: "RSdata__").bytes.unprotectedArray }
        #expect(Set(keys).count == 64)
        #expect(master.derive(subkeyID: .max, context: "RSdata__").bytes.count == 32)
    }

    @Test func secureRandomBytesLengths() {
        #expect(secureRandomBytes(0) == [])
        #expect(secureRandomBytes(24).count == 24)
        #expect(secureRandomBytes(32) != secureRandomBytes(32))
    }

    @Test func cryptoErrorDescriptionHasCodeAndContextOnly() {
        let error = CryptoError(.wrongPassphrase, context: "PassphraseSealedFile.open")
        #expect(error.description == "CryptoError.wrongPassphrase(PassphraseSealedFile.open)")
        #expect(error == CryptoError(.wrongPassphrase, context: "PassphraseSealedFile.open"))
        #expect(error != CryptoError(.malformedInput, context: "PassphraseSealedFile.open"))
        #expect(CryptoError.Code.allCases.count == 8)
    }

    @Test func keysAreUsableFromConcurrentTasks() async throws {
        let key = SymmetricKey.generate()
        let hasher = KeyedHasher(key: key)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let message = [UInt8](repeating: UInt8(i), count: 100 * i)
                    let sealed = AEAD.seal(message, key: key, additionalData: [UInt8(i)])
                    var mine = hasher  // each task forks the shared hasher
                    mine.update(message)
                    let opened = try? AEAD.open(sealed, key: key, additionalData: [UInt8(i)])
                    return opened == message && mine.finalize() == KeyedHash.hash(message, key: key)
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 16 && results.allSatisfy { $0 })
        #expect(hasher.finalize() == KeyedHash.hash([], key: key))
    }
}
