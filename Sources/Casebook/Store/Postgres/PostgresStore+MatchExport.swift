import Foundation
import PostgresNIO

extension PostgresStore {
    /// Searches per round trip of an export; their shown rows and uses come in two more.
    static let exportPage = 1_000

    /// Calls `body` with each logged search of the selection in time order, from one snapshot
    /// (a REPEATABLE READ transaction), a page of searches at a time.
    func forEachMatch(
        _ request: MatchExportRequest, collectionID: Int64?, _ body: (MatchRecord) throws -> Void
    ) throws(CasebookError) {
        var conditions = ["(q.created_at, q.pk) > ($1, $2)", "q.created_at < $3"]
        var base: [(any PostgresDynamicTypeEncodable)?] = [request.until?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude]
        if let tenant = request.tenant {
            base.append(tenant.rawValue)
            conditions.append("q.tenant = $\(base.count + 2)")
        }
        if let collectionID {
            base.append(collectionID)
            conditions.append("q.collection_id = $\(base.count + 2)")
        }
        let pageSQL = """
            SELECT q.pk, q.query_id, c.name, q.tenant, q.actor, q.decision_id, q.filter, q.k, q.nprobe, q.exact,
                q.reranked, q.took_ms, q.embedder, q.index_version, q.created_at, q.suggestion, q.recommended_action
            FROM casebook.match_query q JOIN casebook.collection c ON c.id = q.collection_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY q.created_at, q.pk LIMIT \(Self.exportPage)
            """
        try connections.transaction(isolation: "REPEATABLE READ READ ONLY") { session throws(CasebookError) in
            var after = (time: (request.since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude).nextDown, key: Int64.max)
            // The first page starts strictly after (since - ε, max): every search at `since` or later.
            while true {
                var binds = PostgresBindings(after.time, after.key)
                for value in base { binds.append(value) }
                let rows = try session.query(pageSQL, binds)
                guard !rows.isEmpty else { return }
                var records: [(Int64, MatchRecord)] = []
                for row in rows {
                    let c = row.makeRandomAccess()
                    do {
                        records.append((try c[0].decode(Int64.self), MatchRecord(
                            queryId: try c[1].decode(String.self), collection: try c[2].decode(String.self),
                            tenant: TenantID(rawValue: try c[3].decode(String.self)), actor: try c[4].decode(String?.self),
                            decisionId: try c[5].decode(String?.self), filter: try c[6].decode(String?.self),
                            k: try c[7].decode(Int.self), nprobe: try c[8].decode(Int?.self), exact: try c[9].decode(Bool.self),
                            reranked: try c[10].decode(Bool.self), tookMs: try c[11].decode(Double.self),
                            embedder: try c[12].decode(String.self), indexVersion: try c[13].decode(String.self),
                            createdAt: Date(timeIntervalSince1970: try c[14].decode(Double.self)), shown: [], uses: [],
                            suggestion: try c[15].decode(Bool.self), recommendedAction: try c[16].decode(String?.self))))
                    } catch {
                        throw PostgresStore.corrupt("a logged search is unreadable")
                    }
                }
                let keys = records.map(\.0)
                var shown: [Int64: [MatchRecord.Shown]] = [:]
                for row in try session.query(
                    "SELECT query_pk, rank, precedent_id, score, similarity FROM casebook.match_shown WHERE query_pk = ANY($1) ORDER BY query_pk, rank",
                    PostgresBindings(keys))
                {
                    guard let (key, rank, id, score, similarity) = try? row.decode((Int64, Int, String, Double, Double?).self)
                    else { throw PostgresStore.corrupt("a shown row is unreadable") }
                    shown[key, default: []].append(
                        MatchRecord.Shown(rank: rank, id: PrecedentID(rawValue: id), score: score, similarity: similarity))
                }
                var uses: [Int64: [MatchRecord.Use]] = [:]
                for row in try session.query(
                    """
                    SELECT query_pk, precedent_id, rank, use_type, actor, decision_id, event_id, created_at
                    FROM casebook.match_use WHERE query_pk = ANY($1) ORDER BY pk
                    """,
                    PostgresBindings(keys))
                {
                    guard let (key, id, rank, type, actor, decision, event, created) = try? row.decode(
                        (Int64, String, Int, String, String?, String?, String?, Double).self)
                    else { throw PostgresStore.corrupt("a use row is unreadable") }
                    uses[key, default: []].append(MatchRecord.Use(
                        precedentId: PrecedentID(rawValue: id), rank: rank, type: UseType(rawValue: type) ?? .viewed,
                        actor: actor, decisionId: decision, eventId: event, createdAt: Date(timeIntervalSince1970: created)))
                }
                for (key, record) in records {
                    var record = record
                    record.shown = shown[key] ?? []
                    record.uses = uses[key] ?? []
                    do { try body(record) } catch let error as CasebookError { throw error } catch {
                        throw .storage(code: -1, message: "the export was interrupted: \(error)")
                    }
                }
                guard rows.count == Self.exportPage, let last = records.last else { return }
                after = (last.1.createdAt.timeIntervalSince1970, last.0)
            }
        }
    }
}
