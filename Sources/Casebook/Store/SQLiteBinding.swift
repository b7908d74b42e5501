import Foundation
import GRDB
import GRDBSQLite

/// Direct `sqlite3_bind_*` calls for the bulk-insert hot path. GRDB's `StatementArguments` boxes
/// every value as an existential and copies every BLOB into a `Data`; at 50,000 rows a second
/// that overhead was half the insert time. Used only inside a `write {}` transaction, on the
/// statement GRDB prepared, so GRDB still owns the connection and the transaction.
struct SQLiteBinding {
    let statement: Statement

    /// SQLite's "copy this buffer now" destructor (the C macro is not imported into Swift).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private var handle: SQLiteStatement { statement.sqliteStatement }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Bool?) {
        if let value { sqlite3_bind_int64(handle, index, value ? 1 : 0) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            _ = sqlite3_bind_text(
                handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(bytes.count), SQLiteBinding.transient)
        }
    }

    /// Binds a precedent's vector as a BLOB in the shorter of ``VectorBlob``'s layouts, copied by SQLite.
    func bind(_ index: Int32, vector: [Float]) {
        VectorBlob.withStoredBytes(vector) { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), SQLiteBinding.transient)
        }
    }

    /// Binds a vector already in its stored layout (``VectorBlob/encodeStored(_:)``), copied by SQLite.
    func bind(_ index: Int32, storedVector: Data) {
        storedVector.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), SQLiteBinding.transient)
        }
    }

    /// Runs the bound statement once; a failure becomes GRDB's `DatabaseError`, so callers
    /// handle constraint violations the same way as elsewhere.
    func step(_ db: Database) throws {
        let status = sqlite3_step(handle)
        guard status == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: message)
        }
        sqlite3_reset(handle)
    }
}
