import Foundation
import GRDB

/// The match log's tables (see Docs/StorageFormat.md, `match_*` and `decision_outcome`). Every
/// read names the tenant, so one tenant's log is unreachable from another's queries.
extension SQLiteStore {
    /// Writes a batch of logged searches in one transaction.
    func insertSearches(_ entries: ArraySlice<LoggedSearch>) throws(CasebookError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        try write { db in
            let insertQuery = SQLiteBinding(statement: try db.cachedStatement(sql: SQLiteStore.insertQuerySQL))
            let insertShown = SQLiteBinding(statement: try db.cachedStatement(sql: SQLiteStore.insertShownSQL))
            for entry in entries {
                insertQuery.reset()
                insertQuery.bind(1, entry.queryId)
                insertQuery.bind(2, entry.collection)
                insertQuery.bind(3, entry.tenant.rawValue)
                insertQuery.bind(4, entry.actor)
                insertQuery.bind(5, entry.decisionId)
                insertQuery.bind(6, entry.filter.isEmpty ? nil : String(decoding: try encoder.encode(entry.filter), as: UTF8.self))
                insertQuery.bind(7, Int64(entry.k))
                insertQuery.bind(8, entry.nprobe.map(Int64.init))
                insertQuery.bind(9, entry.exact)
                insertQuery.bind(10, entry.reranked)
                insertQuery.bind(11, entry.tookMs)
                insertQuery.bind(12, entry.embedder)
                insertQuery.bind(13, entry.indexVersion)
                insertQuery.bind(14, entry.createdAt)
                insertQuery.bind(15, entry.suggestion)
                insertQuery.bind(16, entry.recommendedAction)
                try insertQuery.step(db)
                let key = db.lastInsertedRowID
                for (position, id) in entry.ids.enumerated() {
                    insertShown.reset()
                    insertShown.bind(1, key)
                    insertShown.bind(2, Int64(position + 1))
                    insertShown.bind(3, id.rawValue)
                    insertShown.bind(4, Double(entry.scores[position]))
                    insertShown.bind(5, entry.similarities.map { Double($0[position]) })
                    try insertShown.step(db)
                }
            }
        }
    }

    static let insertQuerySQL = """
        INSERT INTO match_query (query_id, collection_id, tenant, actor, decision_id, filter, k, nprobe, exact,
            reranked, took_ms, embedder, index_version, created_at, suggestion, recommended_action)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertShownSQL = "INSERT INTO match_shown (query_pk, rank, precedent_id, score, similarity) VALUES (?, ?, ?, ?, ?)"

    /// Records one use after checking, in the same transaction, that the tenant's query showed the
    /// precedent. A replayed event id returns the first recording's receipt with `recorded: false`.
    func recordUse(_ event: UseEvent, now: Date) throws(CasebookError) -> UseReceipt {
        try write { db in
            guard let query = try Row.fetchOne(
                db, sql: "SELECT pk, decision_id FROM match_query WHERE query_id = ? AND tenant = ?",
                arguments: [event.queryId, event.tenant.rawValue])
            else { throw CasebookError.queryNotFound(event.queryId) }
            let queryKey: Int64 = query["pk"]
            if let eventId = event.eventId, let earlier = try Row.fetchOne(
                db,
                sql: "SELECT query_pk, precedent_id, rank, use_type FROM match_use WHERE tenant = ? AND event_id = ?",
                arguments: [event.tenant.rawValue, eventId])
            {
                let same = earlier["query_pk"] as Int64 == queryKey
                    && earlier["precedent_id"] as String == event.precedentId.rawValue
                    && earlier["use_type"] as String == event.type.rawValue
                guard same else { throw CasebookError.eventConflict(eventId) }
                return UseReceipt(recorded: false, rank: earlier["rank"])
            }
            guard let rank = try Int.fetchOne(
                db, sql: "SELECT rank FROM match_shown WHERE query_pk = ? AND precedent_id = ?",
                arguments: [queryKey, event.precedentId.rawValue])
            else { throw CasebookError.precedentNotShown(queryId: event.queryId, id: event.precedentId) }
            try db.execute(
                sql: """
                    INSERT INTO match_use (query_pk, tenant, event_id, precedent_id, rank, use_type, actor, decision_id,
                        created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    queryKey, event.tenant.rawValue, event.eventId, event.precedentId.rawValue, rank,
                    event.type.rawValue, event.actor, event.decisionId, now.timeIntervalSince1970,
                ])
            return UseReceipt(recorded: true, rank: rank)
        }
    }

    /// Sets (or replaces) a decision's outcome.
    func recordOutcome(_ outcome: DecisionOutcome, now: Date) throws(CasebookError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO decision_outcome (tenant, decision_id, outcome, was_successful, action, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (tenant, decision_id) DO UPDATE SET
                        outcome = excluded.outcome, was_successful = excluded.was_successful,
                        action = excluded.action, recorded_at = excluded.recorded_at
                    """,
                arguments: [
                    outcome.tenant.rawValue, outcome.decisionId, outcome.outcome, outcome.wasSuccessful,
                    outcome.action, now.timeIntervalSince1970,
                ])
            try appendChange(db, collection: 0, kind: .outcome, tenant: outcome.tenant)
        }
    }

    /// Ids of a tenant's precedents in a collection that record this decision.
    func precedentIDs(collection: Int64, tenant: TenantID, decisionEventId: String) throws(CasebookError) -> [PrecedentID] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM precedent WHERE collection_id = ? AND tenant = ? AND decision_event_id = ? ORDER BY pk",
                arguments: [collection, tenant.rawValue, decisionEventId]
            ).map(PrecedentID.init(rawValue:))
        }
    }

    /// Deletes searches (with what they showed and their uses) made before `date`, and outcomes
    /// recorded before it. Returns the numbers of searches and outcomes deleted.
    func pruneMatches(before date: Date) throws(CasebookError) -> (searches: Int, outcomes: Int) {
        try write { db in
            try db.execute(sql: "DELETE FROM match_query WHERE created_at < ?", arguments: [date.timeIntervalSince1970])
            let searches = db.changesCount
            try db.execute(sql: "DELETE FROM decision_outcome WHERE recorded_at < ?", arguments: [date.timeIntervalSince1970])
            return (searches, db.changesCount)
        }
    }
}
