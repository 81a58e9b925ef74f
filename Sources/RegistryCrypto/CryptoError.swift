// The one error type of RegistryCrypto.

/// Every failure RegistryCrypto reports: a ``Code`` to switch on and a short, fixed context
/// saying where it happened.
///
/// The description never contains key bytes, plaintext, passphrases or libsodium return codes:
/// only the code and the context, which is always a constant string written in this module.
///
/// ```swift
/// do {
///     let plaintext = try AEAD.open(sealed, key: key, additionalData: header)
/// } catch let error where error.code == .authenticationFailed {
///     // tampered, wrong key or wrong additional data: treat the record as absent
/// }
/// ```
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// An AEAD box did not open: it was altered, or the key or additional data is not the one it was sealed with.
        case authenticationFailed
        /// A key or seed does not have the length the algorithm needs.
        case invalidKeyLength
        /// Input is not in the expected format (too short, wrong magic, wrong nonce length, out-of-range parameters).
        case malformedInput
        /// A passphrase-sealed file did not open: wrong passphrase, or the file was altered.
        case wrongPassphrase
        /// A format version this build does not know.
        case unsupportedVersion
        /// Key exchange refused the peer's public key (for example a low-order point).
        case keyExchangeFailed
        /// Bytes that are not a valid public key.
        case invalidPublicKey
        /// libsodium could not get the memory it needed (Argon2id).
        case outOfMemory
    }

    /// What went wrong.
    public let code: Code
    /// Where it happened, for logs: a constant string such as `"AEAD.open"`. Never secret data.
    public let context: String

    /// Creates an error. `context` must be a constant, never data derived from secrets.
    public init(_ code: Code, context: String) {
        self.code = code
        self.context = context
    }

    /// `CryptoError.<code>(<context>)`.
    public var description: String {
        "CryptoError.\(code.rawValue)(\(context))"
    }
}
