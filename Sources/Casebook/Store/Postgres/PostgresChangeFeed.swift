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

    @discardableResult
    static func append(
        _ session: PostgresSession, collection: Int64, kind: StoredChange.Kind, tenant: TenantID? = nil,
        ids: [PrecedentID] = [], keys: [Int64] = []
    ) throws(CasebookError) -> Int64 {
        try session.execute("SELECT pg_advisory_xact_lock($1)", PostgresBindings(PostgresSchema.Locks.feed))
        let rows = try session.query(
            """
            WITH added AS (
                INSERT INTO casebook.change (position, collection_id, kind, tenant, ids, keys, committed_at)
                SELECT coalesce(max(position), 0) + 1, $1, $2, $3, $4, $5, $6 FROM casebook.change
                RETURNING position
            )
            SELECT position FROM added, pg_notify('\(channel)', position::text)
            """,
            PostgresBindings(collection, kind.rawValue, tenant?.rawValue, ids.map(\.rawValue), keys, Date().timeIntervalSince1970))
        guard let position = rows.first.flatMap({ try? $0.decode(Int64.self) }) else {
            throw PostgresStore.corrupt("the change feed returned no position")
        }
        session.appended?.positions.append(position)
        return position
    }

    /// One row per tenant of a batch, so that a follower reads each tenant's rows with one query.
    static func append(
        _ session: PostgresSession, collection: Int64, kind: StoredChange.Kind, _ items: [StoredPrecedent], keys: [Int64]
    ) throws(CasebookError) {
        for group in StoredChange.tenantGroups(items, keys: keys) {
            try append(session, collection: collection, kind: kind, tenant: group.tenant, ids: group.ids, keys: group.keys)
        }
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
