import Foundation
import Testing

@testable import Casebook

/// The flat index through the library API against a brute-force loop, for every metric, single
/// and batched, with and without filters.
@Suite struct FlatSearchTests {
    static let categories = ["ndr", "credit", "allocation", "returns"]
    static let tagPool = ["cod", "prepaid", "metro", "rural", "repeat", "vip"]
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01

    static func makeRows(count: Int, dimension: Int, tenants: [TenantID], seed: UInt64) -> [ReferenceRow] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { i in
            let tagCount = Int.random(in: 0...3, using: &random)
            let tags = (0..<tagCount).map { _ in tagPool.randomElement(using: &random)! }
            let success: Bool? = [true, false, nil].randomElement(using: &random)!
            return ReferenceRow(
                tenant: tenants[i % tenants.count], id: PrecedentID("p\(i)"),
                vector: random.vector(dimension: dimension),
                category: i % 7 == 0 ? nil : categories.randomElement(using: &random),
                tags: Array(Set(tags)).sorted(), wasSuccessful: success,
                createdAt: epoch.addingTimeInterval(Double(i) * 3600))
        }
    }

    static let filters: [SearchFilter] = [
        SearchFilter(),
        SearchFilter(category: "credit"),
        SearchFilter(tags: ["cod"]),
        SearchFilter(tags: ["cod", "metro"]),
        SearchFilter(wasSuccessful: true),
        SearchFilter(wasSuccessful: false),
        SearchFilter(since: epoch.addingTimeInterval(3600 * 300), until: epoch.addingTimeInterval(3600 * 900)),
        SearchFilter(category: "ndr", tags: ["rural"], wasSuccessful: true),
        SearchFilter(excludeIds: ["p0", "p2", "p4", "p6"]),
        SearchFilter(category: "no-such-category"),
        SearchFilter(tags: ["never-used"]),
    ]

    @Test(arguments: Metric.allCases, [16, 37, 64])
    func singleQueriesEqualBruteForce(metric: Metric, dimension: Int) throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(
            CollectionSpec(name: "c", dimension: dimension, metric: metric))
        let tenants: [TenantID] = ["acme", "globex"]
        let rows = Self.makeRows(count: 1_500, dimension: dimension, tenants: tenants, seed: UInt64(dimension))
        try collection.add(rows.map(\.precedent))
        var random = SeededRandom(seed: 99)
        for filter in Self.filters {
            for _ in 0..<4 {
                let query = random.vector(dimension: dimension)
                for tenant in tenants {
                    let k = Int.random(in: 1...25, using: &random)
                    let response = try collection.search(
                        SearchRequest(tenant: tenant, k: k, vector: query, filter: filter))
                    let reference = BruteForce.search(rows, tenant: tenant, query: query, k: k, metric: metric, filter: filter)
                    let all = Dictionary(uniqueKeysWithValues: rows.filter { $0.tenant == tenant }
                        .map { ($0.id, BruteForce.score(query, $0.vector, metric)) })
                    expectMatches(response.results, reference, allScores: all)
                    #expect(response.exact)
                    #expect(response.results.allSatisfy { $0.precedent?.tenant == tenant })
                }
            }
        }
    }

    @Test(arguments: Metric.allCases)
    func batchedQueriesEqualBruteForce(metric: Metric) throws {
        let dimension = 48
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(
            CollectionSpec(name: "c", dimension: dimension, metric: metric))
        // More rows than one sgemm block, so block boundaries are crossed.
        let rows = Self.makeRows(count: 5_000, dimension: dimension, tenants: ["acme", "globex"], seed: 7)
        try collection.add(rows.map(\.precedent))
        var random = SeededRandom(seed: 5)
        let queries = (0..<37).map { _ in random.vector(dimension: dimension) }
        let all = Dictionary(uniqueKeysWithValues: rows.filter { $0.tenant == "acme" }
            .map { ($0.id, $0.vector) })
        for filter in Self.filters {
            let responses = try collection.search(
                batch: BatchSearchRequest(tenant: "acme", k: 10, vectors: queries, filter: filter))
            #expect(responses.count == queries.count)
            for (query, response) in zip(queries, responses) {
                let reference = BruteForce.search(rows, tenant: "acme", query: query, k: 10, metric: metric, filter: filter)
                expectMatches(response.results, reference, allScores: all.mapValues { BruteForce.score(query, $0, metric) })
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func selectiveFilterStillReturnsK(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 32, metric: .cosine))
        var random = SeededRandom(seed: 3)
        // 2,000 rows of which 10 (0.5%) carry the rare tag.
        let rows = (0..<2_000).map { i in
            ReferenceRow(
                tenant: "acme", id: PrecedentID("r\(i)"), vector: random.vector(dimension: 32),
                category: "ndr", tags: i % 200 == 0 ? ["rare"] : [], wasSuccessful: nil,
                createdAt: Self.epoch)
        }
        try collection.add(rows.map(\.precedent))
        let query = random.vector(dimension: 32)
        let response = try collection.search(
            SearchRequest(tenant: "acme", k: 10, vector: query, filter: SearchFilter(tags: ["rare"])))
        #expect(response.results.count == 10)
        #expect(response.results.allSatisfy { $0.precedent?.tags == ["rare"] })
        let batched = try collection.search(
            batch: BatchSearchRequest(tenant: "acme", k: 20, vectors: [query], filter: SearchFilter(tags: ["rare"])))
        #expect(batched[0].results.count == 10)
    }

    @Test(arguments: StoreKind.allCases) func kLargerThanTenantReturnsAllRows(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 8, metric: .l2))
        var random = SeededRandom(seed: 1)
        try collection.add((0..<5).map { Precedent(id: PrecedentID("x\($0)"), tenant: "t", vector: random.vector(dimension: 8)) })
        let response = try collection.search(SearchRequest(tenant: "t", k: 50, vector: random.vector(dimension: 8)))
        #expect(response.results.count == 5)
        #expect(response.results.map(\.rank) == [1, 2, 3, 4, 5])
        let scores = response.results.map(\.score)
        #expect(scores == scores.sorted(), "L2 scores are distances, ascending")
    }
}
