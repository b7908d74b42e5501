import Foundation
import Testing

@testable import Casebook

/// Hybrid collections: each precedent's featurizer vector and an external model's vector, a query
/// of text or context and a vector scored by w · lexical + (1 - w) · model. Checked against a
/// brute-force fusion written here (the featurizer's vectors made outside the collection, the
/// query weighed by a recount, the model's cosines in Double) on both stores, flat and trained IVF
/// searched exactly, with filters and two tenants; then the part scores, updates, a follower, a
/// re-embedding that keeps the model's vectors, and bad input.
@Suite struct HybridSearchTests {
    static let lexicalDims = 256
    static let modelDims = 8

    static func spec(trained: Bool = false) throws -> CollectionSpec {
        var spec = try CollectionOptions(name: "h", dim: lexicalDims, spaceId: "toy-8", companionDim: modelDims).spec()
        if trained { spec.index = .ivf(IVFParameters(nlist: 4, nprobe: 4, flatThreshold: 16)) }
        return spec
    }

    static func rows(tenant: String, seed: UInt64) -> [Precedent] {
        var random = SplitMix64(seed: seed)
        let words = ["parcel", "refused", "doorstep", "courier", "address", "landmark", "weekend", "office", "cod"]
        return (0..<90).map { i in
            let text = (0..<4).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
            return Precedent(
                id: PrecedentID("p\(i)"), tenant: TenantID(tenant), category: i % 3 == 0 ? "ndr" : "credit",
                context: ["attempts": .number(Double(i % 4))], text: text,
                vector: (0..<modelDims).map { _ in random.unit() })
        }
    }

    static func unit(_ v: [Float]) -> [Double] {
        let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return v.map { Double($0) / norm }
    }

    /// Brute force: (id, fused, lexical, model) for the tenant's precedents passing `keep`, best first.
    static func bruteForce(
        _ rows: [Precedent], text: String?, vector: [Float]?, weight: Double, keep: (Precedent) -> Bool = { _ in true }
    ) throws -> [(String, Double, Double, Double)] {
        let lexical = try HashedNGramEmbedder(dimension: lexicalDims)
        let documents = rows.map { p in
            var p = p
            p.vector = nil
            return p
        }
        let q = try text.map { t in
            try #require(try lexical.queryVector(QueryInput(text: t), frequencies: FeatureFrequencyTests.recount(documents, lexical)))
        }
        let m = vector.map(unit)
        return try zip(rows, documents).filter { keep($0.0) }.map { row, document in
            let h = try lexical.documentVector(for: document)
            let l = q.map { zip($0, h).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } } ?? 0
            let c = m.map { zip($0, unit(row.vector!)).reduce(0.0) { $0 + $1.0 * $1.1 } } ?? 0
            let w = text == nil ? 0 : vector == nil ? 1 : weight
            return (row.id!.rawValue, w * l + (1 - w) * c, l, c)
        }.sorted { $0.1 > $1.1 }
    }

    static func expectMatches(_ found: SearchResponse, _ expected: [(String, Double, Double, Double)], k: Int, parts: Bool) {
        #expect(found.exact && found.results.count == min(k, expected.count))
        for (i, (result, reference)) in zip(found.results, expected).enumerated() {
            #expect(abs(Double(result.score) - reference.1) < 1e-5, "rank \(i + 1)")
            // Ids agree where the scores are not tied.
            let tied = expected.indices.contains { $0 != i && abs(expected[$0].1 - reference.1) < 1e-6 }
            if !tied { #expect(result.id.rawValue == reference.0, "rank \(i + 1)") }
            if parts {
                let got = result.parts
                #expect(got != nil && abs(Double(got!.lexical) - reference.2) < 1e-5 && abs(Double(got!.vector) - reference.3) < 1e-5)
            } else {
                #expect(result.parts == nil)
            }
        }
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func searchesEqualABruteForceFusion(store: StoreKind, trained: Bool) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(try Self.spec(trained: trained))
        #expect(collection.spec.dimension == Self.lexicalDims + Self.modelDims)
        let acme = Self.rows(tenant: "acme", seed: 1)
        let globex = Self.rows(tenant: "globex", seed: 2)
        try collection.add(acme + globex)
        if trained { try collection.trainIndex() }
        var random = SplitMix64(seed: 3)
        for (text, weight) in [("parcel refused at the doorstep", 0.5), ("courier weekend", 0.8), ("address landmark cod", 0.2)] {
            let vector = (0..<Self.modelDims).map { _ in random.unit() }
            for (filter, keep) in [(SearchFilter(), { (_: Precedent) in true }), (SearchFilter(category: "ndr"), { $0.category == "ndr" })] {
                let found = try collection.search(SearchRequest(
                    tenant: "acme", k: 7, vector: vector, text: text, filter: filter, exact: true, log: false,
                    spaceId: "toy-8", lexicalWeight: weight))
                Self.expectMatches(found, try Self.bruteForce(acme, text: text, vector: vector, weight: weight, keep: keep), k: 7, parts: true)
                #expect(found.results.allSatisfy { $0.precedent?.tenant == "acme" })
            }
            // One part alone: that part's cosine.
            let textOnly = try collection.search(SearchRequest(tenant: "acme", k: 5, text: text, exact: true, log: false))
            Self.expectMatches(textOnly, try Self.bruteForce(acme, text: text, vector: nil, weight: weight), k: 5, parts: false)
            let vectorOnly = try collection.search(SearchRequest(tenant: "acme", k: 5, vector: vector, exact: true, log: false))
            Self.expectMatches(vectorOnly, try Self.bruteForce(acme, text: nil, vector: vector, weight: weight), k: 5, parts: false)
        }
        // A follower answers alike; the default weight is 0.5.
        let follower = try Casebook(path: database.path).collection("h")
        let vector = (0..<Self.modelDims).map { _ in random.unit() }
        let request = SearchRequest(tenant: "globex", k: 6, vector: vector, text: "refused parcel", exact: true, log: false)
        Self.expectMatches(try follower.search(request), try Self.bruteForce(globex, text: "refused parcel", vector: vector, weight: 0.5), k: 6, parts: true)
    }

    @Test(arguments: StoreKind.allCases) func storedVectorsUpdatesAndReembedding(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(try Self.spec())
        var rows = Self.rows(tenant: "t", seed: 4)
        try collection.add(rows)
        // `get` gives the model's vector back (unit length), not the joined one.
        let stored = try collection.get(tenant: "t", id: "p0").vector!
        #expect(stored.count == Self.modelDims)
        #expect(zip(stored, Self.unit(rows[0].vector!)).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        // An update without a vector keeps the model's and re-embeds the text.
        var changed = rows[0]
        changed.vector = nil
        changed.text = "zebra crossing"
        try collection.update(changed)
        rows[0].text = "zebra crossing"
        #expect(try collection.get(tenant: "t", id: "p0").vector == stored)
        let query = SearchRequest(tenant: "t", k: 5, vector: rows[7].vector, text: "zebra crossing", exact: true, log: false)
        Self.expectMatches(try collection.search(query), try Self.bruteForce(rows, text: "zebra crossing", vector: rows[7].vector, weight: 0.5), k: 5, parts: true)
        // Re-embedding to hashed-v2 keeps every model vector; the collection stays hybrid.
        try collection.reembed()
        #expect(collection.spec.embedder.isHybrid && collection.spec.embedder.kind == "hashed-v2")
        #expect(try collection.get(tenant: "t", id: "p0").vector.map { v in zip(v, stored).allSatisfy { abs($0 - $1) < 1e-6 } } == true)
        #expect(try collection.search(SearchRequest(tenant: "t", k: 3, vector: rows[7].vector, log: false)).results.first?.id == "p7")
    }

    @Test func badInputIsRefused() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(try Self.spec())
        try collection.add(Self.rows(tenant: "t", seed: 5))
        let before = collection.count
        var noVector = Self.rows(tenant: "t", seed: 6)[0]
        noVector.id = "new"
        noVector.vector = nil
        #expect(throws: CasebookError.self) { try collection.add([noVector]) }
        noVector.vector = [1, 2]
        #expect(throws: CasebookError.self) { try collection.add([noVector]) }
        #expect(collection.count == before)
        let vector = [Float](repeating: 0.3, count: Self.modelDims)
        for weight in [-0.1, 1.5, .nan] {
            #expect(throws: CasebookError.self) {
                try collection.search(SearchRequest(tenant: "t", vector: vector, text: "parcel", lexicalWeight: weight))
            }
        }
        #expect(throws: CasebookError.self) { try collection.search(SearchRequest(tenant: "t", vector: vector, spaceId: "other")) }
        #expect(throws: CasebookError.self) { try collection.search(SearchRequest(tenant: "t", vector: [1, 2], text: "parcel")) }
        for options in [
            CollectionOptions(name: "x", metric: "l2", companionDim: 8),
            CollectionOptions(name: "x", spaceId: "m"),
            CollectionOptions(name: "x", embedder: "external", dim: 4, companionDim: 8),
            CollectionOptions(name: "x", companionDim: 0),
        ] {
            #expect(throws: CasebookError.self) { try options.spec() }
        }
    }
}
