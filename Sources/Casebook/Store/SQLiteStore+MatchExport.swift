import Foundation
import GRDB

extension SQLiteStore {
    /// Calls `body` with each logged search of the selection, in time order, inside one read
    /// transaction (a consistent snapshot, however long the export).
    func forEachMatch(
        _ request: MatchExportRequest, collectionID: Int64?, _ body: (MatchRecord) throws -> Void
    ) throws(CasebookError) {
        try read { db in
            var conditions = ["q.created_at >= ?", "q.created_at < ?"]
            var arguments: StatementArguments = [
                request.since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
                request.until?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude,
            ]
            if let tenant = request.tenant {
                conditions.append("q.tenant = ?")
                arguments += [tenant.rawValue]
            }
            if let collectionID {
                conditions.append("q.collection_id = ?")
                arguments += [collectionID]
            }
            let shown = try db.cachedStatement(
                sql: "SELECT rank, precedent_id, score, similarity FROM match_shown WHERE query_pk = ? ORDER BY rank")
            let uses = try db.cachedStatement(
                sql: """
                    SELECT precedent_id, rank, use_type, actor, decision_id, event_id, created_at
                    FROM match_use WHERE query_pk = ? ORDER BY pk
                    """)
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT q.*, c.name AS collection_name FROM match_query q JOIN collection c ON c.id = q.collection_id
                    WHERE \(conditions.joined(separator: " AND ")) ORDER BY q.created_at, q.pk
                    """,
                arguments: arguments)
            while let row = try cursor.next() {
                let key: Int64 = row["pk"]
                let shownRows = try Row.fetchAll(shown, arguments: [key]).map { r in
                    MatchRecord.Shown(rank: r["rank"], id: PrecedentID(rawValue: r["precedent_id"]), score: r["score"],
                                      similarity: r["similarity"])
                }
                let useRows = try Row.fetchAll(uses, arguments: [key]).map { r in
                    MatchRecord.Use(
                        precedentId: PrecedentID(rawValue: r["precedent_id"]), rank: r["rank"],
                        type: UseType(rawValue: r["use_type"]) ?? .viewed, actor: r["actor"],
                        decisionId: r["decision_id"], eventId: r["event_id"],
                        createdAt: Date(timeIntervalSince1970: r["created_at"]))
                }
                try body(MatchRecord(
                    queryId: row["query_id"], collection: row["collection_name"], tenant: TenantID(rawValue: row["tenant"]),
                    actor: row["actor"], decisionId: row["decision_id"], filter: row["filter"], k: row["k"],
                    nprobe: row["nprobe"], exact: row["exact"], reranked: row["reranked"], tookMs: row["took_ms"],
                    embedder: row["embedder"], indexVersion: row["index_version"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]), shown: shownRows, uses: useRows,
                    suggestion: row["suggestion"], recommendedAction: row["recommended_action"]))
            }
        }
    }
}
