// Keyed BLAKE2b: one-shot vs incremental, keys, lengths, value semantics of the hasher.

import PropertyBased
@testable import RegistryCrypto
import Testing

@Suite("KeyedHash")
struct KeyedHashTests {
    let key = SymmetricKey.generate()

    @Test func defaultLengthAndKeyDependence() {
        let data = Array("Ada Lovelace".utf8)
        let tag = KeyedHash.hash(data, key: key)
        #expect(tag.count == 32)
        #expect(tag == KeyedHash.hash(data, key: key))
        #expect(tag != KeyedHash.hash(data, key: .generate()))
        #expect(tag != KeyedHash.hash(data + [0], key: key))
        #expect(KeyedHash.hash(data, key: key, outputByteCount: 16).count == 16)
        #expect(KeyedHash.hash(data, key: key, outputByteCount: 64).count == 64)
        // Different output lengths are different hashes, not prefixes.
        #expect(Array(KeyedHash.hash(data, key: key, outputByteCount: 64).prefix(32)) != tag)
        #expect(KeyedHash.hash([], key: key).count == 32)
    }

    @Test func hasherMatchesOneShotForStringsAndBytes() {
        var hasher = KeyedHasher(key: key)
        hasher.update("Ada ")
        hasher.update(Array("Love".utf8))
        hasher.update("")
        hasher.update([])
        hasher.update("lace")
        #expect(hasher.finalize() == KeyedHash.hash(Array("Ada Lovelace".utf8), key: key))
        #expect(hasher.outputByteCount == 32)
    }

    @Test func finalizeDoesNotConsumeAndCopiesFork() {
        var hasher = KeyedHasher(key: key, outputByteCount: 48)
        hasher.update("abc")
        let prefixDigest = hasher.finalize()
        #expect(prefixDigest == hasher.finalize())
        #expect(prefixDigest == KeyedHash.hash(Array("abc".utf8), key: key, outputByteCount: 48))

        var fork = hasher
        fork.update("def")
        hasher.update("xyz")
        #expect(fork.finalize() == KeyedHash.hash(Array("abcdef".utf8), key: key, outputByteCount: 48))
        #expect(hasher.finalize() == KeyedHash.hash(Array("abcxyz".utf8), key: key, outputByteCount: 48))
    }

    @Test func incrementalEqualsOneShotOverRandomSplits() async {
        let key = self.key
        await propertyCheck(count: 100, input: Gen.uint8().array(of: 0...1024), Gen.int(in: 1...300)) { bytes, step in
            var hasher = KeyedHasher(key: key)
            var i = 0
            while i < bytes.count {
                let end = min(bytes.count, i + step)
                hasher.update(Array(bytes[i..<end]))
                i = end
            }
            #expect(hasher.finalize() == KeyedHash.hash(bytes, key: key))
        }
    }
}
