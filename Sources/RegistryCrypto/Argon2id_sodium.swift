// Argon2id passphrase hashing (crypto_pwhash, ALG_ARGON2ID13) and the cost presets.

import CSodium

/// Argon2id key derivation, inside the module (the public face is ``PassphraseSealedFile``).
enum Argon2id {
    /// Salt length in bytes (16).
    static var saltByteCount: Int { crypto_pwhash_argon2id_saltbytes() }

    /// Derives `outputByteCount` bytes from `passphrase` and `salt` with Argon2id v1.3.
    /// The caller validates the limits (``PassphraseSealedFile/Cost``); a failure after that
    /// can only be memory, hence `.outOfMemory`.
    static func deriveKey(
        passphrase: UnsafeRawBufferPointer,
        salt: [UInt8],
        opsLimit: UInt64,
        memLimit: UInt64,
        outputByteCount: Int
    ) throws(CryptoError) -> SecureBytes {
        precondition(salt.count == saltByteCount, "Argon2id: salt must be 16 bytes")
        Sodium.ensureInitialised()
        var status: Int32 = -1
        let key = SecureBytes(count: outputByteCount) { (out: UnsafeMutableRawBufferPointer) in
            withBytePointer(passphrase) { p, n in
                p.withMemoryRebound(to: CChar.self, capacity: max(n, 1)) { chars in
                    status = crypto_pwhash(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(outputByteCount),
                        chars, UInt64(n),
                        salt,
                        opsLimit, Int(memLimit),
                        crypto_pwhash_alg_argon2id13()
                    )
                }
            }
        }
        guard status == 0 else {
            throw CryptoError(.outOfMemory, context: "Argon2id: crypto_pwhash failed")
        }
        return key
    }
}

extension PassphraseSealedFile.Cost {
    /// libsodium's interactive limits (2 passes, 64 MiB): for keys unlocked often.
    public static let interactive = Self(
        unchecked: UInt64(crypto_pwhash_argon2id_opslimit_interactive()),
        UInt64(crypto_pwhash_argon2id_memlimit_interactive())
    )
    /// libsodium's moderate limits (3 passes, 256 MiB), the default: well under a second
    /// on a laptop core.
    public static let moderate = Self(
        unchecked: UInt64(crypto_pwhash_argon2id_opslimit_moderate()),
        UInt64(crypto_pwhash_argon2id_memlimit_moderate())
    )
    /// libsodium's sensitive limits (4 passes, 1 GiB): several seconds; also the ceiling
    /// ``PassphraseSealedFile/open(_:passphrase:)`` accepts for memory.
    public static let sensitive = Self(
        unchecked: UInt64(crypto_pwhash_argon2id_opslimit_sensitive()),
        UInt64(crypto_pwhash_argon2id_memlimit_sensitive())
    )
    /// The minimum libsodium allows (1 pass, 8 KiB). For tests only: offers no protection.
    public static let testing = Self(
        unchecked: UInt64(crypto_pwhash_argon2id_opslimit_min()),
        UInt64(crypto_pwhash_argon2id_memlimit_min())
    )

    /// Smallest accepted values (libsodium's minimum for Argon2id).
    static let minimum = testing
    /// Largest accepted values, so a crafted file cannot make `open` run for minutes or
    /// allocate more than 1 GiB: 4 × the sensitive passes, the sensitive memory.
    static let maximum = Self(unchecked: sensitive.opsLimit * 4, sensitive.memLimit)
}
