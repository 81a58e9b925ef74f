// Keyed BLAKE2b (crypto_generichash), one-shot and incremental.

import CSodium

/// Keyed BLAKE2b (libsodium `crypto_generichash`): a MAC or a keyed fingerprint, e.g. to
/// index records by a value without storing the value.
///
/// ```swift
/// let tag = KeyedHash.hash(Array("Ada Lovelace".utf8), key: indexKey)   // 32 bytes
/// ```
public enum KeyedHash {
    /// Smallest allowed output (16 bytes).
    public static var minimumOutputByteCount: Int { crypto_generichash_bytes_min() }
    /// Largest allowed output (64 bytes).
    public static var maximumOutputByteCount: Int { crypto_generichash_bytes_max() }

    /// BLAKE2b of `data` keyed with `key`.
    /// - Parameter outputByteCount: 16...64; other values are a programming error and stop
    ///   the program. Different lengths give unrelated outputs, not prefixes of each other.
    public static func hash(_ data: [UInt8], key: SymmetricKey, outputByteCount: Int = 32) -> [UInt8] {
        hash(data, rawKey: key.bytes, outputByteCount: outputByteCount)
    }

    /// Any key length libsodium allows (16...64 bytes); for the BLAKE2 reference vectors,
    /// whose key is 64 bytes.
    static func hash(_ data: [UInt8], rawKey: SecureBytes, outputByteCount: Int) -> [UInt8] {
        checkOutputLength(outputByteCount)
        checkKeyLength(rawKey.count)
        Sodium.ensureInitialised()
        var out = [UInt8](repeating: 0, count: outputByteCount)
        let status = withBytePointer(data) { input, inputLength in
            rawKey.withBytes { k in
                crypto_generichash(
                    &out, outputByteCount,
                    input, UInt64(inputLength),
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count
                )
            }
        }
        precondition(status == 0, "crypto_generichash failed")
        return out
    }

    static func checkOutputLength(_ count: Int) {
        precondition(
            (minimumOutputByteCount...maximumOutputByteCount).contains(count),
            "KeyedHash: outputByteCount must be 16...64"
        )
    }

    static func checkKeyLength(_ count: Int) {
        precondition(
            (crypto_generichash_keybytes_min()...crypto_generichash_keybytes_max()).contains(count),
            "KeyedHash: key must be 16...64 bytes"
        )
    }
}

/// Incremental keyed BLAKE2b: feed data in pieces, get the same result as
/// ``KeyedHash/hash(_:key:outputByteCount:)`` over the concatenation.
///
/// A value type: copying a hasher forks it (the state is copied on the next `update`), and
/// ``finalize()`` does not consume it, so you can take a digest of a prefix and keep going.
///
/// ```swift
/// var hasher = KeyedHasher(key: key)
/// hasher.update(header)
/// hasher.update("field")
/// let tag = hasher.finalize()
/// ```
public struct KeyedHasher: Sendable {
    private var state: State
    /// Output length in bytes, fixed at creation.
    public let outputByteCount: Int

    /// Starts a hash keyed with `key`.
    /// - Parameter outputByteCount: 16...64 (a programming error otherwise).
    public init(key: SymmetricKey, outputByteCount: Int = 32) {
        self.init(rawKey: key.bytes, outputByteCount: outputByteCount)
    }

    /// Any key length libsodium allows (16...64 bytes); for the reference vectors.
    init(rawKey: SecureBytes, outputByteCount: Int) {
        KeyedHash.checkOutputLength(outputByteCount)
        KeyedHash.checkKeyLength(rawKey.count)
        self.outputByteCount = outputByteCount
        self.state = State(key: rawKey, outputByteCount: outputByteCount)
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        uniqueState().absorb(bytes)
    }

    /// Absorbs the UTF-8 bytes of `string` (no length prefix or terminator).
    public mutating func update(_ string: String) {
        var string = string
        let state = uniqueState()
        string.withUTF8 { utf8 in
            state.absorb(UnsafeRawBufferPointer(utf8))
        }
    }

    /// The digest of everything absorbed so far. The hasher can go on absorbing afterwards.
    public func finalize() -> [UInt8] {
        state.digest(outputByteCount: outputByteCount)
    }

    private mutating func uniqueState() -> State {
        if !isKnownUniquelyReferenced(&state) {
            state = state.copy()
        }
        return state
    }

    /// Sole owner of the 64-byte-aligned `crypto_generichash_state` (which Swift cannot
    /// import because it is over-aligned, hence the opaque pointer). Zeroed and freed in
    /// `deinit`.
    ///
    /// `@unchecked Sendable`: the state is only mutated through ``KeyedHasher/uniqueState()``,
    /// which copies it first when shared; ``digest(outputByteCount:)`` works on a copy.
    private final class State: @unchecked Sendable {
        private static let alignment = 64
        private let raw: UnsafeMutableRawPointer
        private var pointer: OpaquePointer { OpaquePointer(raw) }

        private static var byteCount: Int { crypto_generichash_statebytes() }

        private init(uninitialised: Void) {
            Sodium.ensureInitialised()
            raw = UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount, alignment: Self.alignment)
        }

        convenience init(key: SecureBytes, outputByteCount: Int) {
            self.init(uninitialised: ())
            let status = key.withBytes { k in
                crypto_generichash_init(pointer, k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count, outputByteCount)
            }
            precondition(status == 0, "crypto_generichash_init failed")
        }

        func copy() -> State {
            let new = State(uninitialised: ())
            new.raw.copyMemory(from: raw, byteCount: Self.byteCount)
            return new
        }

        func absorb(_ bytes: [UInt8]) {
            withBytePointer(bytes) { p, n in absorb(p, n) }
        }

        func absorb(_ bytes: UnsafeRawBufferPointer) {
            withBytePointer(bytes) { p, n in absorb(p, n) }
        }

        private func absorb(_ p: UnsafePointer<UInt8>, _ n: Int) {
            let status = crypto_generichash_update(pointer, p, UInt64(n))
            precondition(status == 0, "crypto_generichash_update failed")
        }

        /// Finalises a copy, so this state stays usable.
        func digest(outputByteCount: Int) -> [UInt8] {
            let scratch = copy()
            var out = [UInt8](repeating: 0, count: outputByteCount)
            let status = crypto_generichash_final(scratch.pointer, &out, outputByteCount)
            precondition(status == 0, "crypto_generichash_final failed")
            return out
        }

        deinit {
            sodium_memzero(raw, Self.byteCount)
            raw.deallocate()
        }
    }
}
