import Foundation
import GRDB
import GRDBSQLite

/// Opening a database streams every stored row into the collections' indexes (a ``StoredRowSink``).
///
/// This is the start-up hot path (a million rows should load in about a second), so it steps the
/// SQLite statement directly and hands each vector BLOB's bytes to the sink, which copies them
/// straight into the tenant's slab: no `Row`, no `Data`, no intermediate `[Float]` per row.
extension SQLiteStore {
    /// Streams every row of every collection (or of `collections` only) into `sink`, in one pass
    /// over the tables, however many collections there are.
    func loadAll<Sink: StoredRowSink>(collections: [Int64]?, into sink: inout Sink) throws(CasebookError) -> Int64 {
        // A subset reads only its own rows: each of the three statements is restricted to the
        // subset's keys, which SQLite looks up in key order (one B-tree descent per row, slower
        // per row than a whole-table scan, and far less to read when other collections are large).
        let subset = collections.map { ids in ids.map(String.init).joined(separator: ", ") }
        let rowFilter = subset.map { "WHERE collection_id IN (\($0))" } ?? ""
        let keyFilter = subset.map { "WHERE precedent_pk IN (SELECT pk FROM precedent WHERE collection_id IN (\($0)))" } ?? ""
        return try read { db in
            let position = try SQLiteStore.lastPosition(db)
            // Sizing every tenant's storage up front avoids regrowing (and copying) the slabs,
            // id maps and attribute columns while a million rows stream in.
            let sizes = try Row.fetchAll(
                db, sql: "SELECT collection_id, tenant, count(*) FROM precedent \(rowFilter) GROUP BY collection_id, tenant")
            sink.reserve(sizes.map { (collection: $0[0], tenant: TenantID($0[1] as String), rows: $0[2]) })

            // Three sequential scans in key order, merged here: precedent rows, vectors and tags.
            // Measured on 1,000,000 x 128: 0.3 s of SQLite time, against 1.2 s for a JOIN that
            // descends the vector B-tree once per row (and, filtered by collection, used the
            // (collection, tenant, id) index plus a temporary sort).
            let filterColumns = PrecedentField.filterableTexts.map(\.column).joined(separator: ", ")
            let rows = try db.makeStatement(
                sql: """
                    SELECT pk, collection_id, tenant, id, was_successful, created_at, \(filterColumns)
                    FROM precedent \(rowFilter) ORDER BY pk
                    """)
            var vectors = KeyOrderedCursor(
                try db.makeStatement(sql: "SELECT precedent_pk, data FROM precedent_vector \(keyFilter) ORDER BY precedent_pk"))
            var tags = KeyOrderedCursor(
                try db.makeStatement(sql: "SELECT precedent_pk, tag FROM precedent_tag \(keyFilter) ORDER BY precedent_pk"))
            let handle = rows.sqliteStatement
            var rowTags: [String] = []
            var rowTexts: [String?] = []
            while true {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else {
                    throw CasebookError.storage(code: status, message: "reading precedents failed")
                }
                let key = sqlite3_column_int64(handle, 0)
                let collection = sqlite3_column_int64(handle, 1)
                guard sink.accepts(collection: collection) else {
                    throw CasebookError.storage(
                        code: SQLITE_CORRUPT, message: "row \(key) names collection \(collection), which does not exist")
                }
                let tenant = TenantID(SQLiteStore.text(handle, 2) ?? "")
                guard sink.wants(tenant: tenant) else { continue }
                rowTags.removeAll(keepingCapacity: true)
                rowTexts.removeAll(keepingCapacity: true)
                for field in PrecedentField.filterableTexts.indices { rowTexts.append(SQLiteStore.text(handle, 6 + Int32(field))) }
                try tags.forEachRow(withKey: key) { tagRow in
                    if let tag = SQLiteStore.text(tagRow, 1) { rowTags.append(tag) }
                }
                var vectorBytes: UnsafeRawBufferPointer?
                var accepted = false
                try vectors.forEachRow(withKey: key) { vectorRow in
                    let byteCount = Int(sqlite3_column_bytes(vectorRow, 1))
                    vectorBytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(vectorRow, 1), count: byteCount)
                    let row = StoredRow(
                        collection: collection, key: key, tenant: tenant,
                        id: PrecedentID(SQLiteStore.text(handle, 3) ?? ""), texts: rowTexts, tags: rowTags,
                        wasSuccessful: sqlite3_column_type(handle, 4) == SQLITE_NULL
                            ? nil : sqlite3_column_int64(handle, 4) != 0,
                        createdAt: sqlite3_column_double(handle, 5))
                    accepted = sink.add(row, vector: vectorBytes!)
                }
                guard accepted else {
                    let found = vectorBytes.map { "\($0.count) bytes" } ?? "no vector"
                    throw CasebookError.storage(
                        code: SQLITE_CORRUPT,
                        message: "row \(key) has \(found), not a stored vector of dimension \(sink.dimension(of: collection))")
                }
            }
            return position
        }
    }

    fileprivate static func text(_ handle: OpaquePointer, _ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}

/// Steps a statement whose first column is a precedent key, in ascending key order, alongside
/// the precedent rows: a merge join without a lookup table.
private struct KeyOrderedCursor {
    private let statement: Statement
    /// The key of the row the statement is positioned on, nil before the first step.
    private var current: Int64?
    private var finished = false

    init(_ statement: Statement) { self.statement = statement }

    /// Skips rows with smaller keys, then calls `body` for each row whose key is `key` (while the
    /// statement is positioned on it). Keys must be asked for in ascending order.
    mutating func forEachRow(withKey key: Int64, _ body: (OpaquePointer) throws -> Void) throws {
        let handle = statement.sqliteStatement
        while !finished {
            if current == nil {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE {
                    finished = true
                    return
                }
                guard status == SQLITE_ROW else {
                    throw CasebookError.storage(code: status, message: "reading stored rows failed")
                }
                current = sqlite3_column_int64(handle, 0)
            }
            guard let rowKey = current, rowKey <= key else { return }
            if rowKey == key { try body(handle) }
            current = nil
        }
    }
}
