import Foundation
import Testing

@testable import Casebook

/// A hashed-v1 collection end to end: precedents without vectors, text and context queries
/// checked against a brute-force search over vectors the embedder computes on its own,
/// explanations, re-embedding on update, refusals that write nothing, and tenant isolation.
@Suite struct HashedCollectionTests {
    static let repository = Repository.root

    /// The first `count` committed sample precedents.
    static func samplePrecedents(_ count: Int) throws -> [Precedent] {
        let text = try String(contentsOf: repository.appendingPathComponent("data/sample-precedents.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").prefix(count).map { try Precedent(jsonText: $0) }
    }

    let database = TemporaryDatabase()
    let collection: PrecedentCollection
    let precedents: [Precedent]
    let embedder: HashedNGramEmbedder

    init() throws {
        collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "p", dimension: 512, embedder: .hashedV1()))
        precedents = try Self.samplePrecedents(600)
        try collection.add(precedents)
        embedder = try HashedNGramEmbedder(dimension: 512)
    }

    /// Brute force: cosine over vectors the embedder makes outside the collection, in Double, the
    /// query weighed by the tenant's document frequencies recounted from its precedents.
    func bruteForce(tenant: TenantID, query: QueryInput, k: Int) throws -> [(PrecedentID, Double)] {
        let own = precedents.filter { $0.tenant == tenant }
        let q = try #require(try embedder.queryVector(query, frequencies: FeatureFrequencyTests.recount(own, embedder)))
        return try own.map { p in
            let v = try embedder.documentVector(for: p)
            return (p.id!, zip(q, v).reduce(0) { $0 + Double($1.0) * Double($1.1) })
        }.sorted { $0.1 > $1.1 }.prefix(k).map { $0 }
    }

    @Test(arguments: [
        QueryInput(text: "customer not available, first attempt"),
        QueryInput(context: ["reason": "address_incomplete", "metro": false, "orderValue": 700]),
        QueryInput(text: "new account with a large order", context: ["customerTier": "standard", "tenureMonths": 3]),
    ])
    func textAndContextSearchEqualsBruteForce(_ query: QueryInput) throws {
        for tenant in ["acme-retail", "globex-fashion"] as [TenantID] {
            let response = try collection.search(SearchRequest(
                tenant: tenant, k: 10, text: query.text, context: query.context))
            let expected = try bruteForce(tenant: tenant, query: query, k: 10)
            #expect(response.results.count == 10)
            for (result, reference) in zip(response.results, expected) {
                #expect(abs(Double(result.score) - reference.1) < 1e-5)
                #expect(result.precedent?.tenant == tenant)
            }
            // Ids agree wherever scores are not tied.
            let ids = response.results.map(\.id)
            let expectedIds = expected.map(\.0)
            for i in ids.indices where i == 0 || abs(expected[i].1 - expected[i - 1].1) > 1e-6 {
                if i + 1 == ids.count || abs(expected[i].1 - expected[i + 1].1) > 1e-6 { #expect(ids[i] == expectedIds[i]) }
            }
        }
    }

    @Test func explanationsAccountForTheScore() throws {
        let response = try collection.search(SearchRequest(
            tenant: "acme-retail", k: 5, text: "customer refused the parcel at the door",
            context: ["reason": "customer_refused", "paymentMode": "cod"], includePrecedents: false, explain: true))
        #expect(response.results.count == 5)
        for result in response.results {
            #expect(result.precedent == nil)
            let explanation = try #require(result.explanation)
            let contributions = explanation.features.map(\.contribution)
            #expect(contributions == contributions.sorted(by: >))
            #expect(!explanation.features.isEmpty && explanation.features.count <= PrecedentCollection.explainedFeatures)
            // The namespaces' contributions plus collisions make up the score (cosine of unit vectors).
            let total = explanation.namespaces.reduce(0) { $0 + $1.contribution } + explanation.collisions
            #expect(abs(total - Double(result.score)) < 1e-5)
            #expect(explanation.namespaces.allSatisfy { (0...1.000001).contains($0.similarity) })
            #expect(explanation.features.contains { $0.namespace == "ctx" && $0.token == "reason=customer_refused" })
        }
    }

    @Test func explainIsRefusedWhereItCannotWork() throws {
        let vector = try embedder.queryVector(QueryInput(text: "x"))
        #expect(throws: CasebookError.self) {
            try collection.search(SearchRequest(tenant: "acme-retail", vector: vector, explain: true))
        }
        // A vector made by `casebook embed --vectors` is accepted as a query, as it is.
        let byVector = try collection.search(SearchRequest(tenant: "acme-retail", k: 3, vector: vector))
        #expect(byVector.results.count == 3)
        // As text, "x" is in none of the tenant's precedents: nothing but collisions could match.
        #expect(try collection.search(SearchRequest(tenant: "acme-retail", k: 3, text: "x")).results.isEmpty)
        let external = try Casebook(path: database.path).createCollection(CollectionSpec(name: "e", dimension: 2))
        try external.add([Precedent(tenant: "t", vector: [1, 0])])
        #expect(throws: CasebookError.self) { try external.search(SearchRequest(tenant: "t", text: "x", explain: true)) }
    }

    @Test func updateReembedsFromTheNewFields() throws {
        let target = precedents[0]
        let before = try collection.get(tenant: target.tenant, id: target.id!).vector
        var changed = target
        changed.text = "completely different words about zebra crossings"
        changed.context = ["zone": "zebra"]
        try collection.update(changed)
        let after = try collection.get(tenant: target.tenant, id: target.id!).vector
        #expect(after != before)
        #expect(after == (try embedder.documentVector(for: changed)))
        // Read, change, write back: the stored vector that comes with `get` is recomputed, a
        // foreign one refused.
        var fetched = try collection.get(tenant: target.tenant, id: target.id!)
        fetched.outcome = "delivered_on_reattempt"
        try collection.update(fetched)
        #expect(try collection.get(tenant: target.tenant, id: target.id!).outcome == "delivered_on_reattempt")
        fetched.vector = [Float](repeating: 0.5, count: 512)
        #expect(throws: CasebookError.self) { try collection.update(fetched) }
        let hit = try collection.search(SearchRequest(
            tenant: target.tenant, k: 1, text: "different words about zebra crossings", context: ["zone": "zebra"]))
        #expect(hit.results.first?.id == target.id)
    }

    @Test func badInputIsRefusedAndNothingIsWritten() throws {
        let count = collection.count
        let good = Precedent(id: "new-good", tenant: "acme-retail", text: "fine")
        var deep: JSONValue = "leaf"
        for _ in 0..<8 { deep = ["k": deep] }  // the context object plus 8 more levels: 9
        let huge: [String: JSONValue] = ["blob": .string(String(repeating: "x", count: Limits.maxContextBytes))]
        let refused: [Precedent] = [
            Precedent(id: "v", tenant: "acme-retail", text: "has a vector", vector: [Float](repeating: 0.1, count: 512)),
            Precedent(id: "d", tenant: "acme-retail", context: ["k": deep]),
            Precedent(id: "h", tenant: "acme-retail", context: huge),
            Precedent(id: "e", tenant: "acme-retail", text: "  ...  "),
        ]
        for bad in refused {
            #expect(throws: CasebookError.self) { try collection.add([good, bad]) }
        }
        #expect(collection.count == count)
        #expect(throws: CasebookError.precedentNotFound("new-good")) { try collection.get(tenant: "acme-retail", id: "new-good") }
        // Eight levels are allowed.
        var eight: JSONValue = "leaf"
        for _ in 0..<7 { eight = ["k": eight] }
        try collection.add([Precedent(id: "eight", tenant: "acme-retail", context: ["k": eight])])
        // Queries obey the same limits.
        #expect(throws: CasebookError.self) { try collection.search(SearchRequest(tenant: "acme-retail", context: ["k": deep])) }
        #expect(throws: CasebookError.self) { try collection.search(SearchRequest(tenant: "acme-retail", context: huge)) }
        #expect(throws: CasebookError.self) { try collection.search(SearchRequest(tenant: "acme-retail", text: " ")) }
        // The JSON layer refuses a non-object context and non-string tags.
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: #"{"tenant":"t","context":"reason=x"}"#) }
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: #"{"tenant":"t","context":[1,2]}"#) }
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: #"{"tenant":"t","tags":["a",1]}"#) }
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: #"{"tenant":"t","tags":"a"}"#) }
    }

    @Test func tenantsNeverSeeEachOther() throws {
        try collection.add([Precedent(id: "secret", tenant: "rival", context: ["quokka": true], text: "unique marker quokka")])
        for tenant in ["acme-retail", "globex-fashion", "nobody"] as [TenantID] {
            let response = try collection.search(SearchRequest(
                tenant: tenant, k: 1_000, text: "unique marker quokka", context: ["quokka": true], explain: true))
            #expect(response.results.allSatisfy { $0.precedent?.tenant == tenant && $0.id != "secret" })
        }
        let own = try collection.search(SearchRequest(tenant: "rival", k: 5, text: "quokka"))
        #expect(own.results.map(\.id) == ["secret"])
    }

    @Test func reopenKeepsVectorsAndParameters() throws {
        let query = SearchRequest(tenant: "initech-electronics", k: 10, text: "wrong size, customer wants exchange")
        let before = try collection.search(query)
        let reopened = try Casebook(path: database.path).collection("p")
        #expect(reopened.spec.embedder == EmbedderConfig.hashedV1(HashedNGramParameters()))
        let after = try reopened.search(query)
        #expect(after.results.map(\.id) == before.results.map(\.id))
        #expect(after.results.map(\.score) == before.results.map(\.score))
    }
}

/// The committed golden vectors (data/golden) are reproduced bit for bit, in this process and by
/// the CLI in a fresh one.
@Suite struct GoldenVectorTests {
    static let golden = HashedCollectionTests.repository.appendingPathComponent("data/golden")

    static func documents() throws -> [(line: Int, precedent: Precedent)] {
        let text = try String(contentsOf: golden.appendingPathComponent("documents.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { offset, line in
            guard !line.isEmpty else { return nil }
            var object = try #require(try JSONValue.parse(String(line)).objectValue)
            object["tenant"] = "-"
            return (offset + 1, try Precedent(json: .object(object)))
        }
    }

    static func goldenVectors(file: String = "hashed-v1-1024.vectors.jsonl") throws -> [Int: [Float]] {
        let text = try String(contentsOf: golden.appendingPathComponent(file), encoding: .utf8)
        var vectors: [Int: [Float]] = [:]
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONValue.parse(String(line)).objectValue)
            guard case .number(let doc)? = object["doc"], case .array(let items)? = object["vector"] else { continue }
            // Parse each number from its text, not through Double, so the Float bits are exact.
            vectors[Int(doc)] = items.map { item in
                guard case .number(let value) = item else { return .nan }
                return Float(value)
            }
        }
        return vectors
    }

    @Test func vectorsMatchTheGoldenFileBitForBit() throws {
        let embedder = try HashedNGramEmbedder(dimension: 1024)
        let golden = try Self.goldenVectors()
        let documents = try Self.documents()
        #expect(documents.count == 12 && golden.count == 12)
        for (line, precedent) in documents {
            let vector = try embedder.documentVector(for: precedent)
            let expected = try #require(golden[line])
            #expect(vector.map(\.bitPattern) == expected.map(\.bitPattern), "document on line \(line)")
        }
    }

    @Test func cliInAFreshProcessPrintsTheGoldenFiles() throws {
        let input = Self.golden.appendingPathComponent("documents.jsonl").path
        for (flags, name) in [(["--vectors"], "hashed-v1-1024.vectors.jsonl"), ([], "hashed-v1-1024.features.jsonl")] {
            let run = try CasebookProcess.run(["embed", "--dims", "1024"] + flags + [input])
            #expect(run.status == 0, "\(run.stderr)")
            let expected = try String(contentsOf: Self.golden.appendingPathComponent(name), encoding: .utf8)
            #expect(run.stdout == expected, "\(name)")
        }
    }
}
