import Foundation
import GRDB

/// Precedent reads and writes. Every statement names the collection and the tenant, so a row of
/// another tenant is unreachable by construction, not by a check someone might forget.
extension SQLiteStore {
    /// Inserts a whole batch in one transaction and returns the rows' primary keys in order. An id
    /// already stored for the tenant aborts the batch with an error naming the item. `lists`
    /// (trained IVF collections) are the rows' lists, stored in the same transaction.
    func insert(
        collection: Int64, _ items: [StoredPrecedent], lists: [Int32]?, frequencies: [TenantID: FeatureFrequencies],
        stateAsOf: Int64
    ) throws(CasebookError) -> [Int64] {
        try write { db in
            try SQLiteStore.checkState(
                db, collection: collection, tenants: Set(items.map(\.precedent.tenant)), asOf: stateAsOf,
                name: "collection \(collection)")
            let insertRow = SQLiteBinding(statement: try db.cachedStatement(sql: PrecedentRow.insertSQL))
            let insertVector = SQLiteBinding(statement: try db.cachedStatement(sql: SQLiteStore.insertVectorSQL))
            let insertTag = SQLiteBinding(statement: try db.cachedStatement(sql: SQLiteStore.insertTagSQL))
            let now = Date().timeIntervalSince1970
            var keys: [Int64] = []
            keys.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                insertRow.reset()
                PrecedentRow.bindInsert(insertRow, collection: collection, item, now: now)
                do {
                    try insertRow.step(db)
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw CasebookError.item(index: index, id: item.id, problem: .duplicateID(item.id))
                }
                let key = db.lastInsertedRowID
                insertVector.reset()
                insertVector.bind(1, key)
                insertVector.bind(2, vector: item.vector)
                try insertVector.step(db)
                for tag in item.precedent.tags {
                    insertTag.reset()
                    insertTag.bind(1, key)
                    insertTag.bind(2, tag)
                    try insertTag.step(db)
                }
                keys.append(key)
            }
            if let lists { try SQLiteStore.recordAssignments(db, collection: collection, keys: keys, lists: lists) }
            for (tenant, change) in frequencies {
                try SQLiteStore.applyFrequencies(db, collection: collection, tenant: tenant, change)
            }
            try appendChanges(db, collection: collection, kind: .upsert, items, keys: keys)
            return keys
        }
    }

    /// Replaces the stored fields, tags and vector of one precedent. Returns its primary key, or
    /// throws ``CasebookError/precedentNotFound(_:)``. `list`: its IVF list for the new vector.
    func replace(collection: Int64, _ item: StoredPrecedent, list: Int32?, features: FeatureRewrite?, stateAsOf: Int64)
        throws(CasebookError) -> (key: Int64, frequencies: FeatureFrequencies?)
    {
        try write { db in
            try SQLiteStore.checkState(
                db, collection: collection, tenants: [item.precedent.tenant], asOf: stateAsOf, name: "collection \(collection)")
            guard let key = try SQLiteStore.primaryKey(db, collection, item.precedent.tenant, item.id) else {
                throw CasebookError.precedentNotFound(item.id)
            }
            let change = try SQLiteStore.rewriteFrequencies(
                db, collection: collection, tenant: item.precedent.tenant, key: key, features)
            let p = item.precedent
            try db.execute(
                sql: PrecedentRow.updateSQL,
                arguments: PrecedentRow.updateArguments(item, key: key, now: Date().timeIntervalSince1970))
            try db.execute(sql: "DELETE FROM precedent_tag WHERE precedent_pk = ?", arguments: [key])
            for tag in p.tags {
                try db.execute(sql: SQLiteStore.insertTagSQL, arguments: [key, tag])
            }
            try db.execute(
                sql: "UPDATE precedent_vector SET data = ? WHERE precedent_pk = ?",
                arguments: [VectorBlob.encodeStored(item.vector), key])
            if let list { try db.execute(sql: SQLiteStore.insertAssignmentSQL, arguments: [key, list]) }
            try appendChange(db, collection: collection, kind: .upsert, tenant: p.tenant, ids: [item.id], keys: [key])
            return (key, change)
        }
    }

    /// Deletes one precedent (its tags and vector go with it). Returns its primary key.
    func delete(collection: Int64, tenant: TenantID, id: PrecedentID, features: FeatureRewrite?, stateAsOf: Int64)
        throws(CasebookError) -> (key: Int64, frequencies: FeatureFrequencies?)
    {
        try write { db in
            try SQLiteStore.checkState(
                db, collection: collection, tenants: [tenant], asOf: stateAsOf, name: "collection \(collection)")
            guard let key = try SQLiteStore.primaryKey(db, collection, tenant, id) else {
                throw CasebookError.precedentNotFound(id)
            }
            let change = try SQLiteStore.rewriteFrequencies(db, collection: collection, tenant: tenant, key: key, features)
            try db.execute(sql: "DELETE FROM precedent WHERE pk = ?", arguments: [key])
            try appendChange(db, collection: collection, kind: .delete, tenant: tenant, ids: [id], keys: [key])
            return (key, change)
        }
    }

    /// One precedent with its stored vector, or nil.
    func fetch(collection: Int64, tenant: TenantID, id: PrecedentID, dimension: Int)
        throws(CasebookError) -> Precedent?
    {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(PrecedentRow.columns), v.data FROM precedent
                        JOIN precedent_vector v ON v.precedent_pk = pk
                        WHERE collection_id = ? AND tenant = ? AND id = ?
                        """,
                    arguments: [collection, tenant.rawValue, id.rawValue])
            else { return nil }
            let key: Int64 = row[0]
            var precedent = PrecedentRow.decode(row, tags: try SQLiteStore.tags(db, of: [key])[key] ?? [])
            precedent.vector = VectorBlob.decodeStored(row[PrecedentRow.columnCount], dimension: dimension)
            return precedent
        }
    }

    /// Precedents by primary key, without vectors (search results carry no vectors). The tenant is
    /// checked again here so that a stale key can never leak another tenant's row.
    func fetch(keys: [Int64], tenant: TenantID) throws(CasebookError) -> [Int64: Precedent] {
        guard !keys.isEmpty else { return [:] }
        return try read { db in
            let placeholders = databaseQuestionMarks(count: keys.count)
            var arguments = StatementArguments(keys)
            arguments += [tenant.rawValue]
            let rows = try Row.fetchAll(
                try SQLiteStore.statement(db, "SELECT \(PrecedentRow.columns) FROM precedent WHERE pk IN (\(placeholders)) AND tenant = ?", keys: keys.count),
                arguments: arguments)
            let tags = try SQLiteStore.tags(db, of: keys)
            var result: [Int64: Precedent] = [:]
            for row in rows {
                let key: Int64 = row[0]
                result[key] = PrecedentRow.decode(row, tags: tags[key] ?? [])
            }
            return result
        }
    }

    func forEachVector(keys: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws(CasebookError) {
        guard !keys.isEmpty else { return }
        // The keys as one JSON array: a single cached statement whatever their number.
        let list = "[" + keys.map(String.init).joined(separator: ",") + "]"
        try read { db in
            let rows = try Row.fetchCursor(
                try db.cachedStatement(
                    sql: "SELECT precedent_pk, data FROM precedent_vector WHERE precedent_pk IN (SELECT value FROM json_each(?))"),
                arguments: [list])
            while let row = try rows.next() {
                let key: Int64 = row[0]
                try row.withUnsafeData(atIndex: 1) { data in
                    guard let data else { return body(key, UnsafeRawBufferPointer(start: nil, count: 0)) }
                    data.withUnsafeBytes { body(key, $0) }
                }
            }
        }
    }

    // MARK: - Statements

    static let insertVectorSQL = "INSERT INTO precedent_vector (precedent_pk, data) VALUES (?, ?)"

    /// `OR IGNORE`: a tag repeated on one precedent is stored once.
    static let insertTagSQL = "INSERT OR IGNORE INTO precedent_tag (precedent_pk, tag) VALUES (?, ?)"

    static func primaryKey(_ db: Database, _ collection: Int64, _ tenant: TenantID, _ id: PrecedentID)
        throws -> Int64?
    {
        try Int64.fetchOne(
            db, sql: "SELECT pk FROM precedent WHERE collection_id = ? AND tenant = ? AND id = ?",
            arguments: [collection, tenant.rawValue, id.rawValue])
    }

    /// A statement with one placeholder per key. Prepared once per connection and key count up
    /// to a search's largest k (every search reads its k precedents: preparing each time, with
    /// GRDB's authorizer callbacks, was ~10% of a small search in perf); larger lists are one-off.
    static func statement(_ db: Database, _ sql: String, keys: Int) throws -> Statement {
        keys <= SearchRequest.maxK ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
    }

    static func tags(_ db: Database, of keys: [Int64]) throws -> [Int64: [String]] {
        guard !keys.isEmpty else { return [:] }
        var result: [Int64: [String]] = [:]
        let rows = try Row.fetchCursor(
            try statement(db, "SELECT precedent_pk, tag FROM precedent_tag WHERE precedent_pk IN (\(databaseQuestionMarks(count: keys.count))) ORDER BY precedent_pk, tag", keys: keys.count),
            arguments: StatementArguments(keys))
        while let row = try rows.next() {
            result[row[0], default: []].append(row[1])
        }
        return result
    }
}
