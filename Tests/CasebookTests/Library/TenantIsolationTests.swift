import Foundation
import Testing

@testable import Casebook

/// Two tenants hold identical precedents (same ids, same vectors). Nothing done as one may see or
/// touch the other's.
/// Every test runs against the flat index and a trained IVF index (both tenants' rows filed in
/// lists, searched with the default nprobe).
@Suite struct TenantIsolationTests {
    enum IndexUnderTest: String, CaseIterable, Sendable { case flat, ivf }

    /// Keeps the database directory alive as long as the collection.
    struct Fixture {
        let database: TemporaryDatabase
        let collection: PrecedentCollection
        let vectors: [[Float]]
    }

    static func fixture(_ kind: IndexUnderTest, _ store: StoreKind) throws -> Fixture {
        let database = TemporaryDatabase(store)
        let index: IndexConfig = kind == .flat ? .flat : .ivf(IVFParameters(nlist: 4, nprobe: 1, flatThreshold: 10))
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 16, metric: .cosine, index: index))
        var random = SeededRandom(seed: 11)
        let vectors = (0..<50).map { _ in random.vector(dimension: 16) }
        for tenant: TenantID in ["acme", "globex"] {
            try collection.add(vectors.enumerated().map { i, v in
                Precedent(id: PrecedentID("same-\(i)"), tenant: tenant, category: "ndr",
                          text: "\(tenant) secret \(i)", tags: ["t"], vector: v)
            })
        }
        if kind == .ivf {
            try collection.trainIndex()
            #expect(collection.indexInfo.listedTenants == 2)
        }
        return Fixture(database: database, collection: collection, vectors: vectors)
    }

    @Test(arguments: IndexUnderTest.allCases, StoreKind.allCases) func searchSeesOnlyOwnTenant(index: IndexUnderTest, store: StoreKind) throws {
        let fixture = try Self.fixture(index, store)
        let (collection, vectors) = (fixture.collection, fixture.vectors)
        for tenant: TenantID in ["acme", "globex"] {
            let single = try collection.search(SearchRequest(tenant: tenant, k: 100, vector: vectors[3]))
            #expect(single.results.count == 50)
            #expect(single.results.allSatisfy { $0.precedent?.tenant == tenant })
            #expect(single.results.allSatisfy { $0.precedent?.text?.hasPrefix("\(tenant) ") == true })
            let batch = try collection.search(batch: BatchSearchRequest(tenant: tenant, k: 100, vectors: [vectors[3], vectors[4]]))
            for response in batch {
                #expect(response.results.count == 50)
                #expect(response.results.allSatisfy { $0.precedent?.tenant == tenant })
            }
        }
        let stranger = try collection.search(SearchRequest(tenant: "initech", k: 10, vector: vectors[0]))
        #expect(stranger.results.isEmpty)
    }

    @Test(arguments: IndexUnderTest.allCases, StoreKind.allCases) func getReturnsOwnTenantsCopy(index: IndexUnderTest, store: StoreKind) throws {
        let fixture = try Self.fixture(index, store)
        let collection = fixture.collection
        #expect(try collection.get(tenant: "acme", id: "same-1").text == "acme secret 1")
        #expect(try collection.get(tenant: "globex", id: "same-1").text == "globex secret 1")
        #expect(throws: CasebookError.precedentNotFound("same-1")) {
            try collection.get(tenant: "initech", id: "same-1")
        }
    }

    @Test(arguments: IndexUnderTest.allCases, StoreKind.allCases) func updateTouchesOnlyOwnTenant(index: IndexUnderTest, store: StoreKind) throws {
        let fixture = try Self.fixture(index, store)
        let (collection, vectors) = (fixture.collection, fixture.vectors)
        var changed = try collection.get(tenant: "acme", id: "same-2")
        changed.outcome = "reattempted"
        changed.wasSuccessful = true
        changed.vector = vectors[40]
        try collection.update(changed)
        let other = try collection.get(tenant: "globex", id: "same-2")
        #expect(other.outcome == nil)
        #expect(other.wasSuccessful == nil)
        #expect(other.vector == vectors[2].normalizedForTest)
        // The other tenant's index row still has the old vector.
        let top = try collection.search(SearchRequest(tenant: "globex", k: 1, vector: vectors[2]))
        #expect(top.results.first?.id == "same-2")
        // An update naming an unknown tenant is refused as "not found", and creates nothing.
        var foreign = changed
        foreign.tenant = "initech"
        #expect(throws: CasebookError.precedentNotFound("same-2")) { try collection.update(foreign) }
        #expect(collection.count(tenant: "initech") == 0)
    }

    @Test(arguments: IndexUnderTest.allCases, StoreKind.allCases) func deleteTouchesOnlyOwnTenant(index: IndexUnderTest, store: StoreKind) throws {
        let fixture = try Self.fixture(index, store)
        let (collection, vectors) = (fixture.collection, fixture.vectors)
        try collection.delete(tenant: "acme", id: "same-5")
        #expect(collection.count(tenant: "acme") == 49)
        #expect(collection.count(tenant: "globex") == 50)
        #expect(throws: CasebookError.precedentNotFound("same-5")) { try collection.get(tenant: "acme", id: "same-5") }
        #expect(try collection.get(tenant: "globex", id: "same-5").id == "same-5")
        #expect(throws: CasebookError.precedentNotFound("same-6")) {
            try collection.delete(tenant: "initech", id: "same-6")
        }
        #expect(collection.count(tenant: "globex") == 50)
        let globex = try collection.search(SearchRequest(tenant: "globex", k: 1, vector: vectors[5]))
        #expect(globex.results.first?.id == "same-5")
        let acme = try collection.search(SearchRequest(tenant: "acme", k: 50, vector: vectors[5]))
        #expect(!acme.results.contains { $0.id == "same-5" })
    }

    @Test(arguments: IndexUnderTest.allCases, StoreKind.allCases) func countsAreSeparate(index: IndexUnderTest, store: StoreKind) throws {
        let fixture = try Self.fixture(index, store)
        let collection = fixture.collection
        #expect(collection.count(tenant: "acme") == 50)
        #expect(collection.count(tenant: "globex") == 50)
        #expect(collection.count(tenant: "initech") == 0)
        #expect(collection.count == 100)
    }

    @Test(arguments: IndexUnderTest.allCases, StoreKind.allCases) func filtersAndExclusionsStayWithinTenant(index: IndexUnderTest, store: StoreKind) throws {
        let fixture = try Self.fixture(index, store)
        let (collection, vectors) = (fixture.collection, fixture.vectors)
        // Excluding ids by name affects only the searching tenant's rows.
        let response = try collection.search(SearchRequest(
            tenant: "acme", k: 100, vector: vectors[0],
            filter: SearchFilter(category: "ndr", tags: ["t"], excludeIds: ["same-0"])))
        #expect(response.results.count == 49)
        #expect(response.results.allSatisfy { $0.precedent?.tenant == "acme" })
    }
}

extension Array where Element == Float {
    /// The cosine metric stores unit vectors; this mirrors it for comparisons.
    var normalizedForTest: [Float] {
        let norm = (reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
        return map { Float(Double($0) / norm) }
    }
}
