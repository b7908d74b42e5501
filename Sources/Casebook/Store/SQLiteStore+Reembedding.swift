import Foundation
import GRDB

/// What `reembed` reads and writes.
extension SQLiteStore {
    func precedents(collection: Int64, tenant: TenantID, keys: [Int64]) throws(CasebookError)
        -> [KeyedPrecedent]
    {
        guard !keys.isEmpty else { return [] }
        return try read { db in
            var arguments: StatementArguments = [collection, tenant.rawValue]
            arguments += StatementArguments(keys)
            let rows = try Row.fetchAll(
                db, sql: """
                    SELECT \(PrecedentRow.columns) FROM precedent
                    WHERE collection_id = ? AND tenant = ? AND pk IN (\(databaseQuestionMarks(count: keys.count))) ORDER BY pk
                    """,
                arguments: arguments)
            let found = rows.map { $0[0] as Int64 }
            let tags = try SQLiteStore.tags(db, of: found)
            return zip(found, rows).map { key, row in PrecedentRow.keyed(row, key: key, tags: tags[key] ?? []) }
        }
    }

    func lastChangePosition() throws(CasebookError) -> Int64 {
        try read { db in try SQLiteStore.lastPosition(db) }
    }

    func precedents(collection: Int64, tenant: TenantID?, after key: Int64, limit: Int) throws(CasebookError)
        -> [KeyedPrecedent]
    {
        try read { db in
            let rows = try tenant.map { tenant in
                try Row.fetchAll(
                    db, sql: """
                        SELECT \(PrecedentRow.columns) FROM precedent
                        WHERE collection_id = ? AND tenant = ? AND pk > ? ORDER BY pk LIMIT ?
                        """,
                    arguments: [collection, tenant.rawValue, key, limit])
            } ?? Row.fetchAll(
                db, sql: "SELECT \(PrecedentRow.columns) FROM precedent WHERE collection_id = ? AND pk > ? ORDER BY pk LIMIT ?",
                arguments: [collection, key, limit])
            let keys = rows.map { $0[0] as Int64 }
            let tags = try SQLiteStore.tags(db, of: keys)
            return zip(keys, rows).map { key, row in PrecedentRow.keyed(row, key: key, tags: tags[key] ?? []) }
        }
    }

    func rewriteVectors(
        collection: Int64, name: String, embedder: EmbedderConfig, vectors: [(key: Int64, stored: Data)], lists: [Int32]?,
        frequencies: [TenantID: FeatureFrequencies], tenants: Set<TenantID>?, unchangedSince: Int64, stateAsOf: Int64
    ) throws(CasebookError) -> Int64 {
        let embedderJSON = try StoredCollectionJSON.encode(embedder)
        return try write { db in
            // The write transaction keeps every other writer out until it ends: what the feed
            // holds now is all that was committed since the rows were read.
            try SQLiteStore.checkState(db, collection: collection, tenants: nil, asOf: stateAsOf, name: name)
            let scope = tenants.map { " AND tenant IN (\(databaseQuestionMarks(count: $0.count)))" } ?? ""
            var arguments: StatementArguments = [unchangedSince, collection]
            arguments += StatementArguments((tenants ?? []).map(\.rawValue))
            let changed = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM change WHERE position > ? AND collection_id = ? AND kind IN ('upsert', 'delete')\(scope)",
                arguments: arguments) ?? 0
            guard changed == 0 else { throw CasebookError.changedDuringReembedding(name) }
            try db.execute(sql: "UPDATE collection SET embedder = ? WHERE id = ?", arguments: [embedderJSON, collection])
            let update = SQLiteBinding(statement: try db.cachedStatement(
                sql: "UPDATE precedent_vector SET data = ? WHERE precedent_pk = ?"))
            for (key, stored) in vectors {
                update.reset()
                update.bind(1, storedVector: stored)
                update.bind(2, key)
                try update.step(db)
            }
            if let lists {
                for ((key, _), list) in zip(vectors, lists) {
                    try db.execute(sql: SQLiteStore.insertAssignmentSQL, arguments: [key, list])
                }
            }
            if let tenants {
                for tenant in tenants {
                    try db.execute(
                        sql: "DELETE FROM feature_frequency WHERE collection_id = ? AND tenant = ?",
                        arguments: [collection, tenant.rawValue])
                    try db.execute(
                        sql: "UPDATE feature_frequency_tenant SET packed = ? WHERE collection_id = ? AND tenant = ?",
                        arguments: [PackedFrequencies.empty, collection, tenant.rawValue])
                }
            } else {
                try db.execute(sql: "DELETE FROM feature_frequency WHERE collection_id = ?", arguments: [collection])
                try db.execute(
                    sql: "UPDATE feature_frequency_tenant SET packed = ? WHERE collection_id = ?",
                    arguments: [PackedFrequencies.empty, collection])
            }
            for (tenant, counts) in frequencies {
                try SQLiteStore.applyFrequencies(db, collection: collection, tenant: tenant, counts)
            }
            guard let tenants else { return try appendChange(db, collection: collection, kind: .training) }
            var position: Int64 = 0
            for tenant in tenants.sorted(by: { $0.rawValue < $1.rawValue }) {
                position = try appendChange(db, collection: collection, kind: .training, tenant: tenant)
            }
            return position
        }
    }
}
