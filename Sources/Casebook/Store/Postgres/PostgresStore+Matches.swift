import Foundation
import PostgresNIO

/// The match log's tables in PostgreSQL (`match_*`, `decision_outcome`), written and read as the
/// SQLite store does; every read names the tenant.
extension PostgresStore {
    func insertSearches(_ entries: ArraySlice<LoggedSearch>) throws(CasebookError) {
        guard !entries.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        var filters: [String?] = []
        for entry in entries {
            do {
                filters.append(entry.filter.isEmpty ? nil : String(decoding: try encoder.encode(entry.filter), as: UTF8.self))
            } catch {
                throw .storage(code: -1, message: "a logged search's filter could not be encoded")
            }
        }
        try connections.transaction { session throws(CasebookError) in
            let keyed = try session.insertRows(
                """
                INSERT INTO casebook.match_query (query_id, collection_id, tenant, actor, decision_id, filter, k, nprobe,
                    exact, reranked, took_ms, embedder, index_version, created_at, suggestion, recommended_action)
                """,
                width: 16, Array(zip(entries, filters)),
                // A retry of a batch whose commit was lost with its connection: the searches that
                // did arrive stay as they are, with their shown rows.
                tail: "ON CONFLICT (query_id) DO NOTHING RETURNING pk, query_id"
            ) { binds, pair in
                let (entry, filter) = pair
                binds.append(entry.queryId)
                binds.append(entry.collection)
                binds.append(entry.tenant.rawValue)
                binds.append(entry.actor)
                binds.append(entry.decisionId)
                binds.append(filter)
                binds.append(Int64(entry.k))
                binds.append(entry.nprobe.map(Int64.init))
                binds.append(entry.exact)
                binds.append(entry.reranked)
                binds.append(entry.tookMs)
                binds.append(entry.embedder)
                binds.append(entry.indexVersion)
                binds.append(entry.createdAt)
                binds.append(entry.suggestion)
                binds.append(entry.recommendedAction)
            }
            var keys: [String: Int64] = [:]
            for row in keyed {
                if let (key, queryId) = try? row.decode((Int64, String).self) { keys[queryId] = key }
            }
            let shown = entries.filter { keys[$0.queryId] != nil }.flatMap { entry in
                entry.ids.indices.map { position in (keys[entry.queryId]!, position, entry) }
            }
            _ = try session.insertRows(
                "INSERT INTO casebook.match_shown (query_pk, rank, precedent_id, score, similarity)", width: 5, shown
            ) { binds, row in
                let (key, position, entry) = row
                binds.append(key)
                binds.append(Int64(position + 1))
                binds.append(entry.ids[position].rawValue)
                binds.append(Double(entry.scores[position]))
                binds.append(entry.similarities.map { Double($0[position]) })
            }
        }
    }

    func recordUse(_ event: UseEvent, now: Date) throws(CasebookError) -> UseReceipt {
        try connections.transaction { session throws(CasebookError) -> UseReceipt in
            guard let queryKey = try session.query(
                "SELECT pk FROM casebook.match_query WHERE query_id = $1 AND tenant = $2",
                PostgresBindings(event.queryId, event.tenant.rawValue)
            ).first.flatMap({ try? $0.decode(Int64.self) })
            else { throw .queryNotFound(event.queryId) }
            if let eventId = event.eventId, let earlier = try session.query(
                "SELECT query_pk, precedent_id, rank, use_type FROM casebook.match_use WHERE tenant = $1 AND event_id = $2",
                PostgresBindings(event.tenant.rawValue, eventId)
            ).first.flatMap({ try? $0.decode((Int64, String, Int, String).self) }) {
                let same = earlier.0 == queryKey && earlier.1 == event.precedentId.rawValue && earlier.3 == event.type.rawValue
                guard same else { throw .eventConflict(eventId) }
                return UseReceipt(recorded: false, rank: earlier.2)
            }
            guard let rank = try session.query(
                "SELECT rank FROM casebook.match_shown WHERE query_pk = $1 AND precedent_id = $2 ORDER BY rank LIMIT 1",
                PostgresBindings(queryKey, event.precedentId.rawValue)
            ).first.flatMap({ try? $0.decode(Int.self) })
            else { throw .precedentNotShown(queryId: event.queryId, id: event.precedentId) }
            // ON CONFLICT: the same event id recorded by another node meanwhile; the first stays.
            let inserted = try session.execute(
                """
                INSERT INTO casebook.match_use (query_pk, tenant, event_id, precedent_id, rank, use_type, actor,
                    decision_id, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
                """,
                PostgresBindings(
                    queryKey, event.tenant.rawValue, event.eventId, event.precedentId.rawValue, Int64(rank),
                    event.type.rawValue, event.actor, event.decisionId, now.timeIntervalSince1970))
            return UseReceipt(recorded: inserted > 0, rank: rank)
        }
    }

    func recordOutcome(_ outcome: DecisionOutcome, now: Date) throws(CasebookError) {
        try connections.transaction { session throws(CasebookError) in
            try session.execute(
                """
                INSERT INTO casebook.decision_outcome (tenant, decision_id, outcome, was_successful, action, recorded_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant, decision_id) DO UPDATE SET outcome = excluded.outcome,
                    was_successful = excluded.was_successful, action = excluded.action,
                    recorded_at = excluded.recorded_at
                """,
                PostgresBindings(
                    outcome.tenant.rawValue, outcome.decisionId, outcome.outcome, outcome.wasSuccessful,
                    outcome.action, now.timeIntervalSince1970))
            // In the feed for completeness (no collection: an outcome belongs to a decision);
            // nodes hold nothing of it in memory.
            try ChangeFeed.append(session, collection: 0, kind: .outcome, tenant: outcome.tenant)
        }
    }

    func pruneMatches(before date: Date) throws(CasebookError) -> (searches: Int, outcomes: Int) {
        try connections.transaction { session throws(CasebookError) in
            let searches = try session.execute(
                "DELETE FROM casebook.match_query WHERE created_at < $1", PostgresBindings(date.timeIntervalSince1970))
            let outcomes = try session.execute(
                "DELETE FROM casebook.decision_outcome WHERE recorded_at < $1", PostgresBindings(date.timeIntervalSince1970))
            return (searches, outcomes)
        }
    }
}
