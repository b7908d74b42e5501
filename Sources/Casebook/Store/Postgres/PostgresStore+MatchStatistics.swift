import Foundation
import PostgresNIO

/// Usefulness statistics over the match log, computed by PostgreSQL with the same definitions as
/// the SQLite store's (see its statistics): the window selects searches by their time; uses and
/// outcomes count through the searches they belong to.
extension PostgresStore {
    func statistics(
        collection: Int64, name: String, request: MatchStatisticsRequest
    ) throws(CasebookError) -> MatchStatistics {
        let window = PostgresBindings(
            collection, request.tenant.rawValue, request.since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
            request.until?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude)
        let searches = """
            WITH q AS (
                SELECT pk, decision_id FROM casebook.match_query
                WHERE collection_id = $1 AND tenant = $2 AND created_at >= $3 AND created_at < $4
            )
            """
        let used = "u.use_type IN (\(MatchSQL.useTypes))"
        func shownHas(_ types: String) -> String {
            "(EXISTS (SELECT 1 FROM casebook.match_use u WHERE u.query_pk = s.query_pk AND u.precedent_id = s.precedent_id AND u.use_type IN (\(types))))::int"
        }
        return try connections.transaction(isolation: "REPEATABLE READ READ ONLY") { session throws(CasebookError) in
            func ints(_ sql: String, _ binds: PostgresBindings = window) throws(CasebookError) -> [Int] {
                try session.query(sql, binds).map { row in Int(((try? row.decode(Int64?.self)) ?? nil) ?? 0) }
            }
            var figures = MatchFigures()
            figures.queries = try ints("\(searches) SELECT count(*) FROM q").first ?? 0
            for row in try session.query(
                """
                \(searches)
                SELECT s.rank, count(*), sum(\(shownHas(MatchSQL.useTypes))), sum(\(shownHas("'viewed'"))),
                    sum(\(shownHas("'rejected'")))
                FROM casebook.match_shown s JOIN q ON q.pk = s.query_pk
                GROUP BY s.rank
                """, window)
            {
                guard let (rank, shown, usedCount, viewedCount, rejectedCount) = try? row.decode(
                    (Int, Int64, Int64, Int64, Int64).self)
                else { throw PostgresStore.corrupt("a statistics row is unreadable") }
                figures.shownByRank[rank] = Int(shown)
                figures.usedByRank[rank] = Int(usedCount)
                figures.viewed += Int(viewedCount)
                figures.rejected += Int(rejectedCount)
            }
            figures.firstUsedRanks = try session.query(
                "\(searches) SELECT min(u.rank) FROM casebook.match_use u JOIN q ON q.pk = u.query_pk WHERE \(used) GROUP BY u.query_pk",
                window
            ).compactMap { try? $0.decode(Int.self) }
            figures.queriesWithAnyUse = try ints(
                "\(searches) SELECT count(DISTINCT u.query_pk) FROM casebook.match_use u JOIN q ON q.pk = u.query_pk").first ?? 0
            figures.decisions = try session.query(
                """
                \(searches), linked AS (
                    SELECT decision_id AS decision, false AS applied FROM q WHERE decision_id IS NOT NULL
                    UNION ALL
                    SELECT coalesce(u.decision_id, q.decision_id), u.use_type = 'applied'
                    FROM casebook.match_use u JOIN q ON q.pk = u.query_pk
                    WHERE coalesce(u.decision_id, q.decision_id) IS NOT NULL
                )
                SELECT bool_or(l.applied), bool_or(o.was_successful)
                FROM linked l JOIN casebook.decision_outcome o ON o.tenant = $2 AND o.decision_id = l.decision
                WHERE o.was_successful IS NOT NULL
                GROUP BY l.decision
                """, window
            ).compactMap { row in (try? row.decode((Bool, Bool).self)).map { (applied: $0.0, successful: $0.1) } }
            figures.precedents = try session.query(
                """
                \(searches)
                SELECT s.precedent_id, count(*), sum(\(shownHas(MatchSQL.useTypes)))
                FROM casebook.match_shown s JOIN q ON q.pk = s.query_pk
                GROUP BY s.precedent_id
                """, window
            ).compactMap { row -> PrecedentUsefulness? in
                guard let (id, shown, usedCount) = try? row.decode((String, Int64, Int64).self) else { return nil }
                return PrecedentUsefulness(id: PrecedentID(rawValue: id), shown: Int(shown), used: Int(usedCount))
            }
            let windowed = "q.collection_id = $1 AND q.tenant = $2 AND q.created_at >= $3 AND q.created_at < $4 AND q.suggestion"
            let counts = try session.query(
                "SELECT count(*), count(q.recommended_action) FROM casebook.match_query q WHERE \(windowed)", window)
            if let row = counts.first, let (all, recommended) = try? row.decode((Int64, Int64).self) {
                figures.suggestions = Int(all)
                figures.recommended = Int(recommended)
            }
            figures.suggestedDecisions = try session.query(
                """
                SELECT q.decision_id, q.recommended_action, o.action, o.was_successful FROM casebook.match_query q
                JOIN casebook.decision_outcome o ON o.tenant = q.tenant AND o.decision_id = q.decision_id
                WHERE \(windowed) AND q.recommended_action IS NOT NULL AND o.action IS NOT NULL
                    AND o.was_successful IS NOT NULL
                ORDER BY q.pk
                """, window
            ).compactMap { row in
                (try? row.decode((String, String, String, Bool).self)).map {
                    (decision: $0.0, recommended: $0.1, action: $0.2, successful: $0.3)
                }
            }
            return figures.statistics(request, collection: name)
        }
    }

    func usefulness(collection: Int64, tenant: TenantID, ids: [PrecedentID]) throws(CasebookError)
        -> [PrecedentID: PrecedentUsefulness]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                """
                SELECT s.precedent_id, count(*), sum((EXISTS (SELECT 1 FROM casebook.match_use u
                    WHERE u.query_pk = s.query_pk AND u.precedent_id = s.precedent_id
                    AND u.use_type IN (\(MatchSQL.useTypes))))::int)
                FROM casebook.match_shown s JOIN casebook.match_query q ON q.pk = s.query_pk
                WHERE q.collection_id = $1 AND q.tenant = $2 AND s.precedent_id = ANY($3)
                GROUP BY s.precedent_id
                """,
                PostgresBindings(collection, tenant.rawValue, ids.map(\.rawValue)))
        }
        var result: [PrecedentID: PrecedentUsefulness] = [:]
        for row in rows {
            guard let (id, shown, used) = try? row.decode((String, Int64, Int64).self) else { continue }
            let key = PrecedentID(rawValue: id)
            result[key] = PrecedentUsefulness(id: key, shown: Int(shown), used: Int(used))
        }
        return result
    }
}
