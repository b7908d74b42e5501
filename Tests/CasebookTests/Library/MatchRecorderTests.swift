import Foundation
import GRDB
import Testing

@testable import Casebook

/// The PrecedentMatch recorder: a scripted session of searches, uses and outcomes checked against
/// statistics worked out by hand; refused uses write nothing; replayed events count once.
@Suite struct MatchRecorderTests {
    /// Tenants a and b each hold p1...p5 (the same ids) on one axis, so a query [1, 0] ranks
    /// them p1 (score 1.0) to p5 (0.6).
    func makeCollection(_ database: TemporaryDatabase) throws -> (Casebook, PrecedentCollection) {
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "ndr", dimension: 2, metric: .innerProduct))
        for tenant: TenantID in ["a", "b"] {
            try collection.add((1...5).map { i in
                Precedent(id: PrecedentID("p\(i)"), tenant: tenant, decisionEventId: "made-\(i)",
                          vector: [1 - Float(i - 1) / 10, 0])
            })
        }
        return (casebook, collection)
    }

    func search(_ collection: PrecedentCollection, tenant: TenantID = "a", k: Int = 3, decision: String? = nil,
                log: Bool = true) throws -> SearchResponse {
        try collection.search(SearchRequest(
            tenant: tenant, k: k, vector: [1, 0], includePrecedents: false, actor: "agent-7", decisionId: decision,
            log: log))
    }

    func use(_ casebook: Casebook, _ query: SearchResponse, _ id: PrecedentID, _ type: UseType, tenant: TenantID = "a",
             decision: String? = nil, event: String? = nil) throws -> UseReceipt {
        try casebook.recordUse(UseEvent(
            tenant: tenant, queryId: query.queryId, precedentId: id, type: type, actor: "agent-7",
            decisionId: decision, eventId: event))
    }

    func rowCount(_ database: TemporaryDatabase, _ table: String) throws -> Int {
        if database.kind == .postgres {
            return Int(try TestPostgres.query(database.path, "SELECT count(*)::text FROM casebook.\(table)")[0] ?? "") ?? -1
        }
        return try DatabaseQueue(path: database.path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)")! }
    }

    /// Five searches: q1 (decision d1) p2 applied, p1 viewed; q2 (d2) p1 cited, p2 applied (its
    /// event sent twice); q3 (no decision) p3 applied for d4; q4 (d3, k 5) p5 rejected; q5 nothing.
    /// Outcomes: d1 success, d2 failure, d3 success, d4 success, d5 (never searched) success.
    func scriptedSession(_ casebook: Casebook, _ collection: PrecedentCollection) throws {
        let q1 = try search(collection, decision: "d1")
        let q2 = try search(collection, decision: "d2")
        let q3 = try search(collection)
        let q4 = try search(collection, k: 5, decision: "d3")
        _ = try search(collection)
        #expect(try use(casebook, q1, "p2", .applied).recorded)
        #expect(try use(casebook, q1, "p1", .viewed).recorded)
        #expect(try use(casebook, q2, "p1", .cited).recorded)
        #expect(try use(casebook, q2, "p2", .applied, event: "e-1") == UseReceipt(recorded: true, rank: 2))
        #expect(try use(casebook, q2, "p2", .applied, event: "e-1") == UseReceipt(recorded: false, rank: 2))
        #expect(try use(casebook, q3, "p3", .applied, decision: "d4").rank == 3)
        #expect(try use(casebook, q4, "p5", .rejected).rank == 5)
        for (decision, success) in [("d1", true), ("d2", false), ("d3", true), ("d4", true), ("d5", true)] {
            try casebook.recordOutcome(DecisionOutcome(tenant: "a", decisionId: decision, wasSuccessful: success))
        }
        // Tenant b's activity must not reach a's figures.
        let other = try search(collection, tenant: "b", k: 5, decision: "d1")
        _ = try use(casebook, other, "p4", .applied, tenant: "b")
        try casebook.recordOutcome(DecisionOutcome(tenant: "b", decisionId: "d1", wasSuccessful: false))
    }

    @Test(arguments: StoreKind.allCases) func scriptedSessionGivesTheHandComputedStatistics(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (casebook, collection) = try makeCollection(database)
        try scriptedSession(casebook, collection)
        let stats = try casebook.statistics(MatchStatisticsRequest(tenant: "a", collection: "ndr"))
        try Self.expectHandComputed(stats)
        // The same after reopening: everything was written.
        let reopened = try Casebook(path: database.path)
        try Self.expectHandComputed(try reopened.statistics(MatchStatisticsRequest(tenant: "a", collection: "ndr")))

        // Tenant b: one search showing 5, one use at rank 4, decision d1 applied and failed.
        let b = try casebook.statistics(MatchStatisticsRequest(tenant: "b", collection: "ndr"))
        #expect(b.queries == 1 && b.shown == 5 && b.used == 1)
        #expect(b.useRateByRank == [0, 0, 0, 1, 0])
        #expect(b.mrr == 0.25 && b.hitAtK == 1 && b.noUseShare == 0)
        #expect(b.outcomeLift == OutcomeLift(
            decisionsApplied: 1, successRateApplied: 0, decisionsNotApplied: 0, successRateNotApplied: nil, lift: nil))

        // A window with no searches.
        let empty = try casebook.statistics(MatchStatisticsRequest(
            tenant: "a", collection: "ndr", since: Date().addingTimeInterval(3600)))
        #expect(empty.queries == 0 && empty.shown == 0 && empty.useRateByRank.isEmpty && empty.mrr == 0)
        #expect(empty.precedents.isEmpty && empty.outcomeLift.decisionsApplied == 0)
        let before = try casebook.statistics(MatchStatisticsRequest(
            tenant: "a", collection: "ndr", until: Date().addingTimeInterval(-3600)))
        #expect(before.queries == 0)
    }

    static func expectHandComputed(_ stats: MatchStatistics) throws {
        #expect(stats.queries == 5)
        #expect(stats.shown == 17)  // 3 + 3 + 3 + 5 + 3
        #expect(stats.used == 4)  // q1 p2, q2 p1, q2 p2, q3 p3 (the replayed event counts once)
        #expect(stats.viewed == 1 && stats.rejected == 1)
        // Rank 1: 5 shown, 1 used (q2 p1); rank 2: 5 shown, 2 used; rank 3: 5, 1; ranks 4-5: 1 each, 0.
        #expect(stats.useRateByRank == [0.2, 0.4, 0.2, 0, 0])
        // First used ranks: q1 2, q2 1, q3 3; q4 (only rejected) and q5 add 0.
        #expect(abs(stats.mrr - (1.0 / 2 + 1 + 1.0 / 3) / 5) < 1e-12)
        #expect(stats.hitAtK == 0.6)
        #expect(stats.noUseShare == 0.2)  // q5 alone has no event of any type
        // Applied: d1 (success), d2 (failure), d4 (success, named by q3's use); not applied: d3 (success).
        // d5 has an outcome but no search served it.
        #expect(stats.outcomeLift.decisionsApplied == 3 && stats.outcomeLift.decisionsNotApplied == 1)
        #expect(stats.outcomeLift.successRateApplied == 2.0 / 3 && stats.outcomeLift.successRateNotApplied == 1)
        #expect(abs(stats.outcomeLift.lift! - (2.0 / 3 - 1)) < 1e-12)
        // (used + 1) / (shown + 2): p2 3/7; p4, p5 1/3 (shown once; ids break the tie); p1, p3 2/7.
        #expect(stats.precedents.map(\.id) == ["p2", "p4", "p5", "p1", "p3"])
        let expected: [Double] = [3.0 / 7, 1.0 / 3, 1.0 / 3, 2.0 / 7, 2.0 / 7]
        #expect(stats.precedents.map(\.usefulness) == expected)
        #expect(stats.precedents.map(\.shown) == [5, 1, 1, 5, 5])
    }

    @Test(arguments: StoreKind.allCases) func refusedUsesWriteNothing(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (casebook, collection) = try makeCollection(database)
        let query = try search(collection)
        _ = try use(casebook, query, "p1", .viewed, event: "first")
        let uses = try rowCount(database, "match_use")
        #expect(uses == 1)

        // Another tenant's query is answered exactly like an unknown one.
        #expect(throws: CasebookError.queryNotFound(query.queryId)) { try use(casebook, query, "p1", .applied, tenant: "b") }
        let unknown = SearchResponse(queryId: "no-such-query", exact: true, tookMs: 0, results: [])
        #expect(throws: CasebookError.queryNotFound("no-such-query")) { try use(casebook, unknown, "p1", .applied) }
        // p4 exists but this search (k 3) did not show it; p9 does not exist.
        #expect(throws: CasebookError.precedentNotShown(queryId: query.queryId, id: "p4")) {
            try use(casebook, query, "p4", .applied)
        }
        #expect(throws: CasebookError.precedentNotShown(queryId: query.queryId, id: "p9")) {
            try use(casebook, query, "p9", .applied)
        }
        // The same event id for a different use.
        #expect(throws: CasebookError.eventConflict("first")) { try use(casebook, query, "p2", .viewed, event: "first") }
        // Malformed input.
        #expect(throws: CasebookError.missingTenant) { try use(casebook, query, "p1", .applied, tenant: "") }
        #expect(throws: CasebookError.self) { try use(casebook, query, "", .applied) }
        #expect(throws: CasebookError.self) { try use(casebook, query, "p1", .applied, event: "") }
        #expect(throws: CasebookError.self) {
            try use(casebook, query, "p1", .applied, decision: String(repeating: "x", count: 300))
        }
        #expect(try rowCount(database, "match_use") == uses)

        // Tenant b may use its own search of the same ids; an event id is per tenant.
        let other = try search(collection, tenant: "b")
        #expect(try use(casebook, other, "p1", .viewed, tenant: "b", event: "first").recorded)
        #expect(try rowCount(database, "match_use") == uses + 1)
    }

    @Test(arguments: StoreKind.allCases) func unloggedSearchTakesNoUses(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (casebook, collection) = try makeCollection(database)
        let query = try search(collection, log: false)
        #expect(!query.queryId.isEmpty)
        #expect(throws: CasebookError.queryNotFound(query.queryId)) { try use(casebook, query, "p1", .applied) }
        #expect(try casebook.statistics(MatchStatisticsRequest(tenant: "a", collection: "ndr")).queries == 0)
    }

    @Test(arguments: StoreKind.allCases) func searchesAreLoggedWithWhatTheyShowed(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (casebook, collection) = try makeCollection(database)
        let filter = SearchFilter(excludeIds: ["p1"])
        let response = try collection.search(SearchRequest(
            tenant: "a", k: 2, vector: [1, 0], filter: filter, actor: "planner", decisionId: "d9"))
        let batch = try collection.search(batch: BatchSearchRequest(tenant: "a", k: 1, vectors: [[1, 0], [0.5, 0]]))
        var records: [MatchRecord] = []
        try casebook.exportMatches(MatchExportRequest(tenant: "a")) { records.append($0) }
        #expect(records.map(\.queryId) == [response.queryId] + batch.map(\.queryId))
        let first = records[0]
        #expect(first.collection == "ndr" && first.tenant == "a" && first.actor == "planner" && first.decisionId == "d9")
        #expect(first.k == 2 && first.exact && !first.reranked && first.embedder == "external" && first.indexVersion == "flat")
        #expect(first.shown.map(\.id) == ["p2", "p3"] && first.shown.map(\.rank) == [1, 2])
        #expect(first.shown.map { Float($0.score) } == response.results.map(\.score))
        #expect(first.filter?.contains("p1") == true)
        #expect(records[1].shown.map(\.id) == ["p1"] && records[1].filter == nil)
        // Another tenant's export sees none of it.
        var others = 0
        try casebook.exportMatches(MatchExportRequest(tenant: "b")) { _ in others += 1 }
        #expect(others == 0)
    }

    /// More shown rows than one transaction takes: every search still arrives whole.
    @Test(arguments: StoreKind.allCases) func largeFlushesArriveWhole(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 2, metric: .innerProduct))
        try collection.add((0..<30).map { Precedent(id: PrecedentID("p\($0)"), tenant: "a", vector: [Float($0), 1]) })
        let searches = 1_000, k = 25  // 25,000 shown rows: over three times MatchLog.rowsPerTransaction
        #expect(searches * k > 3 * MatchLog.rowsPerTransaction)
        for _ in 0..<searches {
            _ = try collection.search(SearchRequest(tenant: "a", k: k, vector: [1, 0], includePrecedents: false))
        }
        try casebook.flushMatchLog()
        #expect(try rowCount(database, "match_query") == searches)
        #expect(try rowCount(database, "match_shown") == searches * k)
        #expect(casebook.matchLog.droppedEntries == 0)
    }

    @Test(arguments: StoreKind.allCases) func pruneDeletesOldSearchesWithTheirUses(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (casebook, collection) = try makeCollection(database)
        let query = try search(collection)
        _ = try use(casebook, query, "p1", .cited)
        try casebook.recordOutcome(DecisionOutcome(tenant: "a", decisionId: "d1", wasSuccessful: true))
        let none = try casebook.pruneMatches(before: Date().addingTimeInterval(-60))
        #expect(none == (0, 0))
        let pruned = try casebook.pruneMatches(before: Date().addingTimeInterval(60))
        #expect(pruned == (1, 1))
        #expect(try rowCount(database, "match_query") == 0 && rowCount(database, "match_shown") == 0 && rowCount(database, "match_use") == 0)
        #expect(try rowCount(database, "precedent") == 10)
    }

    @Test(arguments: StoreKind.allCases) func outcomeCanSetTheDecisionsOwnPrecedent(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (casebook, collection) = try makeCollection(database)
        // p3 of tenant a records decision made-3; b's p3 records the same id and must not change.
        let receipt = try casebook.recordOutcome(DecisionOutcome(
            tenant: "a", decisionId: "made-3", outcome: "delivered on retry", wasSuccessful: true,
            precedentCollection: "ndr"))
        #expect(receipt.precedentsUpdated == 1)
        #expect(try collection.get(tenant: "a", id: "p3").wasSuccessful == true)
        #expect(try collection.get(tenant: "a", id: "p3").outcome == "delivered on retry")
        #expect(try collection.get(tenant: "b", id: "p3").wasSuccessful == nil)
        // The index knows it too: a filter on success finds it.
        let successful = try collection.search(SearchRequest(
            tenant: "a", k: 5, vector: [1, 0], filter: SearchFilter(wasSuccessful: true), log: false))
        #expect(successful.results.map(\.id) == ["p3"])
        // An unknown collection is refused before the outcome is written.
        #expect(throws: CasebookError.collectionNotFound("nope")) {
            try casebook.recordOutcome(DecisionOutcome(
                tenant: "a", decisionId: "x", wasSuccessful: true, precedentCollection: "nope"))
        }
        #expect(try rowCount(database, "decision_outcome") == 1)
    }

    /// Two precedents with the same vector: the one with the better history ranks first only
    /// when re-ranking is asked for.
    @Test(arguments: StoreKind.allCases) func rerankingOrdersEqualSimilarityByHistoryOnlyWhenAsked(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 2, metric: .cosine))
        try collection.add([
            Precedent(id: "worse", tenant: "a", wasSuccessful: false, vector: [1, 1]),
            Precedent(id: "better", tenant: "a", wasSuccessful: true, vector: [1, 1]),
            Precedent(id: "far", tenant: "a", wasSuccessful: true, vector: [1, -1]),
        ])
        // Tenant b holds the same ids and applies "worse" every time: none of it may reach a's history.
        try collection.add([
            Precedent(id: "worse", tenant: "b", wasSuccessful: true, vector: [1, 1]),
            Precedent(id: "better", tenant: "b", wasSuccessful: false, vector: [1, 1]),
        ])
        for _ in 0..<5 {
            let shown = try collection.search(SearchRequest(tenant: "b", k: 2, vector: [1, 1]))
            try casebook.recordUse(UseEvent(tenant: "b", queryId: shown.queryId, precedentId: "worse", type: .applied))
        }
        // History: "better" was applied when shown.
        for _ in 0..<3 {
            let shown = try collection.search(SearchRequest(tenant: "a", k: 2, vector: [1, 1]))
            try casebook.recordUse(UseEvent(tenant: "a", queryId: shown.queryId, precedentId: "better", type: .applied))
        }
        let plain = try collection.search(SearchRequest(tenant: "a", k: 2, vector: [1, 1]))
        try casebook.flushMatchLog()  // so this search's "shown" counts in the history below
        #expect(plain.results.map(\.id) == ["worse", "better"] && !plain.reranked)
        #expect(plain.results.allSatisfy { $0.similarity == nil })

        let reranked = try collection.search(SearchRequest(tenant: "a", k: 2, vector: [1, 1], rerank: RerankOptions()))
        #expect(reranked.reranked)
        #expect(reranked.results.map(\.id) == ["better", "worse"])
        #expect(reranked.results.map(\.rank) == [1, 2])
        #expect(reranked.results.map(\.similarity) == plain.results.reversed().map { Optional($0.score) })
        // better: 1 + 0.05·(1 − ½) + 0.05·((3 + 1)/(4 + 2) − ½); worse: 1 − 0.025 + 0.05·((0 + 1)/(4 + 2) − ½).
        let better = 1 + 0.025 + 0.05 * (4.0 / 6 - 0.5), worse = 1 - 0.025 + 0.05 * (1.0 / 6 - 0.5)
        #expect(abs(Double(reranked.results[0].score) - better) < 1e-6)
        #expect(abs(Double(reranked.results[1].score) - worse) < 1e-6)
        // Only k results, and the far precedent stays out.
        #expect(!reranked.results.contains { $0.id == "far" })
        // Weights of zero leave the similarity order.
        let neutral = try collection.search(SearchRequest(
            tenant: "a", k: 2, vector: [1, 1], rerank: RerankOptions(successWeight: 0, usefulnessWeight: 0)))
        #expect(neutral.results.map(\.id) == ["worse", "better"] && neutral.reranked)
        #expect(throws: CasebookError.self) {
            try collection.search(SearchRequest(tenant: "a", k: 2, vector: [1, 1], rerank: RerankOptions(successWeight: -1)))
        }
        #expect(throws: CasebookError.self) {
            try collection.search(SearchRequest(tenant: "a", k: 2, vector: [1, 1], rerank: RerankOptions(candidates: 0)))
        }
    }
}
