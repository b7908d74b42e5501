import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import Casebook

/// Two instances on one database, as two nodes (or two processes on one SQLite file): what one
/// commits, the other applies from the change feed, and both then answer exactly as a brute-force
/// search over the rows the database holds.
@Suite struct FollowingTests {
    static let dimension = 12

    /// Every search of `a` and `b` equal, and equal to brute force over `rows`.
    static func expectSameAnswers(
        _ a: PrecedentCollection, _ b: PrecedentCollection, rows: [ReferenceRow], exact: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var random = SeededRandom(seed: 77)
        for tenant: TenantID in ["acme", "globex", "initech"] {
            for filter in [SearchFilter(), SearchFilter(category: "credit"), SearchFilter(tags: ["cod"])] {
                let query = random.vector(dimension: dimension)
                let request = SearchRequest(tenant: tenant, k: 10, vector: query, filter: filter, exact: exact, log: false)
                let fromA = try a.search(request), fromB = try b.search(request)
                #expect(fromA.results.map(\.id) == fromB.results.map(\.id), sourceLocation: sourceLocation)
                #expect(fromA.results.map(\.score) == fromB.results.map(\.score), sourceLocation: sourceLocation)
                #expect(fromA.results.map { $0.precedent?.tags } == fromB.results.map { $0.precedent?.tags }, sourceLocation: sourceLocation)
                if exact {
                    let reference = BruteForce.search(rows, tenant: tenant, query: query, k: 10, metric: .cosine, filter: filter)
                    let all = Dictionary(rows.filter { $0.tenant == tenant }.map { ($0.id, BruteForce.score(query, $0.vector, .cosine)) }) { x, _ in x }
                    expectMatches(fromB.results, reference, allScores: all, sourceLocation: sourceLocation)
                }
            }
        }
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        #expect(b.index.read { $0._checkInvariants() }, sourceLocation: sourceLocation)
    }

    /// Rows of one tenant whose ids start with `prefix` (apart from the first rows').
    static func rows(_ count: Int, tenant: TenantID, seed: UInt64, prefix: String) -> [ReferenceRow] {
        FlatSearchTests.makeRows(count: count, dimension: dimension, tenants: [tenant], seed: seed).map { row in
            var row = row
            row.id = PrecedentID("\(prefix)\(row.id)")
            return row
        }
    }

    @Test(arguments: StoreKind.allCases) func everyKindOfChangeReachesTheOtherInstance(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let nodeA = try Casebook(path: database.path)
        let nodeB = try Casebook(path: database.path)
        var rows = FlatSearchTests.makeRows(count: 400, dimension: Self.dimension, tenants: ["acme", "globex", "initech"], seed: 5)

        // A collection and a batch made on A appear on B.
        let a = try nodeA.createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        try a.add(rows.map(\.precedent))
        #expect(throws: CasebookError.collectionNotFound("c")) { try nodeB.collection("c") }
        #expect(try nodeB.catchUp() >= 2)
        let b = try nodeB.collection("c")
        try Self.expectSameAnswers(a, b, rows: rows)

        // Updates and deletes.
        for i in stride(from: 0, to: 90, by: 3) {
            try a.delete(tenant: rows[i].tenant, id: rows[i].id)
        }
        rows = rows.enumerated().filter { $0.offset >= 90 || $0.offset % 3 != 0 }.map(\.element)
        var random = SeededRandom(seed: 6)
        for i in stride(from: 0, to: 60, by: 2) {
            var changed = try a.get(tenant: rows[i].tenant, id: rows[i].id)
            changed.vector = random.vector(dimension: Self.dimension)
            changed.tags = ["cod"]
            try a.update(changed)
            rows[i].vector = changed.vector!
            rows[i].tags = ["cod"]
        }
        try nodeB.catchUp()
        try Self.expectSameAnswers(a, b, rows: rows)

        // B writes too; A follows B, skipping nothing and applying nothing twice.
        let extra = Self.rows(30, tenant: "acme", seed: 8, prefix: "b-")
        try b.add(extra.map(\.precedent))
        rows += extra
        try nodeA.catchUp()
        try Self.expectSameAnswers(a, b, rows: rows)
        #expect(try nodeA.catchUp() == 0)

        // A training on A: B loads its lists and quantizer.
        try a.trainIndex(nlist: 8)
        try nodeB.catchUp()
        #expect(b.indexInfo.nlist == 8 && b.spec.index == a.spec.index)
        #expect(b.indexInfo.training == a.indexInfo.training)
        try Self.expectSameAnswers(a, b, rows: rows, exact: false)
        try Self.expectSameAnswers(a, b, rows: rows, exact: true)
        // Rows added after the training are filed by the stored lists on both.
        let late = Self.rows(40, tenant: "globex", seed: 9, prefix: "late-")
        try a.add(late.map(\.precedent))
        rows += late
        try nodeB.catchUp()
        try Self.expectSameAnswers(a, b, rows: rows, exact: false)
        try Self.expectSameAnswers(a, b, rows: rows, exact: true)
    }

    /// A follower thread applies another instance's writes without being asked.
    @Test(arguments: StoreKind.allCases) func backgroundFollowingConverges(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let nodeA = try Casebook(path: database.path)
        let a = try nodeA.createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        let nodeB = try Casebook(path: database.path)
        nodeB.startFollowingChanges()
        defer { nodeB.stopFollowingChanges() }
        let rows = FlatSearchTests.makeRows(count: 200, dimension: Self.dimension, tenants: ["acme", "globex"], seed: 3)
        for start in stride(from: 0, to: rows.count, by: 20) {
            try a.add(rows[start..<start + 20].map(\.precedent))
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? nodeB.collection("c").count) != rows.count {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try Self.expectSameAnswers(a, try nodeB.collection("c"), rows: rows)
    }

    /// Two instances add the same (tenant, id) at once: the database decides, one wins and the
    /// other is told the id is taken; both then hold the winner's row.
    @Test(arguments: StoreKind.allCases) func concurrentWritersOfOneIdAgree(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let nodeA = try Casebook(path: database.path)
        _ = try nodeA.createCollection(CollectionSpec(name: "c", dimension: 2, metric: .cosine))
        let nodeB = try Casebook(path: database.path)
        try nodeB.catchUp()
        let a = try nodeA.collection("c"), b = try nodeB.collection("c")
        let outcomes = Mutex<[Bool]>([])
        DispatchQueue.concurrentPerform(iterations: 40) { round in
            let (collection, vector): (PrecedentCollection, [Float]) = round % 2 == 0 ? (a, [1, 0]) : (b, [0, 1])
            do {
                try collection.add([Precedent(id: PrecedentID("x\(round / 2)"), tenant: "acme", vector: vector)])
                outcomes.withLock { $0.append(true) }
            } catch CasebookError.item(_, _, .duplicateID) {
                outcomes.withLock { $0.append(false) }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(outcomes.withLock { $0.filter { $0 }.count } == 20)
        try nodeA.catchUp()
        try nodeB.catchUp()
        #expect(a.count == 20 && b.count == 20)
        for i in 0..<20 {
            let id = PrecedentID("x\(i)")
            #expect((try a.indexedVector(tenant: "acme", id: id)) == (try b.indexedVector(tenant: "acme", id: id)))
            #expect(try a.get(tenant: "acme", id: id).vector == (try a.indexedVector(tenant: "acme", id: id)))
        }
    }
}

extension FollowingTests {
    /// Rows pruned from the feed while an instance was away: it reloads instead of missing them.
    @Test(arguments: StoreKind.allCases) func aPrunedFeedMakesTheFollowerReload(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let nodeA = try Casebook(path: database.path)
        let a = try nodeA.createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        let nodeB = try Casebook(path: database.path)
        try nodeB.catchUp()
        let rows = FlatSearchTests.makeRows(count: 120, dimension: Self.dimension, tenants: ["acme", "globex"], seed: 12)
        for start in stride(from: 0, to: rows.count, by: 30) { try a.add(rows[start..<start + 30].map(\.precedent)) }
        try a.delete(tenant: rows[0].tenant, id: rows[0].id)
        #expect(try nodeA.store.pruneChanges(before: Date().addingTimeInterval(60)) > 0)
        try nodeB.catchUp()
        try Self.expectSameAnswers(a, try nodeB.collection("c"), rows: Array(rows.dropFirst()))
        // Positions go on after the kept last row: the next write is followed as usual.
        try a.add([rows[0].precedent])
        try nodeB.catchUp()
        try Self.expectSameAnswers(a, try nodeB.collection("c"), rows: rows)
    }

    /// A training lock held elsewhere (another node training) refuses this training at once.
    @Test func trainingWaitsForNoOneAndRefusesWhileAnotherNodeTrains() throws {
        let database = TemporaryDatabase(.postgres)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        try collection.add(FlatSearchTests.makeRows(count: 100, dimension: Self.dimension, tenants: ["acme"], seed: 2).map(\.precedent))
        let other = try PostgresConnections(address: try PostgresAddress(url: database.path))
        let holder = try other.open()
        defer { PostgresConnections.close(holder) }
        let session = PostgresSession(connection: holder, logger: other.logger)
        try session.execute("SELECT pg_advisory_lock($1)", PostgresBindings(PostgresSchema.Locks.training &+ collection.recordID))
        #expect(throws: CasebookError.trainingInProgress("c")) { try collection.trainIndex(nlist: 4) }
        #expect(!collection.spec.index.isIVF)
        try session.execute("SELECT pg_advisory_unlock($1)", PostgresBindings(PostgresSchema.Locks.training &+ collection.recordID))
        #expect(try collection.trainIndex(nlist: 4).nlist == 4)
    }
}

extension FollowingTests {
    /// A logged batch written again (its first commit's answer lost with the connection) is
    /// neither refused nor doubled, so the match log's retry cannot stick.
    @Test func aRetriedMatchLogBatchIsWrittenOnce() throws {
        let database = TemporaryDatabase(.postgres)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 2, metric: .cosine))
        try collection.add([Precedent(id: "p", tenant: "acme", vector: [1, 0])])
        let entry = LoggedSearch(
            queryId: "q-1", collection: collection.recordID, tenant: "acme", actor: nil, decisionId: nil,
            filter: SearchFilter(), k: 1, nprobe: nil, exact: true, reranked: false, tookMs: 0.1, embedder: "external",
            indexVersion: "flat", createdAt: 1, ids: ["p"], scores: [1], similarities: nil)
        try casebook.store.insertSearches([entry][...])
        try casebook.store.insertSearches([entry][...])
        #expect(try TestPostgres.query(database.path, "SELECT count(*)::text FROM casebook.match_query") == ["1"])
        #expect(try TestPostgres.query(database.path, "SELECT count(*)::text FROM casebook.match_shown") == ["1"])
    }
}
