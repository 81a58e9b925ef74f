// Secret bytes as a type: zeroed on release, compared in constant time, never printed.

/// Bytes that must not linger or leak: keys, seeds, passphrases, decrypted key files.
///
/// * The bytes live in one heap allocation owned by a private class; when the last copy goes
///   away that allocation is overwritten with `sodium_memzero` before it is freed.
/// * `==` compares in constant time (`sodium_memcmp`); lengths are not treated as secret.
/// * `description` shows only the length: `SecureBytes(32 bytes)`.
/// * Copies share storage until one of them is mutated (copy-on-write), so passing
///   `SecureBytes` around does not multiply the secret in memory.
///
/// Bytes handed to ``init(_:)`` as an array still exist in that array: build secrets with
/// ``random(count:)`` or the APIs that return `SecureBytes` where you can.
public struct SecureBytes: Sendable, Equatable, CustomStringConvertible {
    private var storage: Storage

    /// Copies `bytes` into zeroed-on-release storage.
    public init(_ bytes: some Sequence<UInt8>) {
        if let copied = bytes.withContiguousStorageIfAvailable({ Storage(copying: UnsafeRawBufferPointer($0)) }) {
            storage = copied
        } else {
            // A sequence without contiguous storage: gather it, copy it, wipe the temporary.
            var array = Array(bytes)
            storage = array.withUnsafeBytes { Storage(copying: $0) }
            array.withUnsafeMutableBytes { Sodium.zero($0) }
        }
    }

    /// `count` zero bytes.
    public init(count: Int) {
        precondition(count >= 0, "SecureBytes: count must not be negative")
        storage = Storage(count: count)
    }

    /// `count` bytes from the operating system's CSPRNG (`randombytes_buf`).
    public static func random(count: Int) -> SecureBytes {
        var bytes = SecureBytes(count: count)
        bytes.withUnsafeMutableBytes { Sodium.randomFill($0) }
        return bytes
    }

    /// Creates `count` bytes and lets `initializer` write them (for libsodium outputs),
    /// so that the secret never exists outside this storage.
    init<E: Error>(
        count: Int,
        initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        self.init(count: count)
        try withUnsafeMutableBytes(initializer)
    }

    /// The number of bytes.
    public var count: Int { storage.buffer.count }

    /// Read access to the bytes for the duration of `body`. Do not let the pointer escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(storage.buffer))
    }

    /// Typed-throws read access, used inside the module.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(storage.buffer))
    }

    /// Write access for the duration of `body`; copies the storage first if it is shared.
    mutating func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return try body(storage.buffer)
    }

    /// A copy of `range` as new secure storage.
    func slice(_ range: Range<Int>) -> SecureBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "SecureBytes.slice out of bounds")
        return SecureBytes(count: range.count) { (destination: UnsafeMutableRawBufferPointer) in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage.buffer)[range]))
        }
    }

    /// The bytes as an ordinary array, for tests and for handing to code that needs `[UInt8]`.
    /// The array is *not* zeroed on release: avoid this for long-lived secrets.
    var unprotectedArray: [UInt8] {
        withBytes { [UInt8]($0) }
    }

    /// Constant-time comparison (`sodium_memcmp`). Different lengths compare unequal.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        Sodium.constantTimeEqual(UnsafeRawBufferPointer(lhs.storage.buffer), UnsafeRawBufferPointer(rhs.storage.buffer))
    }

    /// `SecureBytes(<n> bytes)`: never the bytes themselves.
    public var description: String { "SecureBytes(\(count) bytes)" }
}

extension SecureBytes: CustomDebugStringConvertible, CustomReflectable {
    /// Same as ``description``: debuggers and `dump` show no bytes either.
    public var debugDescription: String { description }
    /// Hides the storage from `dump` and `Mirror`.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension SecureBytes {
    /// The owner of the heap allocation. Zeroes and frees it in `deinit`.
    ///
    /// `@unchecked Sendable`: the buffer is only written through
    /// ``SecureBytes/withUnsafeMutableBytes(_:)``, which first makes the storage unique
    /// (copy-on-write), so a shared instance is never mutated.
    private final class Storage: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer

        init(count: Int) {
            // Allocate at least one byte so the base address is never null.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
            buffer = UnsafeMutableRawBufferPointer(start: raw, count: count)
        }

        convenience init(copying source: UnsafeRawBufferPointer) {
            self.init(count: source.count)
            if source.count > 0 { buffer.copyMemory(from: source) }
        }

        func copy() -> Storage {
            Storage(copying: UnsafeRawBufferPointer(buffer))
        }

        deinit {
            let raw = buffer.baseAddress!
            Sodium.zero(UnsafeMutableRawBufferPointer(start: raw, count: max(buffer.count, 1)))
            raw.deallocate()
        }
    }
}
