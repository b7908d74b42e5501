import Foundation
import GRDB

/// Usefulness statistics, computed by SQLite over the match log of one tenant and collection in a
/// time window. The window selects searches by their time; uses and outcomes count through the
/// searches they belong to.
extension SQLiteStore {
    func statistics(
        collection: Int64, name: String, request: MatchStatisticsRequest
    ) throws(CasebookError) -> MatchStatistics {
        let since = request.since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude
        let until = request.until?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude
        let window: StatementArguments = [collection, request.tenant.rawValue, since, until]
        // The window's searches, as a common table every statement starts from.
        let searches = """
            WITH q AS (
                SELECT pk, decision_id FROM match_query
                WHERE collection_id = ? AND tenant = ? AND created_at >= ? AND created_at < ?
            )
            """
        let used = "u.use_type IN (\(MatchSQL.useTypes))"
        return try read { db in
            var figures = MatchFigures()
            figures.queries = try Int.fetchOne(db, sql: "\(searches) SELECT count(*) FROM q", arguments: window) ?? 0

            // Per rank: shown, used, viewed, rejected (a pair counts once per kind).
            let perRank = try Row.fetchAll(
                db,
                sql: """
                    \(searches)
                    SELECT s.rank AS rank, count(*) AS shown,
                        sum(\(Self.shownHas(MatchSQL.useTypes))) AS used,
                        sum(\(Self.shownHas("'viewed'"))) AS viewed,
                        sum(\(Self.shownHas("'rejected'"))) AS rejected
                    FROM match_shown s JOIN q ON q.pk = s.query_pk
                    GROUP BY s.rank
                    """,
                arguments: window)
            for row in perRank {
                let rank: Int = row["rank"]
                figures.shownByRank[rank] = row["shown"]
                figures.usedByRank[rank] = row["used"]
                figures.viewed += row["viewed"] as Int
                figures.rejected += row["rejected"] as Int
            }

            // Queries with a use: the rank of the first used result (MRR, hit@k).
            figures.firstUsedRanks = try Int.fetchAll(
                db,
                sql: "\(searches) SELECT min(u.rank) FROM match_use u JOIN q ON q.pk = u.query_pk WHERE \(used) GROUP BY u.query_pk",
                arguments: window)
            figures.queriesWithAnyUse = try Int.fetchOne(
                db, sql: "\(searches) SELECT count(DISTINCT u.query_pk) FROM match_use u JOIN q ON q.pk = u.query_pk",
                arguments: window) ?? 0
            figures.decisions = try Self.linkedDecisions(db, searches: searches, window: window, tenant: request.tenant)
            figures.precedents = try Self.usefulness(db, searches: searches, window: window)
            let windowed = "q.collection_id = ? AND q.tenant = ? AND q.created_at >= ? AND q.created_at < ? AND q.suggestion"
            if let counts = try Row.fetchOne(
                db, sql: "SELECT count(*), count(q.recommended_action) FROM match_query q WHERE \(windowed)", arguments: window)
            {
                figures.suggestions = counts[0]
                figures.recommended = counts[1]
            }
            figures.suggestedDecisions = try Row.fetchAll(
                db,
                sql: """
                    SELECT q.decision_id, q.recommended_action, o.action, o.was_successful FROM match_query q
                    JOIN decision_outcome o ON o.tenant = q.tenant AND o.decision_id = q.decision_id
                    WHERE \(windowed) AND q.recommended_action IS NOT NULL AND o.action IS NOT NULL
                        AND o.was_successful IS NOT NULL
                    ORDER BY q.pk
                    """,
                arguments: window
            ).map { row in (row[0], row[1], row[2], row[3]) }
            return figures.statistics(request, collection: name)
        }
    }

    /// 1 when the shown row `s` has an event of one of `types` (an SQL list) in its search.
    static func shownHas(_ types: String) -> String {
        "EXISTS (SELECT 1 FROM match_use u WHERE u.query_pk = s.query_pk AND u.precedent_id = s.precedent_id AND u.use_type IN (\(types)))"
    }

    /// Decisions with a known outcome that the window's searches served or their uses named;
    /// "applied" when any `applied` use is linked to the decision (a use's own decision id, else
    /// its search's).
    private static func linkedDecisions(
        _ db: Database, searches: String, window: StatementArguments, tenant: TenantID
    ) throws -> [(applied: Bool, successful: Bool)] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                \(searches), linked AS (
                    SELECT decision_id AS decision, 0 AS applied FROM q WHERE decision_id IS NOT NULL
                    UNION ALL
                    SELECT coalesce(u.decision_id, q.decision_id), u.use_type = 'applied'
                    FROM match_use u JOIN q ON q.pk = u.query_pk
                    WHERE coalesce(u.decision_id, q.decision_id) IS NOT NULL
                )
                SELECT max(l.applied) AS applied, o.was_successful AS success
                FROM linked l JOIN decision_outcome o ON o.tenant = ? AND o.decision_id = l.decision
                WHERE o.was_successful IS NOT NULL
                GROUP BY l.decision
                """,
            arguments: window + [tenant.rawValue])
        return rows.map { (applied: $0["applied"] as Bool, successful: $0["success"] as Bool) }
    }

    private static func usefulness(
        _ db: Database, searches: String, window: StatementArguments
    ) throws -> [PrecedentUsefulness] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                \(searches)
                SELECT s.precedent_id AS id, count(*) AS shown, sum(\(shownHas(MatchSQL.useTypes))) AS used
                FROM match_shown s JOIN q ON q.pk = s.query_pk
                GROUP BY s.precedent_id
                """,
            arguments: window)
        return rows.map { PrecedentUsefulness(id: PrecedentID(rawValue: $0["id"]), shown: $0["shown"], used: $0["used"]) }
    }

    /// Shown and used counts of some precedents over the tenant's whole log of a collection (for
    /// re-ranking).
    func usefulness(collection: Int64, tenant: TenantID, ids: [PrecedentID]) throws(CasebookError) -> [PrecedentID: PrecedentUsefulness] {
        guard !ids.isEmpty else { return [:] }
        return try read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.precedent_id AS id, count(*) AS shown, sum(\(Self.shownHas(MatchSQL.useTypes))) AS used
                    FROM match_shown s JOIN match_query q ON q.pk = s.query_pk
                    WHERE q.collection_id = ? AND q.tenant = ? AND s.precedent_id IN (\(placeholders))
                    GROUP BY s.precedent_id
                    """,
                arguments: StatementArguments([collection, tenant.rawValue] as [any DatabaseValueConvertible])
                    + StatementArguments(ids.map(\.rawValue)))
            var result: [PrecedentID: PrecedentUsefulness] = [:]
            for row in rows {
                let id = PrecedentID(rawValue: row["id"])
                result[id] = PrecedentUsefulness(id: id, shown: row["shown"], used: row["used"])
            }
            return result
        }
    }
}
