// XChaCha20-Poly1305-IETF authenticated encryption with additional data.

import CSodium

/// Authenticated encryption: XChaCha20-Poly1305-IETF (libsodium
/// `crypto_aead_xchacha20poly1305_ietf_*`).
///
/// Sealed layout, as stored and sent:
///
/// ```
/// offset 0        24                       24+n        24+n+16
///        | nonce  | ciphertext (n bytes)   | tag (16)  |
/// ```
///
/// The 24-byte nonce is random for every ``seal(_:key:additionalData:)``, which is safe for
/// any number of messages under one key. The additional data is authenticated but not
/// stored: the reader must supply the same bytes (a record id, a header) to open the box.
public enum AEAD {
    /// Bytes a sealed box adds to its plaintext: nonce (24) + tag (16) = 40.
    public static let overhead: Int = nonceByteCount + tagByteCount

    /// Nonce length (24).
    public static var nonceByteCount: Int { crypto_aead_xchacha20poly1305_ietf_npubbytes() }
    /// Authentication tag length (16).
    public static var tagByteCount: Int { crypto_aead_xchacha20poly1305_ietf_abytes() }

    /// Encrypts and authenticates `plaintext` under `key` with a fresh random nonce.
    /// - Returns: `nonce || ciphertext || tag`, `plaintext.count + AEAD.overhead` bytes.
    public static func seal(_ plaintext: [UInt8], key: SymmetricKey, additionalData: [UInt8]) -> [UInt8] {
        let nonce = secureRandomBytes(nonceByteCount)
        return plaintext.withUnsafeBytes { message in
            sealUnchecked(message, key: key, nonce: nonce, additionalData: additionalData)
        }
    }

    /// Seals with a caller-chosen nonce. For known-answer tests only: reusing a nonce with the
    /// same key destroys confidentiality and authenticity. Use ``seal(_:key:additionalData:)``.
    /// - Throws: ``CryptoError/Code/malformedInput`` unless `nonce` is 24 bytes.
    public static func seal(
        _ plaintext: [UInt8],
        key: SymmetricKey,
        nonce: [UInt8],
        additionalData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        guard nonce.count == nonceByteCount else {
            throw CryptoError(.malformedInput, context: "AEAD.seal: nonce must be 24 bytes")
        }
        return plaintext.withUnsafeBytes { message in
            sealUnchecked(message, key: key, nonce: nonce, additionalData: additionalData)
        }
    }

    /// Checks and decrypts a box made by ``seal(_:key:additionalData:)``.
    /// - Throws: ``CryptoError/Code/malformedInput`` if `sealed` is shorter than
    ///   ``overhead``; ``CryptoError/Code/authenticationFailed`` if any byte was changed or
    ///   the key or additional data differ from the ones used to seal.
    public static func open(_ sealed: [UInt8], key: SymmetricKey, additionalData: [UInt8]) throws(CryptoError) -> [UInt8] {
        let plaintextCount = try plaintextLength(ofBoxOfLength: sealed.count)
        var output = [UInt8](repeating: 0, count: plaintextCount)
        let result: Result<Void, CryptoError> = sealed.withUnsafeBytes { box in
            output.withUnsafeMutableBytes { out in
                Result { () throws(CryptoError) in
                    try openUnchecked(box, into: out, key: key, additionalData: additionalData)
                }
            }
        }
        try result.get()
        return output
    }

    // MARK: - Inside the module

    /// Plaintext length of a box of `count` bytes, or `.malformedInput` if it cannot be a box.
    static func plaintextLength(ofBoxOfLength count: Int) throws(CryptoError) -> Int {
        guard count >= overhead else {
            throw CryptoError(.malformedInput, context: "AEAD.open: shorter than nonce and tag")
        }
        return count - overhead
    }

    /// Seals raw bytes (used for secrets kept in ``SecureBytes``). `nonce` must be 24 bytes.
    static func sealUnchecked(
        _ message: UnsafeRawBufferPointer,
        key: SymmetricKey,
        nonce: [UInt8],
        additionalData: [UInt8]
    ) -> [UInt8] {
        Sodium.ensureInitialised()
        precondition(nonce.count == nonceByteCount)
        let total = message.count + overhead
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialised in
            let base = out.baseAddress!
            for i in 0..<nonce.count { base[i] = nonce[i] }
            var cipherLength: UInt64 = 0
            let status = withBytePointer(message) { m, mLength in
                withBytePointer(additionalData) { ad, adLength in
                    key.bytes.withBytes { k in
                        crypto_aead_xchacha20poly1305_ietf_encrypt(
                            base + nonceByteCount, &cipherLength,
                            m, UInt64(mLength),
                            ad, UInt64(adLength),
                            nil, base,
                            k.baseAddress!.assumingMemoryBound(to: UInt8.self)
                        )
                    }
                }
            }
            precondition(status == 0 && Int(cipherLength) == total - nonceByteCount, "XChaCha20-Poly1305 encryption failed")
            initialised = total
        }
    }

    /// Opens `box` into `out`, which must be exactly `box.count - overhead` bytes.
    static func openUnchecked(
        _ box: UnsafeRawBufferPointer,
        into out: UnsafeMutableRawBufferPointer,
        key: SymmetricKey,
        additionalData: [UInt8]
    ) throws(CryptoError) {
        Sodium.ensureInitialised()
        let plaintextCount = try plaintextLength(ofBoxOfLength: box.count)
        precondition(out.count == plaintextCount)
        let nonce = box.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let cipher = nonce + nonceByteCount
        let cipherLength = box.count - nonceByteCount
        // libsodium writes nothing on failure when given a valid pointer; give it one even for
        // an empty plaintext.
        var scratch: UInt8 = 0
        var plainLength: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
            withBytePointer(additionalData) { ad, adLength in
                key.bytes.withBytes { k in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? scratchPointer, &plainLength,
                        nil,
                        cipher, UInt64(cipherLength),
                        ad, UInt64(adLength),
                        nonce,
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    )
                }
            }
        }
        guard status == 0 else {
            throw CryptoError(.authenticationFailed, context: "AEAD.open")
        }
        precondition(Int(plainLength) == plaintextCount)
    }
}
