import Foundation
import GRDB
import GRDBSQLite

/// Opening a database fills each collection's in-memory index from its stored rows.
///
/// This is the start-up hot path (a million rows should load in about a second), so it steps the
/// SQLite statement directly and decodes each vector BLOB straight into the tenant's slab: no
/// `Row`, no `Data`, no intermediate `[Float]` per row.
extension Store {
    func load(collection: Int64, into index: inout FlatIndex) throws(CasebookError) {
        try read { db in
            let tags = try Store.allTags(db, collection: collection)
            let statement = try db.makeStatement(
                sql: """
                    SELECT p.pk, p.tenant, p.id, p.category, p.was_successful, p.created_at, v.data
                    FROM precedent p JOIN precedent_vector v ON v.precedent_pk = p.pk
                    WHERE p.collection_id = ?
                    ORDER BY p.pk
                    """)
            try statement.setArguments([collection])
            let handle = statement.sqliteStatement
            while true {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else {
                    throw CasebookError.storage(code: status, message: "reading vectors failed")
                }
                let key = sqlite3_column_int64(handle, 0)
                let tenant = TenantID(Store.text(handle, 1) ?? "")
                let id = PrecedentID(Store.text(handle, 2) ?? "")
                let category = Store.text(handle, 3)
                let successful: Bool? =
                    sqlite3_column_type(handle, 4) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 4) != 0
                let createdAt = sqlite3_column_double(handle, 5)
                let byteCount = Int(sqlite3_column_bytes(handle, 6))
                let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, 6), count: byteCount)
                let ok = index.addLoaded(
                    tenant: tenant, id: id, key: key, vectorBytes: bytes, category: category,
                    tags: tags[key] ?? [], wasSuccessful: successful, createdAt: createdAt)
                guard ok else {
                    throw CasebookError.storage(
                        code: SQLITE_CORRUPT,
                        message: "vector of row \(key) has \(byteCount) bytes, expected \(index.dimension * 4)")
                }
            }
        }
    }

    private static func text(_ handle: OpaquePointer, _ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private static func allTags(_ db: Database, collection: Int64) throws -> [Int64: [String]] {
        var result: [Int64: [String]] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT t.precedent_pk, t.tag FROM precedent_tag t
                JOIN precedent p ON p.pk = t.precedent_pk
                WHERE p.collection_id = ?
                """,
            arguments: [collection])
        while let row = try rows.next() {
            result[row[0], default: []].append(row[1])
        }
        return result
    }
}
