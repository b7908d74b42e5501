import Foundation
import Testing

@testable import Casebook

/// Through the library on both stores: a tenant large enough keeps only int8 codes in memory (on
/// add and when a database opens), reads the rows it re-scores back from the store, and answers
/// as a brute force over the stored vectors, its own tenant's rows only, after updates and deletes.
@Suite struct CodesOnlyCollectionTests {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func keepsFloats(_ collection: PrecedentCollection, tenant: TenantID) -> Bool? {
        collection.index.read { ($0 as? FlatIndex)?.slabs[tenant]?.keepsFloats }
    }

    static func expectBruteForce(
        _ collection: PrecedentCollection, _ reference: [ReferenceRow], tenant: TenantID, queries: [[Float]],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let filters = [SearchFilter(), SearchFilter(category: "b"), SearchFilter(tags: ["rare"])]
        for (q, query) in queries.enumerated() {
            let filter = filters[q % filters.count]
            let response = try collection.search(SearchRequest(tenant: tenant, k: 10, vector: query, filter: filter))
            let expected = BruteForce.search(reference, tenant: tenant, query: query, k: 10, metric: .cosine, filter: filter)
            let all = Dictionary(uniqueKeysWithValues: reference.filter { $0.tenant == tenant }.map {
                ($0.id, BruteForce.score(query, $0.vector, .cosine))
            })
            #expect(response.exact, "query \(q)", sourceLocation: sourceLocation)
            expectMatches(response.results, expected, allScores: all, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: StoreKind.allCases) func largeTenantKeepsCodesOnly(store: StoreKind) throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        let database = TemporaryDatabase(store)
        let d = 32
        var random = SeededRandom(seed: 21)
        var reference = (0..<5_000).map { i in
            ReferenceRow(
                tenant: "acme", id: PrecedentID("a\(i)"), vector: random.vector(dimension: d),
                category: ["a", "b", "c"][i % 3], tags: i % 250 == 0 ? ["rare"] : [], wasSuccessful: nil, createdAt: Self.epoch)
        }
        // A small tenant whose rows copy the large one's: a search of either must never cross.
        reference += (0..<200).map { i in
            ReferenceRow(
                tenant: "other", id: PrecedentID("o\(i)"), vector: reference[i * 7].vector, category: "b",
                tags: i % 10 == 0 ? ["rare"] : [], wasSuccessful: nil, createdAt: Self.epoch)
        }
        do {
            let collection = try Casebook(path: database.path).createCollection(CollectionSpec(name: "c", dimension: d, metric: .cosine))
            for start in stride(from: 0, to: reference.count, by: 1_000) {
                try collection.add(reference[start..<min(reference.count, start + 1_000)].map(\.precedent))
            }
            #expect(Self.keepsFloats(collection, tenant: "acme") == false && Self.keepsFloats(collection, tenant: "other") == true)
            try Self.expectBruteForce(collection, reference, tenant: "acme", queries: (0..<6).map { _ in random.vector(dimension: d) })
        }
        // Opened again: the loader keeps the large tenant as codes from its first row.
        let collection = try Casebook(path: database.path).collection("c")
        #expect(Self.keepsFloats(collection, tenant: "acme") == false && Self.keepsFloats(collection, tenant: "other") == true)
        #expect(collection.index.read { $0._checkInvariants() })
        let queries = (0..<6).map { q in q < 3 ? reference[q * 11].vector : random.vector(dimension: d) }
        try Self.expectBruteForce(collection, reference, tenant: "acme", queries: queries)
        try Self.expectBruteForce(collection, reference, tenant: "other", queries: queries)
        let crossing = try collection.search(SearchRequest(tenant: "other", k: 50, vector: reference[0].vector))
        #expect(crossing.results.allSatisfy { $0.id.rawValue.hasPrefix("o") })

        // Updates and deletes go through the store and the codes alike.
        for i in stride(from: 0, to: 300, by: 3) {
            reference[i].vector = random.vector(dimension: d)
            try collection.update(reference[i].precedent)
        }
        for i in stride(from: 1, to: 300, by: 3) { try collection.delete(tenant: "acme", id: reference[i].id) }
        reference = reference.enumerated().filter { $0.offset >= 300 || $0.offset % 3 != 1 }.map(\.element)
        try Self.expectBruteForce(collection, reference, tenant: "acme", queries: (0..<6).map { q in
            q < 3 ? reference[q * 2].vector : random.vector(dimension: d)
        })
        // Read back from the store: the stored (normalized) vector.
        let stored = try collection.get(tenant: "acme", id: reference[0].id).vector
        let readBack = try collection.indexedVector(tenant: "acme", id: reference[0].id)
        #expect(stored != nil && readBack == stored)
        // A batch of queries answers as the single searches.
        let batch = try collection.search(batch: BatchSearchRequest(tenant: "acme", k: 5, vectors: Array(queries.prefix(3))))
        for (q, response) in batch.enumerated() {
            let single = try collection.search(SearchRequest(tenant: "acme", k: 5, vector: queries[q]))
            #expect(response.results.map(\.id) == single.results.map(\.id) && response.exact)
        }
        // Training an IVF index reads the rows kept as codes back; its exhaustive search then
        // equals brute force, and so it does once more after reopening.
        try collection.trainIndex(nlist: 16)
        #expect(collection.index.read { $0 is IVFIndex })
        for searched in [collection, try Casebook(path: database.path).collection("c")] {
            for q in 0..<3 {
                let response = try searched.search(SearchRequest(tenant: "acme", k: 10, vector: queries[q], exact: true))
                let expected = BruteForce.search(reference, tenant: "acme", query: queries[q], k: 10, metric: .cosine)
                let all = Dictionary(uniqueKeysWithValues: reference.filter { $0.tenant == "acme" }.map {
                    ($0.id, BruteForce.score(queries[q], $0.vector, .cosine))
                })
                #expect(response.exact)
                expectMatches(response.results, expected, allScores: all)
            }
        }
    }
}
