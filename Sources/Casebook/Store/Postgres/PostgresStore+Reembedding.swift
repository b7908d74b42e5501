import Foundation
import PostgresNIO

/// What `reembed` reads and writes.
extension PostgresStore {
    func precedents(collection: Int64, tenant: TenantID?, after key: Int64, limit: Int) throws(CasebookError)
        -> [KeyedPrecedent]
    {
        let rows = try connections.withSession { session throws(CasebookError) in
            // A null tenant matches every tenant.
            try session.query(
                """
                SELECT \(PostgresPrecedentRow.columns) FROM casebook.precedent
                WHERE collection_id = $1 AND ($4::text IS NULL OR tenant = $4) AND pk > $2 ORDER BY pk LIMIT $3
                """,
                PostgresBindings(collection, key, Int64(limit), tenant?.rawValue))
        }
        return try rows.map { row throws(CasebookError) in
            let (key, payload) = try PostgresPrecedentRow.payload(row.makeRandomAccess())
            return KeyedPrecedent(key: key, precedent: payload.precedent, createdAt: payload.createdAt)
        }
    }

    func precedents(collection: Int64, tenant: TenantID, keys: [Int64]) throws(CasebookError)
        -> [KeyedPrecedent]
    {
        guard !keys.isEmpty else { return [] }
        // From the table, not the node's payloads (which follow the feed, later).
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                """
                SELECT \(PostgresPrecedentRow.columns) FROM casebook.precedent
                WHERE collection_id = $1 AND tenant = $2 AND pk = ANY($3) ORDER BY pk
                """,
                PostgresBindings(collection, tenant.rawValue, keys))
        }
        return try rows.map { row throws(CasebookError) in
            let (key, payload) = try PostgresPrecedentRow.payload(row.makeRandomAccess())
            return KeyedPrecedent(key: key, precedent: payload.precedent, createdAt: payload.createdAt)
        }
    }

    func lastChangePosition() throws(CasebookError) -> Int64 {
        try connections.withSession { session throws(CasebookError) in try ChangeFeed.lastPosition(session) }
    }

    func rewriteVectors(
        collection: Int64, name: String, embedder: EmbedderConfig, vectors: [(key: Int64, stored: Data)], lists: [Int32]?,
        frequencies: [TenantID: FeatureFrequencies], tenants: Set<TenantID>?, unchangedSince: Int64, stateAsOf: Int64
    ) throws(CasebookError) -> Int64 {
        let embedderJSON = try StoredCollectionJSON.encode(embedder)
        return try connections.transaction { session throws(CasebookError) -> Int64 in
            try session.execute(
                "UPDATE casebook.collection SET embedder = $1 WHERE id = $2", PostgresBindings(embedderJSON, collection))
            // Vectors (and lists) in statements of many rows: arrays unnested side by side.
            let chunk = 2_000
            for start in stride(from: 0, to: vectors.count, by: chunk) {
                let range = start..<min(vectors.count, start + chunk)
                let keys = vectors[range].map(\.key)
                let bytes = vectors[range].map { ByteBuffer(bytes: $0.stored) }
                if let lists {
                    try session.execute(
                        """
                        UPDATE casebook.precedent p SET vector = a.vector, ivf_list = a.list
                        FROM unnest($1::bigint[], $2::bytea[], $3::int[]) AS a(pk, vector, list)
                        WHERE p.pk = a.pk AND p.collection_id = $4
                        """,
                        PostgresBindings(keys, bytes, Array(lists[range]), collection))
                } else {
                    try session.execute(
                        """
                        UPDATE casebook.precedent p SET vector = a.vector
                        FROM unnest($1::bigint[], $2::bytea[]) AS a(pk, vector)
                        WHERE p.pk = a.pk AND p.collection_id = $3
                        """,
                        PostgresBindings(keys, bytes, collection))
                }
            }
            // The tenants' counts emptied (rows deleted, packed values empty), then counted again.
            // Their rows locked first in tenant order, the order writers lock them in: no deadlock.
            let some = tenants.map { $0.map(\.rawValue).sorted() }
            _ = try session.query(
                """
                SELECT 1 FROM casebook.feature_frequency_tenant
                WHERE collection_id = $1 AND ($2::text[] IS NULL OR tenant = ANY($2)) ORDER BY tenant FOR UPDATE
                """,
                PostgresBindings(collection, some))
            try session.execute(
                """
                UPDATE casebook.feature_frequency_tenant SET packed = $3
                WHERE collection_id = $1 AND ($2::text[] IS NULL OR tenant = ANY($2))
                """,
                PostgresBindings(collection, some, ByteBuffer(bytes: PackedFrequencies.empty)))
            try session.execute(
                "DELETE FROM casebook.feature_frequency WHERE collection_id = $1 AND ($2::text[] IS NULL OR tenant = ANY($2))",
                PostgresBindings(collection, some))
            try Self.applyFrequencies(session, collection: collection, frequencies)
            // Last, under the feed's lock: whatever committed since the rows were read is in the
            // feed now, and nothing commits until this does.
            try ChangeFeed.lockRefusingNewerTraining(session, collection: collection, stateAsOf: stateAsOf, name: name)
            let changed = try session.query(
                """
                SELECT count(*) FROM casebook.change
                WHERE position > $1 AND collection_id = $2 AND kind IN ('upsert', 'delete')
                AND ($3::text[] IS NULL OR tenant = ANY($3))
                """,
                PostgresBindings(unchangedSince, collection, tenants.map { $0.map(\.rawValue).sorted() }))
            guard changed.first.flatMap({ try? $0.decode(Int64.self) }) == 0 else {
                throw .changedDuringReembedding(name)
            }
            guard let tenants else { return try ChangeFeed.append(session, collection: collection, kind: .training) }
            var position: Int64 = 0
            for tenant in tenants.sorted(by: { $0.rawValue < $1.rawValue }) {
                position = try ChangeFeed.append(session, collection: collection, kind: .training, tenant: tenant)
            }
            return position
        }
    }
}
