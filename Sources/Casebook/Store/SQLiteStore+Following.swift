import Foundation
import GRDB

/// The change feed in the SQLite file (`change`): every write appends its rows inside its own
/// transaction. SQLite has one writer at a time, so `max(position) + 1` is handed out in commit
/// order without gaps; a process serving the file follows it by polling (no notifications
/// cross processes here), as a PostgreSQL node follows its database.
extension SQLiteStore {
    /// How often a follower looks for other processes' commits.
    static let pollInterval = Duration.milliseconds(100)

    @discardableResult
    func appendChange(
        _ db: Database, collection: Int64, kind: StoredChange.Kind, tenant: TenantID? = nil, ids: [PrecedentID] = [],
        keys: [Int64] = []
    ) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO change (position, collection_id, kind, tenant, ids, keys, committed_at)
                SELECT coalesce(max(position), 0) + 1, ?, ?, ?, ?, ?, ? FROM change
                """,
            arguments: [
                collection, kind.rawValue, tenant?.rawValue, SQLiteStore.jsonArray(ids.map { .string($0.rawValue) }),
                SQLiteStore.jsonArray(keys.map { .number(Double($0)) }), Date().timeIntervalSince1970,
            ])
        // `position` is the table's rowid.
        let position = db.lastInsertedRowID
        uncommitted.withLock { $0.append(position) }
        return position
    }

    /// Refuses a write prepared with an older state of the collection than the file's: when a
    /// re-embedding or training of it, as a whole or of one of `tenants` (nil: of any tenant),
    /// committed after feed position `asOf` (``CasebookError/staleState(_:)`` naming `name`).
    /// Inside the write's transaction, which keeps every other writer out, so nothing can commit
    /// between the check and the write.
    static func checkState(_ db: Database, collection: Int64, tenants: Set<TenantID>?, asOf: Int64, name: String) throws {
        // `kind = 'training'` as the partial index `change_training` says: trainings are few.
        let trained = try String?.fetchAll(
            db.cachedStatement(sql: "SELECT tenant FROM change WHERE kind = 'training' AND collection_id = ? AND position > ?"),
            arguments: [collection, asOf])
        if trained.contains(where: { tenant in tenant.map { tenants?.contains(TenantID(rawValue: $0)) ?? true } ?? true }) {
            throw CasebookError.staleState(name)
        }
    }

    /// One row per tenant of a batch.
    func appendChanges(
        _ db: Database, collection: Int64, kind: StoredChange.Kind, _ items: [StoredPrecedent], keys: [Int64]
    ) throws {
        for group in StoredChange.tenantGroups(items, keys: keys) {
            try appendChange(db, collection: collection, kind: kind, tenant: group.tenant, ids: group.ids, keys: group.keys)
        }
    }

    private static func jsonArray(_ values: [JSONValue]) -> String {
        JSONWriter.string(.array(values))
    }

    static func lastPosition(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT coalesce(max(position), 0) FROM change") ?? 0
    }

    func changes(after position: Int64, limit: Int) throws(CasebookError) -> [StoredChange] {
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT position, collection_id, kind, tenant, ids, keys FROM change WHERE position > ? ORDER BY position LIMIT ?",
                arguments: [position, limit])
        }
        return try rows.map { row throws(CasebookError) in
            let position: Int64 = row[0]
            guard let kind = StoredChange.Kind(rawValue: row[2]),
                case .array(let ids)? = try? JSONParser.parse(row[4] as String),
                case .array(let keys)? = try? JSONParser.parse(row[5] as String)
            else { throw .storage(code: 11, message: "change \(position) is unreadable") }
            return StoredChange(
                position: position, collection: row[1], kind: kind, tenant: (row[3] as String?).map(TenantID.init(rawValue:)),
                ids: ids.compactMap { if case .string(let id) = $0 { PrecedentID(rawValue: id) } else { nil } },
                keys: keys.compactMap { if case .number(let key) = $0 { Int64(key) } else { nil } },
                local: localChanges.claim(position))
        }
    }

    func currentRows(collection: Int64, tenant: TenantID, ids: [PrecedentID]?, dimension: Int) throws(CasebookError)
        -> [CurrentRow]
    {
        guard ids?.isEmpty != true else { return [] }
        let filterColumns = PrecedentField.filterableTexts.map(\.column).joined(separator: ", ")
        return try read { db in
            var arguments: StatementArguments = [collection, tenant.rawValue]
            arguments += StatementArguments((ids ?? []).map(\.rawValue))
            let only = ids.map { " AND id IN (\(databaseQuestionMarks(count: $0.count)))" } ?? ""
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT pk, id, was_successful, created_at, v.data, a.list, \(filterColumns) FROM precedent
                    JOIN precedent_vector v ON v.precedent_pk = pk LEFT JOIN ivf_assignment a ON a.precedent_pk = pk
                    WHERE collection_id = ? AND tenant = ?\(only)
                    """,
                arguments: arguments)
            let keys = rows.map { $0[0] as Int64 }
            let tags = try SQLiteStore.tags(db, of: keys)
            return try rows.map { row in
                let key: Int64 = row[0]
                guard let vector = VectorBlob.decodeStored(row[4], dimension: dimension) else {
                    throw CasebookError.storage(code: 11, message: "row \(key) has a vector of the wrong length")
                }
                let successful: Int64? = row[2]
                let list: Int64? = row[5]
                return CurrentRow(
                    key: key, tenant: tenant, id: PrecedentID(rawValue: row[1]), vector: vector,
                    texts: PrecedentField.filterableTexts.indices.map { row[6 + $0] }, tags: tags[key] ?? [],
                    wasSuccessful: successful.map { $0 != 0 }, createdAt: row[3], list: list.map { Int32($0) })
            }
        }
    }

    func pruneChanges(before date: Date) throws(CasebookError) -> Int {
        try write { db in
            try db.execute(
                sql: "DELETE FROM change WHERE committed_at < ? AND position < (SELECT max(position) FROM change)",
                arguments: [date.timeIntervalSince1970])
            return db.changesCount
        }
    }

    /// Polls: another process's commit wakes nothing here.
    func waitForChanges(after position: Int64, timeout: Duration) {
        Thread.sleep(forTimeInterval: min(timeout, Self.pollInterval).seconds)
    }
}
