public import RegistryStorage

/// The replica facade's one error type. Messages name rows, columns, fields and ids, never values.
public struct ReplicaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case invalidInput = "invalid_input"
        case passphraseRequired = "passphrase_required"
        case wrongPassphrase = "wrong_passphrase"
        case notInitialized = "not_initialized"
        case alreadyInitialized = "already_initialized"
        case notFound = "not_found"
        case storage
        case io
    }

    public let code: Code
    public let message: String
    /// Row-level problems of an import, in file order.
    public let issues: [InputIssue]
    /// The underlying storage error, when there is one.
    public let storage: StorageError?

    public init(_ code: Code, _ message: String, issues: [InputIssue] = [], storage: StorageError? = nil) {
        self.code = code
        self.message = message
        self.issues = issues
        self.storage = storage
    }

    init(_ error: StorageError) {
        let code: Code = error.code == .notFound ? .notFound : .storage
        self.init(code, error.description, storage: error)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// One problem with one input row: where it is and why, never the offending value.
public struct InputIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    /// 1-based line in the file (for CSV, the line the row starts on).
    public let line: Int
    public let column: String
    public let reason: String

    public init(line: Int, column: String, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Maps a storage failure into the facade's error type.
func storage<T>(_ body: () throws(StorageError) -> T) throws(ReplicaError) -> T {
    do { return try body() } catch { throw ReplicaError(error) }
}
