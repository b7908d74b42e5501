import Foundation
import GRDB
import Testing

@testable import Casebook

/// IVF collections end to end, against a flat collection holding the same rows and a brute-force
/// loop: all lists probed equals exact search, recall rises with nprobe, a selective filter
/// returns the exact filtered answer, reopening gives identical results, a killed training leaves
/// the previous index, and bad training requests change nothing.
@Suite struct IVFCollectionTests {
    static let dimension = 16

    /// Clustered rows: tenant "a" 1,500, "b" 1,000, "small" 40 (below the threshold). 0.5% of
    /// "a" (every 200th row) has category "rare".
    static func rows(seed: UInt64 = 5, metric: Metric = .cosine) -> [ReferenceRow] {
        var random = SeededRandom(seed: seed)
        let centers = (0..<24).map { _ in random.vector(dimension: dimension).map { $0 * 4 } }
        var rows: [ReferenceRow] = []
        for (tenant, count) in [("a", 1_500), ("b", 1_000), ("small", 40)] as [(TenantID, Int)] {
            for i in 0..<count {
                let center = centers[Int(random.next() % 24)]
                let vector = zip(center, random.vector(dimension: dimension)).map { $0 + $1 }
                rows.append(ReferenceRow(
                    tenant: tenant, id: PrecedentID("\(tenant)-\(i)"), vector: vector,
                    category: i % 200 == 7 ? "rare" : "common", tags: i % 3 == 0 ? ["x"] : [],
                    wasSuccessful: i % 4 == 0, createdAt: Date(timeIntervalSince1970: Double(1_700_000_000 + i))))
            }
        }
        return rows
    }

    static func queries(_ count: Int, seed: UInt64) -> [[Float]] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in random.vector(dimension: dimension).map { $0 * 4 } }
    }

    static let parameters = IVFParameters(nlist: 16, nprobe: 2, flatThreshold: 100)

    /// A database with collection "flat" and a trained collection "ivf" holding `rows`.
    static func pair(
        _ rows: [ReferenceRow], metric: Metric = .cosine, parameters: IVFParameters = parameters, store: StoreKind = .sqlite
    ) throws -> (TemporaryDatabase, Casebook) {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let flat = try casebook.createCollection(CollectionSpec(name: "flat", dimension: dimension, metric: metric))
        let ivf = try casebook.createCollection(
            CollectionSpec(name: "ivf", dimension: dimension, metric: metric, index: .ivf(parameters)))
        try flat.add(rows.map(\.precedent))
        try ivf.add(rows.map(\.precedent))
        try ivf.trainIndex()
        return (database, casebook)
    }

    static let filters = [
        SearchFilter(), SearchFilter(tags: ["x"]), SearchFilter(category: "rare"), SearchFilter(wasSuccessful: true),
        SearchFilter(since: Date(timeIntervalSince1970: 1_700_000_300), until: Date(timeIntervalSince1970: 1_700_000_900)),
    ]

    @Test(arguments: [Metric.cosine, .innerProduct, .l2])
    func allListsProbedEqualsFlat(metric: Metric) throws {
        let (database, casebook) = try Self.pair(Self.rows(metric: metric), metric: metric)
        _ = database
        let flat = try casebook.collection("flat"), ivf = try casebook.collection("ivf")
        #expect(ivf.indexInfo.trained && ivf.indexInfo.nlist == 16 && ivf.indexInfo.listedTenants == 2)
        for vector in Self.queries(12, seed: 6) {
            for tenant in ["a", "b", "small", "nobody"] as [TenantID] {
                for filter in Self.filters {
                    let expected = try flat.search(SearchRequest(tenant: tenant, k: 10, vector: vector, filter: filter))
                    for request in [
                        SearchRequest(tenant: tenant, k: 10, vector: vector, filter: filter, nprobe: 16),
                        SearchRequest(tenant: tenant, k: 10, vector: vector, filter: filter, exact: true),
                    ] {
                        let got = try ivf.search(request)
                        #expect(got.results.map(\.id) == expected.results.map(\.id))
                        #expect(got.results.map(\.score) == expected.results.map(\.score))
                        #expect(got.exact)
                    }
                }
            }
        }
    }

    /// Batches rank centroids by one matrix product per block of queries; they must pick the
    /// same lists, and so return the same answers, as single queries.
    @Test(arguments: [(Metric.cosine, nil), (.l2, nil), (.innerProduct, 6)] as [(Metric, Int?)])
    func batchesAnswerAsSingleQueries(metric: Metric, pca: Int?) throws {
        var parameters = Self.parameters
        parameters.pcaDimension = pca
        let (database, casebook) = try Self.pair(Self.rows(metric: metric), metric: metric, parameters: parameters)
        _ = database
        let ivf = try casebook.collection("ivf")
        let queries = Self.queries(150, seed: 14)
        for tenant in ["a", "small"] as [TenantID] {
            for (nprobe, filter) in [(1, SearchFilter()), (3, SearchFilter(tags: ["x"])), (2, SearchFilter(category: "rare"))] {
                let batch = try ivf.search(batch: BatchSearchRequest(
                    tenant: tenant, k: 7, vectors: queries, filter: filter, includePrecedents: false, nprobe: nprobe))
                #expect(batch.count == queries.count)
                for (query, answer) in zip(queries, batch) {
                    let single = try ivf.search(SearchRequest(
                        tenant: tenant, k: 7, vector: query, filter: filter, includePrecedents: false, nprobe: nprobe))
                    #expect(answer.results.map(\.id) == single.results.map(\.id))
                    #expect(answer.exact == single.exact && answer.probed == single.probed)
                }
            }
        }
    }

    @Test func recallRisesWithNprobe() throws {
        let rows = Self.rows()
        let (database, casebook) = try Self.pair(rows)
        _ = database
        let ivf = try casebook.collection("ivf")
        let queries = Self.queries(60, seed: 7)
        var recalls: [Double] = []
        for nprobe in [1, 2, 4, 8, 16] {
            var found = 0
            for query in queries {
                let truth = Set(BruteForce.search(rows, tenant: "a", query: query, k: 10, metric: .cosine).map(\.id))
                let got = try ivf.search(SearchRequest(tenant: "a", k: 10, vector: query, nprobe: nprobe))
                #expect(got.probed == nprobe && got.exact == (nprobe == 16))
                found += got.results.filter { truth.contains($0.id) }.count
            }
            recalls.append(Double(found) / Double(10 * queries.count))
        }
        for (lower, higher) in zip(recalls, recalls.dropFirst()) { #expect(lower <= higher, "\(recalls)") }
        #expect(recalls.first! < 0.9, "nprobe 1 should miss neighbours on this data: \(recalls)")
        #expect(recalls.last! == 1)
    }

    @Test func selectiveFilterGivesTheExactFilteredAnswer() throws {
        let rows = Self.rows()
        let (database, casebook) = try Self.pair(rows)
        _ = database
        let ivf = try casebook.collection("ivf")
        let rare = SearchFilter(category: "rare")
        #expect(rows.filter { $0.tenant == "a" && $0.category == "rare" }.count == 8)
        for query in Self.queries(20, seed: 8) {
            // 8 of tenant a's 1,500 rows (0.5%) pass; k = 5 of them, found with nprobe 1.
            let got = try ivf.search(SearchRequest(tenant: "a", k: 5, vector: query, filter: rare, nprobe: 1))
            let truth = BruteForce.search(rows, tenant: "a", query: query, k: 5, metric: .cosine, filter: rare)
            #expect(got.results.map(\.id) == truth.map(\.id))
            #expect(got.exact && got.probed == 16)
            // An unselective filter stays within nprobe and says it is approximate.
            let broad = try ivf.search(SearchRequest(tenant: "a", k: 5, vector: query, filter: SearchFilter(tags: ["x"]), nprobe: 1))
            #expect(!broad.exact && broad.probed == 1 && broad.results.count == 5)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func reopenAfterTrainAddsUpdatesAndDeletesGivesIdenticalResults(store: StoreKind) throws {
        let rows = Self.rows()
        let (database, casebook) = try Self.pair(rows, store: store)
        let ivf = try casebook.collection("ivf")
        let extra = Self.rows(seed: 9).prefix(600).map { row -> ReferenceRow in
            var row = row
            row.id = PrecedentID("late-\(row.id)")
            return row
        }
        try ivf.add(extra.map(\.precedent))
        for i in stride(from: 0, to: 300, by: 3) { try ivf.delete(tenant: "a", id: PrecedentID("a-\(i)")) }
        var random = SeededRandom(seed: 10)
        for i in stride(from: 1, to: 200, by: 4) {
            var changed = try ivf.get(tenant: "b", id: PrecedentID("b-\(i)"))
            changed.vector = random.vector(dimension: Self.dimension)
            changed.wasSuccessful = true
            try ivf.update(changed)
        }
        let info = ivf.indexInfo
        #expect(info.addedSinceTraining == 600 && info.rows == rows.count + 600 - 100)
        let requests = Self.queries(15, seed: 11).flatMap { query in
            (["a", "b", "small"] as [TenantID]).flatMap { tenant in
                [SearchRequest(tenant: tenant, k: 10, vector: query, nprobe: 1),
                 SearchRequest(tenant: tenant, k: 10, vector: query, filter: SearchFilter(wasSuccessful: true))]
            }
        }
        let before = try requests.map { try ivf.search($0) }
        #expect(ivf.index.read { $0._checkInvariants() })

        let reopened = try Casebook(path: database.path).collection("ivf")
        #expect(reopened.indexInfo == info)
        #expect(reopened.index.read { $0._checkInvariants() })
        for (request, expected) in zip(requests, before) {
            let got = try reopened.search(request)
            #expect(got.results.map(\.id) == expected.results.map(\.id))
            #expect(got.results.map(\.score) == expected.results.map(\.score))
            #expect(got.exact == expected.exact && got.probed == expected.probed)
        }
        // Every stored row has its list.
        if store == .postgres {
            let counts = try TestPostgres.query(
                database.path,
                "SELECT count(ivf_list)::text || ' ' || count(*)::text FROM casebook.precedent WHERE collection_id = (SELECT id FROM casebook.collection WHERE name = 'ivf')")
            let parts = (counts.first ?? nil)?.split(separator: " ") ?? []
            #expect(parts.count == 2 && parts[0] == parts[1] && parts[0] != "0")
            return
        }
        let (assigned, precedents) = try DatabaseQueue(path: database.path).read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM ivf_assignment JOIN precedent ON pk = precedent_pk WHERE collection_id = (SELECT id FROM collection WHERE name = 'ivf')")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM precedent WHERE collection_id = (SELECT id FROM collection WHERE name = 'ivf')")!)
        }
        #expect(assigned == precedents)
    }

    /// Writes of this process go on while k-means runs (only the switch holds them), and what
    /// they added, replaced and deleted meanwhile is filed by the new quantizer: every stored row's
    /// list is where the new quantizer files its vector, the trained index answers as a reopened
    /// one reads it from the store (nprobe 1, drift, invariants), and all lists probed equals a
    /// flat collection given the same writes.
    @Test(arguments: StoreKind.allCases) func writesGoOnDuringATrainingAndAreFiledByItsQuantizer(store: StoreKind) throws {
        let (database, casebook) = try Self.pair(Self.rows(), store: store)
        let ivf = try casebook.collection("ivf"), flat = try casebook.collection("flat")
        let extra = Self.rows(seed: 12).prefix(300).map { row -> Precedent in
            var row = row
            row.id = PrecedentID("late-\(row.id)")
            return row.precedent
        }
        var random = SeededRandom(seed: 13)
        let changed = try stride(from: 1, to: 200, by: 4).map { i in
            var row = try ivf.get(tenant: "b", id: PrecedentID("b-\(i)"))
            row.vector = random.vector(dimension: Self.dimension)
            return row
        }
        let gone = stride(from: 0, to: 300, by: 3).map { PrecedentID("a-\($0)") }
        let writes = { @Sendable (collection: PrecedentCollection) throws in
            try collection.add(extra)
            for id in gone { try collection.delete(tenant: "a", id: id) }
            for row in changed { try collection.update(row) }
        }
        var wrote: Result<Void, any Error>?? = .none
        try ivf.trainIndex(nlist: 24) { _ in
            guard case .none = wrote else { return }
            wrote = .some(OnAnotherThread.run(within: 20) { try writes(ivf) })
        }
        switch wrote {
        case .some(.some(.success)): break
        case .some(.some(.failure(let error))): Issue.record("the writes failed: \(error)")
        default: Issue.record("the writes waited for the training")
        }
        try writes(flat)
        let info = ivf.indexInfo
        #expect(info.nlist == 24 && info.addedSinceTraining == 0 && info.rows == flat.count)
        #expect(ivf.index.read { $0._checkInvariants() })

        for tenant in ["a", "b"] as [TenantID] {
            let stored = try ivf.store.currentRows(collection: ivf.recordID, tenant: tenant, ids: nil, dimension: Self.dimension)
            #expect(stored.count == flat.count(tenant: tenant))
            for row in stored {
                let placed = ivf.index.read { $0.placements(for: [row.vector])?.first }
                #expect(row.list != nil && row.list == placed, "\(row.id)")
            }
        }
        let reopened = try Casebook(path: database.path).collection("ivf")
        #expect(reopened.indexInfo == info)
        for vector in Self.queries(10, seed: 15) {
            for tenant in ["a", "b", "small"] as [TenantID] {
                let expected = try flat.search(SearchRequest(tenant: tenant, k: 10, vector: vector))
                let all = try ivf.search(SearchRequest(tenant: tenant, k: 10, vector: vector, nprobe: 24))
                #expect(all.results.map(\.id) == expected.results.map(\.id))
                #expect(all.results.map(\.score) == expected.results.map(\.score))
                let one = SearchRequest(tenant: tenant, k: 10, vector: vector, nprobe: 1)
                #expect(try ivf.search(one).results.map(\.id) == reopened.search(one).results.map(\.id))
            }
        }
    }

    /// A training measures its own recall: with rows few enough to search them all, each figure
    /// equals recall@10 worked out from brute force and the collection's own searches at that
    /// nprobe (each row searched with its own vector, itself left out); tenants searched flat are
    /// not sampled; the figure is stored with the training.
    @Test func aTrainingReportsTheRecallOfItsOwnRows() throws {
        let database = TemporaryDatabase(.sqlite)
        let collection = try Casebook(path: database.path).createCollection(CollectionSpec(
            name: "c", dimension: Self.dimension, metric: .cosine,
            index: .ivf(IVFParameters(nlist: 8, nprobe: 2, flatThreshold: 30))))
        let all = Self.rows()
        let rows = Array(all.filter { $0.tenant == "a" }.prefix(90)) + Array(all.filter { $0.tenant == "b" }.prefix(60))
            + Array(all.filter { $0.tenant == "small" }.prefix(20))
        try collection.add(rows.map(\.precedent))
        let recall = try #require(try collection.trainIndex().recall)
        #expect(recall.k == 10 && recall.sampleRows == 150 && recall.points.map(\.nprobe) == [1, 2, 4])
        for point in recall.points {
            var total = 0.0
            for row in rows where row.tenant != "small" {
                let truth = BruteForce.search(rows, tenant: row.tenant, query: row.vector, k: 11, metric: .cosine)
                    .map(\.id).filter { $0 != row.id }.prefix(10)
                let found = try collection.search(SearchRequest(
                    tenant: row.tenant, k: 11, vector: row.vector, includePrecedents: false, nprobe: point.nprobe, log: false))
                total += Double(Set(truth).intersection(found.results.map(\.id).filter { $0 != row.id }.prefix(10)).count) / 10
            }
            #expect(abs(total / 150 - point.recall) < 1e-9, "nprobe \(point.nprobe)")
        }
        #expect(recall.points.first!.recall < 1 && recall.nprobe(reaching: 0) == 1)
        #expect(try Casebook(path: database.path).collection("c").indexInfo.training?.recall == recall)

        // A target recall stores the fewest lists that reached it as the default nprobe (all of
        // them when none below did); bad targets change nothing.
        for bad in [0, 1.5, -1, .nan] as [Double] {
            #expect(throws: CasebookError.self) { try collection.trainIndex(targetRecall: bad) }
        }
        #expect(collection.spec.index.ivf?.nprobe == 2)
        for target in [recall.points[1].recall, 1] {
            let report = try collection.trainIndex(targetRecall: target)
            let chosen = report.recall!.nprobe(reaching: target) ?? 8
            #expect(report.nprobe == chosen && collection.spec.index.ivf?.nprobe == chosen, "\(target)")
            #expect(try Casebook(path: database.path).collection("c").spec.index.ivf?.nprobe == chosen)
            let request = SearchRequest(tenant: "a", k: 5, vector: rows[0].vector, includePrecedents: false, log: false)
            #expect(try collection.search(request).probed == chosen)
        }
        // Retraining keeps what was stored.
        #expect(try collection.retrainIndex().nprobe == collection.spec.index.ivf?.nprobe)
    }

    /// In a collection Casebook embeds, a training measures its recall with the queries a search
    /// with each row's own text and context makes (weighed by the tenant's feature frequencies),
    /// not with the stored vectors: each figure equals recall@10 worked out from the collection's
    /// own searches, exact and at that nprobe, for every row.
    @Test func aHashedTrainingMeasuresRecallWithTheQueriesASearchMakes() throws {
        let database = TemporaryDatabase(.sqlite)
        let collection = try Casebook(path: database.path).createCollection(CollectionSpec(
            name: "c", dimension: 64, embedder: .hashedV1(),
            index: .ivf(IVFParameters(nlist: 4, nprobe: 1, flatThreshold: 16))))
        var random = SplitMix64(seed: 31)
        let words = (0..<60).map { "w\($0)" }
        let rows = (["a", "b"] as [TenantID]).flatMap { tenant in
            (0..<(tenant == "a" ? 60 : 40)).map { i in
                Precedent(
                    id: PrecedentID("\(tenant)\(i)"), tenant: tenant,
                    context: ["amount": .number(Double(random.next() % 10_000) / 7)],
                    text: (0..<6).map { _ in words[Int(random.next() % 60)] }.joined(separator: " "))
            }
        }
        try collection.add(rows)
        let recall = try #require(try collection.trainIndex().recall)
        #expect(recall.sampleRows == 100 && recall.points.map(\.nprobe) == [1, 2])
        for point in recall.points {
            var total = 0.0
            for row in rows {
                let ask = { (nprobe: Int?) in
                    SearchRequest(
                        tenant: row.tenant, k: 11, text: row.text, context: row.context, includePrecedents: false,
                        nprobe: nprobe, exact: nprobe == nil, log: false)
                }
                let truth = try collection.search(ask(nil)).results.map(\.id).filter { $0 != row.id }.prefix(10)
                let found = try collection.search(ask(point.nprobe)).results.map(\.id).filter { $0 != row.id }.prefix(10)
                total += Double(Set(truth).intersection(found).count) / Double(truth.count)
            }
            #expect(abs(total / 100 - point.recall) < 1e-9, "nprobe \(point.nprobe)")
        }
    }

    @Test(arguments: StoreKind.allCases) func trainingAFlatCollectionMakesItIVFAndRetrainingKeepsParameters(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: Self.dimension, metric: .l2))
        try collection.add(Self.rows(metric: .l2).map(\.precedent))
        #expect(throws: CasebookError.self) { try collection.retrainIndex() }
        #expect(throws: CasebookError.self) {
            try collection.search(SearchRequest(tenant: "a", k: 3, vector: Self.queries(1, seed: 1)[0], nprobe: 2))
        }
        let report = try collection.trainIndex(nlist: 32)
        #expect(report.nlist == 32 && report.rows == 2_540 && report.sampleRows == 2_540)
        #expect(collection.spec.index.kind == "ivf" && collection.spec.index.ivf?.nlist == 32)
        // Every trained row's list as stored, the same read at once or (PostgreSQL) in pages.
        let assignments = try collection.store.loadAssignments()
        #expect(assignments.keys.count == 2_540 && assignments.keys == assignments.keys.sorted())
        if let postgres = collection.store as? PostgresStore {
            let paged = try postgres.loadAssignments(pageSize: 7)
            #expect(paged.keys == assignments.keys && paged.lists == assignments.lists)
            #expect(try postgres.loadAssignments(pageSize: 2_540).keys == assignments.keys, "a last page that is full")
            // A tenant's rows read whole (a follower's refit), in pages of ids, equal them read by id.
            let ids = Self.rows(metric: .l2).filter { $0.tenant == "a" }.map(\.id)
            func described(_ rows: [CurrentRow]) -> [String] {
                rows.map { "\($0.key) \($0.id) \($0.vector) \($0.list ?? -1) \($0.texts) \($0.tags) \($0.createdAt)" }.sorted()
            }
            let byID = try postgres.currentRows(collection: collection.recordID, tenant: "a", ids: ids, dimension: Self.dimension)
            #expect(byID.count == 1_500 && byID.allSatisfy { $0.list != nil })
            for pageSize in [7, 1_500, PostgresStore.rowsPerPage] {
                let paged = try postgres.currentRows(
                    collection: collection.recordID, tenant: "a", ids: nil, dimension: Self.dimension, pageSize: pageSize)
                #expect(described(paged) == described(byID), "pages of \(pageSize)")
            }
        }
        let reopened = try Casebook(path: database.path).collection("c")
        #expect(reopened.spec.index == collection.spec.index)
        var stored = report
        stored.storeSeconds = nil
        #expect(reopened.indexInfo.nlist == 32 && reopened.indexInfo.training == stored)
        let again = try reopened.retrainIndex()
        #expect(again.nlist == 32 && again.finalObjective == report.finalObjective)
        // nlist chosen from the size when none is stored: 4·√2540 ≈ 201 → 128.
        let database2 = TemporaryDatabase(store)
        let automatic = try Casebook(path: database2.path).createCollection(
            CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine, index: .ivf()))
        try automatic.add(Self.rows().map(\.precedent))
        #expect(try automatic.trainIndex().nlist == 128)
    }

    @Test func badTrainingRequestsChangeNothing() throws {
        let rows = Self.rows()
        let (database, casebook) = try Self.pair(rows)
        let ivf = try casebook.collection("ivf")
        let info = ivf.indexInfo
        let refused: [(nlist: Int?, sample: Int?)] = [(0, nil), (10_000, nil), (70_000, nil), (64, 32)]
        for (nlist, sample) in refused {
            #expect(throws: CasebookError.self) { try ivf.trainIndex(nlist: nlist, sampleRows: sample) }
            #expect(ivf.indexInfo == info)
        }
        #expect(throws: CasebookError.self) {
            try casebook.createCollection(CollectionSpec(
                name: "wide", dimension: 8, index: .ivf(IVFParameters(pcaDimension: 8))))
        }
        #expect(throws: CasebookError.self) {
            try casebook.createCollection(CollectionSpec(name: "x", dimension: 8, index: IndexConfig(kind: "hnsw")))
        }
        #expect(throws: CasebookError.self) {
            try casebook.createCollection(CollectionSpec(name: "y", dimension: 8, index: .ivf(IVFParameters(nprobe: 0))))
        }
        #expect(throws: CasebookError.self) {
            try ivf.search(SearchRequest(tenant: "a", k: 3, vector: Self.queries(1, seed: 1)[0], nprobe: 0))
        }
        let reopened = try Casebook(path: database.path).collection("ivf")
        #expect(reopened.indexInfo == info)
    }

    @Test(arguments: StoreKind.allCases) func pcaQuantizerStaysExactWithAllListsAndSurvivesReopen(store: StoreKind) throws {
        let rows = Self.rows()
        let (database, casebook) = try Self.pair(
            rows, parameters: IVFParameters(nlist: 16, nprobe: 4, flatThreshold: 100, pcaDimension: 6), store: store)
        let flat = try casebook.collection("flat"), ivf = try casebook.collection("ivf")
        let training = try #require(ivf.indexInfo.training)
        #expect(training.pcaDimension == 6 && (training.pcaExplainedVariance ?? 0) > 0.3)
        let queries = Self.queries(10, seed: 12)
        let approximate = try queries.map { try ivf.search(SearchRequest(tenant: "a", k: 10, vector: $0)) }
        for query in queries {
            let expected = try flat.search(SearchRequest(tenant: "a", k: 10, vector: query))
            let got = try ivf.search(SearchRequest(tenant: "a", k: 10, vector: query, exact: true))
            #expect(got.results.map(\.id) == expected.results.map(\.id))
        }
        let reopened = try Casebook(path: database.path).collection("ivf")
        for (query, expected) in zip(queries, approximate) {
            #expect(try reopened.search(SearchRequest(tenant: "a", k: 10, vector: query)).results.map(\.id) == expected.results.map(\.id))
        }
    }

    /// `casebook index train` killed with SIGKILL during k-means: the previous training is still
    /// in force after reopening, with identical results.
    @Test func killedTrainingLeavesThePreviousIndex() throws {
        let database = TemporaryDatabase()
        let rows = (0..<6).flatMap { Self.rows(seed: UInt64(20 + $0)).map { row -> ReferenceRow in
            var row = row
            row.id = PrecedentID("\(row.id)-\(row.createdAt.timeIntervalSince1970)-\(row.vector[0])")
            return row
        } }
        do {
            let collection = try Casebook(path: database.path).createCollection(
                CollectionSpec(name: "c", dimension: Self.dimension, index: .ivf(Self.parameters)))
            try collection.add(rows.map(\.precedent))
            try collection.trainIndex()
        }
        let queries = Self.queries(10, seed: 13)
        let before = try Casebook(path: database.path).collection("c")
        let info = before.indexInfo
        let expected = try queries.map { try before.search(SearchRequest(tenant: "a", k: 10, vector: $0, nprobe: 1)).results.map(\.id) }

        for attempt in 0..<3 {
            let process = Process()
            process.executableURL = CasebookProcess.executable
            process.arguments = ["index", "train", "--collection", "c", "--nlist", "512", "--db", database.path, "--progress-lines"]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait for k-means to report an iteration (attempt 0: the first; later ones further in).
            var seen = 0
            var buffer = Data()
            while seen <= attempt * 2 {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                seen = String(decoding: buffer, as: UTF8.self).components(separatedBy: "k-means iteration").count - 1
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "training finished before it was killed")
            #expect(seen >= 1)

            let integrity = try DatabaseQueue(path: database.path).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
            #expect(integrity == "ok")
            let after = try Casebook(path: database.path).collection("c")
            #expect(after.indexInfo == info)
            let got = try queries.map { try after.search(SearchRequest(tenant: "a", k: 10, vector: $0, nprobe: 1)).results.map(\.id) }
            #expect(got == expected)
        }
    }
}
