// The single place that initialises libsodium, plus the small helpers every other
// `*_sodium.swift` file shares. Files whose name ends in `_sodium.swift` are the only ones
// that `import CSodium`.

import CSodium

/// libsodium bootstrap and shared helpers.
enum Sodium {
    /// `sodium_init()` runs exactly once, the first time this is read (a `static let` is a
    /// thread-safe lazy initialiser). Every entry point that reaches libsodium reads it first.
    private static let initialised: Void = {
        guard sodium_init() >= 0 else {
            fatalError("RegistryCrypto: sodium_init() failed; libsodium cannot be used")
        }
    }()

    /// Makes sure `sodium_init()` has run. Cheap after the first call.
    @inline(__always)
    static func ensureInitialised() {
        _ = initialised
    }

    /// Fills `buffer` with bytes from the operating system's CSPRNG.
    static func randomFill(_ buffer: UnsafeMutableRawBufferPointer) {
        ensureInitialised()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    /// Overwrites `buffer` with zeros in a way the compiler will not optimise away.
    static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }

    /// Constant-time comparison of two buffers of the same length.
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        ensureInitialised()
        guard a.count == b.count else { return false }
        guard a.count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        return sodium_memcmp(pa, pb, a.count) == 0
    }
}

/// Calls `body` with a non-null pointer to the bytes of `array` and their count. An empty
/// array still yields a valid pointer (to a local zero byte), so C never receives a null
/// pointer together with a length of zero.
@inline(__always)
func withBytePointer<R, E: Error>(
    _ array: [UInt8],
    _ body: (UnsafePointer<UInt8>, Int) throws(E) -> R
) throws(E) -> R {
    if array.isEmpty {
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { (p: UnsafePointer<UInt8>) throws(E) -> R in
            try body(p, 0)
        }
    }
    let result: Result<R, E> = array.withUnsafeBufferPointer { buffer in
        do throws(E) {
            return .success(try body(buffer.baseAddress!, buffer.count))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

/// Calls `body` with a non-null pointer to `buffer`'s bytes and their count (see above).
@inline(__always)
func withBytePointer<R, E: Error>(
    _ buffer: UnsafeRawBufferPointer,
    _ body: (UnsafePointer<UInt8>, Int) throws(E) -> R
) throws(E) -> R {
    guard let base = buffer.baseAddress, buffer.count > 0 else {
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { (p: UnsafePointer<UInt8>) throws(E) -> R in
            try body(p, 0)
        }
    }
    return try body(base.assumingMemoryBound(to: UInt8.self), buffer.count)
}

/// `count` bytes from the operating system's cryptographically secure random generator
/// (libsodium's `randombytes_buf`). For nonces, salts and identifiers; for key material
/// prefer ``SecureBytes/random(count:)``, which is zeroed on release.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    precondition(count >= 0, "secureRandomBytes: count must not be negative")
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
        Sodium.randomFill(UnsafeMutableRawBufferPointer(buffer))
        initialised = count
    }
}
