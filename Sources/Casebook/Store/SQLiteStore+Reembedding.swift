import Foundation
import GRDB

/// What `reembed` reads and writes.
extension SQLiteStore {
    func precedents(collection: Int64, tenant: TenantID?, after key: Int64, limit: Int) throws(CasebookError)
        -> [(key: Int64, precedent: Precedent)]
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
            return zip(keys, rows).map { key, row in (key, PrecedentRow.decode(row, tags: tags[key] ?? [])) }
        }
    }

    func rewriteVectors(
        collection: Int64, embedder: EmbedderConfig, vectors: [(key: Int64, stored: Data)], lists: [Int32]?,
        frequencies: [TenantID: FeatureFrequencies], tenants: Set<TenantID>?
    ) throws(CasebookError) {
        let embedderJSON = try StoredCollectionJSON.encode(embedder)
        try write { db in
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
                }
            } else {
                try db.execute(sql: "DELETE FROM feature_frequency WHERE collection_id = ?", arguments: [collection])
            }
            for (tenant, counts) in frequencies {
                try SQLiteStore.applyFrequencies(db, collection: collection, tenant: tenant, counts)
            }
            if let tenants {
                for tenant in tenants.sorted(by: { $0.rawValue < $1.rawValue }) {
                    try appendChange(db, collection: collection, kind: .training, tenant: tenant)
                }
            } else {
                try appendChange(db, collection: collection, kind: .training)
            }
        }
    }
}
