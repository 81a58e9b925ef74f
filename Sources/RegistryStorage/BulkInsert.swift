import Foundation
import GRDB
import GRDBSQLite

/// Multi-row INSERTs with values bound straight to SQLite. For rows this small, building GRDB's
/// `StatementArguments` (a projection and an existential per value) costs more than the insert.
enum BulkInsert {
    static let rowsPerStatement = 128

    /// Inserts `values` (row after row, `columns.count` per row), up to 128 rows per statement.
    static func run(_ db: Database, table: String, columns: [String], values: [DatabaseValue], verb: String = "INSERT") throws {
        let placeholders = "(" + columns.map { _ in "?" }.joined(separator: ",") + ")"
        var start = 0
        while start < values.count {
            let end = min(values.count, start + rowsPerStatement * columns.count)
            let sql = "\(verb) INTO \(table)(\(columns.joined(separator: ","))) VALUES "
                + Array(repeating: placeholders, count: (end - start) / columns.count).joined(separator: ",")
            try execute(try db.cachedStatement(sql: sql), values[start..<end], db: db)
            start = end
        }
    }

    private static func execute(_ statement: Statement, _ values: ArraySlice<DatabaseValue>, db: Database) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value.storage {
            case .null: code = sqlite3_bind_null(handle, index)
            case .int64(let number): code = sqlite3_bind_int64(handle, index, number)
            case .double(let number): code = sqlite3_bind_double(handle, index, number)
            case .string(let text): code = sqlite3_bind_text(handle, index, text, -1, transient)
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    bytes.isEmpty ? sqlite3_bind_zeroblob(handle, index, 0) : sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), transient)
                }
            }
            guard code == SQLITE_OK else { throw failure(code, db) }
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw failure(code, db) }
    }

    private static func failure(_ code: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) })
    }
}
