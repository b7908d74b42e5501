import Foundation
import PostgresNIO

/// The change feed in PostgreSQL (`casebook.change`). A writer appends its row as the last
/// statement of its transaction, after taking a transaction-scoped advisory lock that it holds
/// until its commit: positions are therefore handed out in commit order and without gaps, so a
/// node that has applied position p needs exactly the rows after p. The lock serialises only
/// that last step (an index lookup and the commit), not the writes before it. `pg_notify` in the
/// same transaction wakes the listening nodes when it commits.
enum ChangeFeed {
    /// The channel nodes LISTEN on; the payload is the new position.
    static let channel = "casebook_changes"

    /// `stateAsOf` (writes of precedents): see ``append(_:collection:kind:groups:stateAsOf:)``.
    @discardableResult
    static func append(
        _ session: PostgresSession, collection: Int64, kind: StoredChange.Kind, tenant: TenantID? = nil,
        ids: [PrecedentID] = [], keys: [Int64] = [], stateAsOf: Int64? = nil
    ) throws(CasebookError) -> Int64 {
        try append(session, collection: collection, kind: kind, groups: [(tenant, ids, keys)], stateAsOf: stateAsOf).last!
    }

    /// One row per tenant of a batch, so that a follower reads each tenant's rows with one query.
    static func append(
        _ session: PostgresSession, collection: Int64, kind: StoredChange.Kind, _ items: [StoredPrecedent], keys: [Int64],
        stateAsOf: Int64?
    ) throws(CasebookError) {
        let groups = StoredChange.tenantGroups(items, keys: keys).map { (Optional($0.tenant), $0.ids, $0.keys) }
        try append(session, collection: collection, kind: kind, groups: groups, stateAsOf: stateAsOf)
    }

    /// The rows of `groups`, numbered on from the last position under the feed's lock, in one
    /// statement; returns their positions.
    ///
    /// With `stateAsOf`, the write was prepared with the collection's state (embedder, quantizer)
    /// as of that feed position, and is refused (``CasebookError/staleState(_:)``, the transaction
    /// rolled back) when a re-embedding or training of the collection, as a whole or of one of the
    /// groups' tenants, committed after it. Checked under the feed's lock, which a re-embedding
    /// or training also takes to append its change: one committed before is seen, one not yet
    /// committed commits after this write.
    @discardableResult
    private static func append(
        _ session: PostgresSession, collection: Int64, kind: StoredChange.Kind,
        groups: [(tenant: TenantID?, ids: [PrecedentID], keys: [Int64])], stateAsOf: Int64? = nil
    ) throws(CasebookError) -> [Int64] {
        // The lock's statement runs before the INSERT (one connection answers in order); its
        // answer is taken after, saving a round trip.
        let locked = session.send("SELECT pg_advisory_xact_lock($1)", PostgresBindings(PostgresSchema.Locks.feed))
        // Each group's ids and keys travel as one JSON text: arrays of arrays are not unnested
        // row by row.
        var binds = PostgresBindings(collection, kind.rawValue, Date().timeIntervalSince1970)
        do {
            try binds.append(NullableArray(groups.map { $0.tenant?.rawValue }))
        } catch {
            throw .storage(code: -1, message: "a change could not be encoded for PostgreSQL")
        }
        binds.append(groups.map { JSONWriter.string(.array($0.ids.map { .string($0.rawValue) })) })
        binds.append(groups.map { JSONWriter.string(.array($0.keys.map { .number(Double($0)) })) })
        binds.append(stateAsOf)
        // The check is part of the INSERT, which runs once the lock is held: no statement more.
        // `kind = 'training'` as the partial index `change_training` says: trainings are few.
        let rows = try session.query(
            """
            WITH base AS (SELECT coalesce(max(position), 0) AS last FROM casebook.change),
            stale AS (
                SELECT $7::bigint IS NOT NULL AND EXISTS (
                    SELECT 1 FROM casebook.change c
                    WHERE c.kind = 'training' AND c.collection_id = $1 AND c.position > $7
                    AND (c.tenant IS NULL OR c.tenant = ANY($4::text[]))
                ) AS found
            ),
            added AS (
                INSERT INTO casebook.change (position, collection_id, kind, tenant, ids, keys, committed_at)
                SELECT base.last + g.n, $1, $2, g.tenant,
                    ARRAY(SELECT jsonb_array_elements_text(g.ids::jsonb)),
                    ARRAY(SELECT (jsonb_array_elements_text(g.keys::jsonb))::bigint), $3
                FROM base, stale, unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS g(tenant, ids, keys, n)
                WHERE NOT stale.found
                RETURNING position
            )
            SELECT position FROM added, pg_notify('\(channel)', position::text) ORDER BY position
            """,
            binds)
        try session.wait(locked)
        // Nothing appended: the check found a newer state (the transaction is rolled back).
        if rows.isEmpty, stateAsOf != nil { throw .staleState("collection \(collection)") }
        let positions = rows.compactMap { try? $0.decode(Int64.self) }
        guard positions.count == groups.count else { throw PostgresStore.corrupt("the change feed returned no position") }
        session.appended?.positions.append(contentsOf: positions)
        return positions
    }

    /// Takes the feed's lock and refuses (``CasebookError/staleState(_:)`` naming `name`) a
    /// re-embedding or training made from the collection as of `stateAsOf` when another of them
    /// committed since. Under the lock, which every writer takes last to append its change: one
    /// committed before is seen, and nothing commits until this transaction does. (Taken first,
    /// the lock would wait on rows a writer holds while that writer waits on it.)
    static func lockRefusingNewerTraining(
        _ session: PostgresSession, collection: Int64, stateAsOf: Int64, name: String
    ) throws(CasebookError) {
        try session.execute("SELECT pg_advisory_xact_lock($1)", PostgresBindings(PostgresSchema.Locks.feed))
        let trained = try session.query(
            "SELECT count(*) FROM casebook.change WHERE kind = 'training' AND collection_id = $1 AND position > $2",
            PostgresBindings(collection, stateAsOf))
        guard trained.first.flatMap({ try? $0.decode(Int64.self) }) == 0 else { throw .staleState(name) }
    }

    /// The changes after `position`, oldest first, at most `limit`.
    static func changes(_ session: PostgresSession, after position: Int64, limit: Int) throws(CasebookError)
        -> [StoredChange]
    {
        let rows = try session.query(
            """
            SELECT position, collection_id, kind, tenant, ids, keys FROM casebook.change
            WHERE position > $1 ORDER BY position LIMIT $2
            """,
            PostgresBindings(position, Int64(limit)))
        return try rows.map { row throws(CasebookError) in
            guard let (position, collection, kind, tenant, ids, keys) = try? row.decode(
                (Int64, Int64, String, String?, [String], [Int64]).self),
                let kind = StoredChange.Kind(rawValue: kind)
            else { throw PostgresStore.corrupt("a change feed row is unreadable") }
            return StoredChange(
                position: position, collection: collection, kind: kind, tenant: tenant.map(TenantID.init(rawValue:)),
                ids: ids.map(PrecedentID.init(rawValue:)), keys: keys)
        }
    }

    /// The last committed position (0 for an empty feed).
    static func lastPosition(_ session: PostgresSession) throws(CasebookError) -> Int64 {
        let rows = try session.query("SELECT coalesce(max(position), 0) FROM casebook.change")
        return rows.first.flatMap { try? $0.decode(Int64.self) } ?? 0
    }
}
